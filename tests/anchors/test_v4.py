"""decide_v4 / names_v4 on hand-written dev sentences (a river-delta world; no spaCy): looser titles, spatial
prepositions, head words, plural bodies, and ordinary English words naming things left alone."""

from __future__ import annotations

from collections import Counter

from anchors.build import AnchorSettings, make_dictionary
from anchors.context import corpus_titles, find_occurrences, read_contexts, type_votes
from anchors.evidence import word_counts
from tests.anchors.test_dictionary import mention_rows

V3 = AnchorSettings(decision="decide_v3", names="names_v3")
V4 = AnchorSettings(decision="decide_v4", names="names_v4")
TEXT = (
    "Prioress Ilsa Venn walked along the dyke. The Prioress was tired. The Prioress rested. "
    "Ilsa Venn said she would wait. The Prioress prayed. Prioress Venn left for Duskmarsh at noon. "
    "Letters came from Quellhaven. The boat went back to Quellhaven and past Quellhaven to the sea. "
    "Orrin Tave sailed the Heron from Quellhaven. Orrin Tave said the Heron leaked. He laughed. "
    "Orrin slept in the Marrowfen, and woke in the Marrowfen at dawn. "
    "The Reedguild met at Harlen Abbey. The Abbey bell rang twice. The Abbey was cold. "
    "The Reedwardens came to the Abbey. A Reedwarden stood guard. The Reedwardens said nothing. "
    "On Mistwake Night the lamps burned. At Mistwake Night Orrin sang. "
)
SPANS = {"Ilsa Venn": "PERSON", "Ilsa": "PERSON", "Venn": "PERSON", "Prioress": "ORG", "Quellhaven": "PERSON",
         "Orrin Tave": "PERSON", "Orrin": "PERSON", "Heron": "ORG", "Marrowfen": "ORG", "Reedguild": "ORG",
         "Harlen Abbey": "PERSON", "Abbey": "ORG", "Reedwardens": "PERSON", "Mistwake Night": "GPE",
         "Duskmarsh": "GPE"}


def build(settings=V4, text=TEXT * 3):
    return make_dictionary(mention_rows(text, SPANS), {"d": text}, settings)


def test_a_rank_before_names_and_after_the_is_a_title_without_a_majority():
    texts = {"d": TEXT * 3}
    ctx = read_contexts(find_occurrences(["Prioress"], texts), texts, set(), frozenset({"Ilsa", "Venn"}))
    c = ctx["Prioress"]
    assert c.before_person == 6 and c.the_alone == 9 and c.before_name < 0.5 * c.seen
    assert "Prioress" in corpus_titles(word_counts(texts.values()), ctx, level=4)
    assert "Prioress" not in corpus_titles(word_counts(texts.values()), ctx)  # v3: not half before names
    cands, _ = build()
    assert not cands["Prioress"].accepted and cands["Prioress"].reason.startswith("a title")
    v3, _ = build(V3)
    assert v3["Prioress"].accepted  # the v3 rules still build their own dictionary


def test_spatial_prepositions_make_places_of_names_that_never_speak():
    cands, _ = build()
    # NER said PERSON / ORG; "from Quellhaven", "to Quellhaven", "in the Marrowfen" say place.
    assert cands["Quellhaven"].label == "GPE" and cands["Marrowfen"].label == "GPE"
    assert cands["Orrin"].label == "PERSON"  # he also sails "from Quellhaven", but he speaks and takes "he"
    v3, _ = build(V3)
    assert v3["Quellhaven"].label == "PERSON"


def test_a_head_word_beats_a_preposition_and_plural_bodies_are_organisations():
    cands, _ = build()
    assert cands["Mistwake Night"].label == "EVENT" and cands["Mistwake Night"].replacement.endswith(" Night")
    assert cands["Reedwardens"].label == "ORG"
    votes = type_votes("Reedwardens", read_contexts(find_occurrences(["Reedwardens"], {"d": TEXT}), {"d": TEXT}, set())["Reedwardens"],
                       Counter(PERSON=1), word_counts([TEXT]), lambda w: False, lambda w: False, level=4)
    assert votes["organisation"] > votes["person"]


def test_english_words_naming_things_stay_and_their_longer_names_do_not():
    cands, _ = build()
    assert not cands["Abbey"].accepted and "short form of 'Harlen Abbey'" in cands["Abbey"].reason
    assert cands["Harlen Abbey"].accepted and cands["Harlen Abbey"].replacement != "Harlen Abbey"
    assert not cands["Heron"].accepted and "common English noun" in cands["Heron"].reason
    assert cands["Reedguild"].accepted  # an invented compound is no English word
    v3, _ = build(V3)
    assert v3["Abbey"].accepted and v3["Heron"].accepted
