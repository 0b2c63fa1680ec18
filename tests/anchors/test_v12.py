"""decide_v12 / names_v12 on hand-written sentences (a whaling-coast world; no spaCy), v11 against v12: ships
read from being boarded and sailed, works from italics, buildings from their doors and landlords whatever
their head word, possessive pronouns (never those inside a quotation) as gender evidence, and the feasts of
real calendars kept."""

from __future__ import annotations

import pytest

from anchors.context import _possessive_before, find_occurrences, read_contexts
from tests.anchors.versions import build

TEXT = (
    "Captain Orrin came down from the Grey Tamsel at dawn. Nobody aboard the Grey Tamsel slept. "
    "The Grey Tamsel sailed at noon. The Grey Tamsel's hull was black. "
    "They drank at the Copper Lamp. The landlord of the Copper Lamp was deaf. The Copper Lamp was the only inn "
    "on Skarrow. At the door of the Copper Lamp a dog slept. "
    "Orla sang *Bonny Velleth* in the shed. *Bonny Velleth* was sung for a week. Everyone loved "
    "*Bonny Velleth* that winter. "
    "Idrane turned her cup slowly. Idrane looked at the sea. Idrane pushed her hair back. Idrane said, \"He is "
    "late.\" Idrane lifted her lamp. "
    "At Easter the boats came in. Easter was cold. Every Easter the priest blessed them. "
)
SPANS = {"Grey Tamsel": "GPE", "Copper Lamp": "PRODUCT", "Bonny Velleth": "PERSON", "Idrane": "PERSON",
         "Orrin": "PERSON", "Skarrow": "GPE", "Easter": "EVENT"}


@pytest.fixture(scope="module")
def v11():
    return build(11, TEXT * 2, SPANS)


@pytest.fixture(scope="module")
def v12():
    return build(12, TEXT * 2, SPANS)


def contexts(level, terms=("Grey Tamsel", "Copper Lamp", "Bonny Velleth", "Idrane")):
    texts = {"d": TEXT}
    return read_contexts(find_occurrences(list(terms), texts), texts, set(), level=level)


def test_the_cues_are_counted_from_v12_only():
    old, new = contexts(11), contexts(12)
    assert new["Grey Tamsel"].vessel == 3  # aboard the X, X sailed, X's hull; not "came down from the X"
    assert new["Copper Lamp"].building == 3  # the landlord of, the only inn in its sentence, the door of
    assert new["Bonny Velleth"].italic == 3
    for term in old:
        assert (old[term].vessel, old[term].building, old[term].italic) == (0, 0, 0)


def test_a_ship_is_an_object_and_a_building_a_place_whatever_ner_and_the_head_word_say(v11, v12):
    assert v11["Grey Tamsel"].label == "GPE" and v12["Grey Tamsel"].label == "PRODUCT"
    assert v11["Copper Lamp"].label == "PRODUCT" and v12["Copper Lamp"].label == "GPE"  # "Lamp" is an object head
    assert v11["Bonny Velleth"].label == "PERSON" and v12["Bonny Velleth"].label == "PRODUCT"


def test_possessives_vote_gender_and_quotations_do_not():
    old, new = contexts(11)["Idrane"], contexts(12)["Idrane"]
    assert old.any_pronouns == {"male": 1}  # "Idrane said, "He is late."": the man she speaks of
    assert new.any_pronouns == {"female": 3}  # her cup, her hair, her lamp; the quotation is cut
    assert new.pronouns.total() == 0  # possessives are weak evidence only


@pytest.mark.parametrize("word, possessive", [("cup", True), ("threading", True), ("red", True), ("alongside", False),
                                              ("on", False), ("and", False), ("again", False), ("Wenna", False),
                                              ("", False)])
def test_her_is_possessive_before_a_noun_or_adjective_only(word, possessive):
    assert _possessive_before(word) is possessive


def test_a_possessive_after_an_object_pronoun_is_not_read():
    texts = {"d": "Marrit looked at her and smoothed her skirt. Marrit told him his boat was late. "}
    ctx = read_contexts(find_occurrences(["Marrit"], texts), texts, set(), level=12)["Marrit"]
    assert not ctx.any_pronouns  # "her" then "him" end the search: someone else is in the sentence


def test_a_real_feast_is_kept(v11, v12):
    assert v11["Easter"].accepted
    assert not v12["Easter"].accepted and "real feast" in v12["Easter"].reason


def test_bold_is_no_italic():
    texts = {"d": "**Winky** served the house. **Winky** cried. *Tamsel* was read aloud. "}
    ctx = read_contexts(find_occurrences(["Winky", "Tamsel"], texts), texts, set(), level=12)
    assert ctx["Winky"].italic == 0 and ctx["Tamsel"].italic == 1


def test_explain_shows_the_cues_from_v12():
    from collections import Counter

    from anchors.context import explain_evidence

    shown = explain_evidence("Grey Tamsel", {"d": TEXT}, Counter({"GPE": 2}), lambda w: False, level=12)
    assert shown["ship cues"] == 3 and shown["type"] == "object"
    assert "ship cues" not in explain_evidence("Grey Tamsel", {"d": TEXT}, Counter({"GPE": 2}), lambda w: False, level=11)
