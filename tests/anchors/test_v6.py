"""decide_v6 / names_v6 on hand-written sentences (a fenland world; no spaCy model for the dictionary): a
gendered word before a name ("his son Wend", "Aunt Ysolde") and a single pronoun give a given name its
gender where v5 drew one at random; a short form that is a rare English word ("the Clarion") stays."""

from __future__ import annotations

from collections import Counter

from anchors.build import AnchorSettings, make_dictionary
from anchors.context import find_occurrences, read_contexts
from anchors.gender import guess_name
from anchors.lexicon import parts_of_speech
from anchors.naming_v3 import given_gender
from tests.anchors.test_dictionary import mention_rows

V5 = AnchorSettings(decision="decide_v5", names="names_v5")
V6 = AnchorSettings(decision="decide_v6", names="names_v6")
# Wend and Ysolde have no pronoun after them and gender-guesser knows none of the three; Brannoc has one "he".
TEXT = (
    "Old Harrow Quen kept the mill at Fennick. His son Wend Quen mended the nets, and his son Wend "
    "rowed to market. The miller sent his son Wend Quen to the reeds. "
    "Aunt Ysolde Brake kept the ledgers of the mill. Aunt Ysolde counted the sacks, and Aunt Ysolde "
    "read the Fennick Clarion. Everyone read the Fennick Clarion, and the Clarion printed the prices. "
    "The Clarion was late. Brannoc Tave crossed the dyke at dusk; he carried eels. Brannoc Tave waited. "
    "Snow lay on Harrow Fell. The shepherds of Harrow Fell came down for Lanternight. Lanternight was loud. "
)
SPANS = {"Harrow Quen": "PERSON", "Wend Quen": "PERSON", "Wend": "PERSON", "Ysolde Brake": "PERSON",
         "Ysolde": "PERSON", "Fennick": "GPE", "Fennick Clarion": "ORG", "Clarion": "ORG", "Brannoc Tave": "PERSON",
         "Harrow Fell": "PERSON", "Lanternight": "PERSON"}


def build(settings=V6, text=TEXT * 3):
    return make_dictionary(mention_rows(text, SPANS), {"d": text}, settings)


def given(cands, term):
    return cands[term].replacement.split()[0]


def test_a_gendered_word_before_a_name_gives_its_gender():
    texts = {"d": TEXT}
    ctx = read_contexts(find_occurrences(["Wend Quen", "Wend", "Ysolde Brake", "Ysolde"], texts), texts, set())
    # "Wend" is also found inside "Wend Quen": its counts include the full name's
    assert ctx["Wend"].gendered == Counter(male=3) and ctx["Wend Quen"].gendered == Counter(male=2)
    assert ctx["Ysolde"].gendered == Counter(female=3) and ctx["Ysolde Brake"].gendered == Counter(female=1)
    for name in ("Wend", "Ysolde", "Brannoc"):
        assert guess_name(name) == "unknown"  # the case v6 is for: no name list knows them
    cands, _ = build()
    assert guess_name(given(cands, "Wend Quen")) == "male"
    assert guess_name(given(cands, "Ysolde Brake")) == "female"


def test_a_full_stop_ends_the_gendered_word_unless_it_is_an_abbreviation():
    texts = {"d": "The boat was his brother. Arlo Venn laughed. She waved to Mrs. Dell Ash and to Mrs Dell Ash."}
    ctx = read_contexts(find_occurrences(["Arlo Venn", "Dell Ash"], texts), texts, set())
    assert ctx["Arlo Venn"].gendered == Counter()  # "his brother. Arlo": another sentence
    assert ctx["Dell Ash"].gendered == Counter(female=2)


def test_a_single_pronoun_beats_a_coin_only_in_v6():
    one_he = Counter(male=1)
    assert given_gender("Brannoc", one_he, Counter()) == "unknown"  # v5: needs two
    assert given_gender("Brannoc", one_he, Counter(), Counter()) == "male"
    assert given_gender("Brannoc", Counter(male=1, female=1), Counter(), Counter()) == "unknown"  # a split vote stays a coin
    # the word before the name outranks pronouns and gender-guesser alike
    assert given_gender("Mary", Counter(), Counter(), Counter(male=2)) == "male"


def test_v6_genders_where_v5_drew_at_random():
    cands, _ = build()
    assert guess_name(given(cands, "Brannoc Tave")) == "male"
    v5, _ = build(V5)
    assert {v5[t].replacement for t in ("Harrow Quen", "Fennick")} == {cands[t].replacement for t in ("Harrow Quen", "Fennick")}


def test_a_short_form_that_is_a_rare_english_word_stays_in_v6():
    assert parts_of_speech("Clarion") >= {"noun"} and parts_of_speech("Hogwarts") == set()
    cands, _ = build()
    assert cands["Fennick Clarion"].accepted and not cands["Clarion"].accepted
    assert "short form" in cands["Clarion"].reason
    v5, _ = build(V5)
    assert v5["Clarion"].accepted  # Zipf 2.9: under v5's threshold of 3


def test_more_landform_heads_and_festival_names_in_v6():
    cands, _ = build()
    assert cands["Harrow Fell"].label == "GPE" and cands["Lanternight"].label == "EVENT"
    v5, _ = build(V5)
    assert v5["Harrow Fell"].label == "PERSON" and v5["Lanternight"].label == "PERSON"  # NER's word, as in v5
