"""decide_v5 / names_v5 on hand-written sentences (a steppe world; no spaCy): landform heads make places,
the plural of a character's surname is the family, and one pronoun after a name is no evidence."""

from __future__ import annotations

from collections import Counter

import pytest

from anchors.build import AnchorSettings, make_dictionary
from anchors.context import find_occurrences, read_contexts, type_votes
from anchors.evidence import word_counts
from tests.anchors.test_dictionary import mention_rows

V4 = AnchorSettings(decision="decide_v4", names="names_v4")
V5 = AnchorSettings(decision="decide_v5", names="names_v5")
TEXT = (
    "Corvin Dask rode out at dawn. Corvin Dask said the grass was high. He whistled. "
    "Mera Dask said nothing. She counted the horses. "
    "The Dasks kept their herds by the river. The Dasks were proud. The Dasks owed nobody. "
    "Beyond the camp lay the Salt Barrens, and the herd crossed the edge of the Salt Barrens by noon. "
    "Nothing grew on the Salt Barrens. The Salt Barrens glittered. "
    "They camped at Tor Ellis. The wells of Tor Ellis were sweet. Riders came from Tor Ellis. "
    "Traders slept in Tor Ellis. "
)
ONCE = "Tor Ellis lay quiet. He slept. "  # the one pronoun after the place's name
SPANS = {"Corvin Dask": "PERSON", "Mera Dask": "PERSON", "Dasks": "PRODUCT", "Salt Barrens": "PRODUCT",
         "Tor Ellis": "PERSON"}


def build(settings=V5, text=TEXT * 3 + ONCE):
    return make_dictionary(mention_rows(text, SPANS), {"d": text}, settings)


def test_a_landform_head_makes_a_place_where_v4_saw_a_thing():
    cands, _ = build()
    assert cands["Salt Barrens"].label == "GPE"
    v4, _ = build(V4)
    assert v4["Salt Barrens"].label == "PRODUCT"  # "the Salt Barrens": articles vote object; v4 keeps its dictionary


def test_the_plural_of_a_characters_surname_is_the_family():
    cands, _ = build()
    assert cands["Dasks"].label == "PERSON" and cands["Dasks"].accepted
    # the family keeps the surname of its members: "the Dasks" -> the plural of Dask's replacement
    surname = cands["Corvin Dask"].replacement.split()[-1]
    assert cands["Dasks"].replacement.startswith(surname[:3]) and cands["Mera Dask"].replacement.endswith(surname)
    v4, _ = build(V4)
    assert v4["Dasks"].label != "PERSON"


def test_one_pronoun_after_a_place_does_not_make_a_person():
    texts = {"d": TEXT + ONCE}
    ctx = read_contexts(find_occurrences(["Tor Ellis"], texts), texts, set())["Tor Ellis"]
    assert ctx.pronouns.total() == 1 and ctx.place_prep >= 2
    args = ("Tor Ellis", ctx, Counter(PERSON=3), word_counts(texts.values()), lambda w: w == "Tor", lambda w: False)
    v4, v5 = type_votes(*args, level=4), type_votes(*args, level=5)
    assert v4["person"] - v5["person"] == pytest.approx(min(1.0, 1 / (0.3 * ctx.seen)))  # the single "He" no longer counts
    assert max(v4, key=v4.get) == "person"
    assert max(v5, key=v5.get) == "place"
    cands, _ = build()
    assert cands["Tor Ellis"].label == "GPE"
