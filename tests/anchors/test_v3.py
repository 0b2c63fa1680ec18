"""decide_v3 / names_v3 on hand-written dev sentences (a desert-caravan world; no spaCy): types from context,
genders from pronouns, families, invented words in any case, titles, overrides, stable draws."""

from __future__ import annotations

from collections import Counter

import pytest

from anchors.build import AnchorSettings, make_dictionary
from anchors.context import (corpus_titles, find_occurrences, pronoun_gender, read_contexts)
from anchors.evidence import word_counts
from anchors.gender import guess_name
from anchors.heuristics import decide_v3
from corpus_tools.errors import ObliviateError
from tests.anchors.test_dictionary import mention_rows

V3 = AnchorSettings(decision="decide_v3", names="names_v3")
TEXT = (
    "Warden Ysolde Karrow rode into Tamsrin at dawn. She carried a sandglobe in her pack. "
    "Ysolde Karrow said nothing. Warden Ysolde smiled. The Warden had crossed the Ashfen twice. "
    "Peter Karrow, her brother, waited at Tamsrin with the caravan. He kept the accounts. "
    "Peter said the sandglobe was humming. Peter laughed. In Tamsrin the Dune Council met. "
    "The Dune Council wanted the sandglobe. Karrow refused, and Ysolde smiled. "
    "Dace Orrin had lived in Velmoor. He told Ysolde about the sandglobes of Velmoor. "
    "Dace said they were warm. Dace Orrin asked the Warden for water. "
    "Sandglobe traders came to Tamsrin from Lisbon on Monday. The Karrows owned the well at Tamsrin. "
)
SPANS = {"Ysolde Karrow": "PERSON", "Ysolde": "PERSON", "Tamsrin": "PERSON", "Peter Karrow": "PERSON",
         "Peter": "PERSON", "Karrow": "ORG", "Dune Council": "PERSON", "Ashfen": "PERSON", "Dace Orrin": "PERSON",
         "Dace": "PERSON", "Velmoor": "PERSON", "Lisbon": "GPE", "Monday": "DATE", "Karrows": "PERSON",
         "Warden": "ORG", "Sandglobe": "MONEY"}


def build(overrides=None, text=TEXT * 3):
    return make_dictionary(mention_rows(text, SPANS), {"d": text}, V3, overrides)


def test_types_come_from_context_not_from_the_ner_label():
    cands, _ = build()
    # NER called Tamsrin and Velmoor PERSON; "in Tamsrin", "at Tamsrin", "in Velmoor" make them places.
    assert cands["Tamsrin"].label == "GPE" and cands["Velmoor"].label == "GPE"
    assert cands["Dune Council"].label == "ORG" and cands["Dune Council"].replacement.endswith(" Council")
    assert cands["Ysolde"].label == "PERSON"
    assert "NER said PERSON" in cands["Tamsrin"].reason  # the disagreement is kept for review


def test_titles_the_corpus_uses_stay_titles():
    cands, _ = build()
    assert not cands["Warden"].accepted and cands["Warden"].reason.startswith("a title")
    assert "Warden Ysolde Karrow" not in cands or not cands["Warden Ysolde Karrow"].accepted


def test_gender_from_pronouns_beats_the_name_guess():
    cands, _ = build()
    assert guess_name("Dace") == "female"  # gender-guesser's answer ...
    assert guess_name(cands["Dace"].replacement) == "male"  # ... loses to "Dace ... He told", "Dace said"
    assert guess_name(cands["Ysolde"].replacement) == "female"


def test_families_anchor_common_first_names_and_lone_surnames():
    cands, _ = build()
    peter, karrow = cands["Peter"], cands["Karrow"]
    assert peter.accepted and peter.replacement != "Peter"  # a common English name used alone, of a Karrow
    assert karrow.accepted and cands["Karrows"].replacement == karrow.replacement + "s"
    assert cands["Peter Karrow"].replacement == f"{peter.replacement} {karrow.replacement}"
    assert cands["Orrin"].accepted  # a surname seen only inside "Dace Orrin"


def test_invented_words_in_any_case_get_generic_nouns_and_real_words_stay():
    cands, _ = build()
    low, cap = cands["sandglobe"], cands["Sandglobe"]
    assert low.accepted and cap.accepted and cap.replacement == low.replacement.capitalize()
    assert low.replacement.isalpha() and low.replacement.islower()
    assert cands["sandglobes"].replacement == low.replacement + "s" or not cands["sandglobes"].accepted
    for word in ("Lisbon", "Monday"):
        assert not cands[word].accepted


def test_decide_v3_rejects_ordinary_nouns_and_keeps_unknown_compounds():
    assert decide_v3("ferryman", "NOUN", 2.22, 4.0, V3, {})[0] is False
    assert decide_v3("satchel", "NOUN", 2.9, 4.0, V3, {})[0] is False
    ok, reason = decide_v3("tidestone", "NOUN", 0.0, 6.0, V3, {})
    assert ok and reason.startswith("invented word")
    assert decide_v3("civilities", "NOUN", 0.0, 5.0, V3, {})[1].startswith("English word derived from")
    assert decide_v3("Magister", "PERSON", 2.4, 4.0, V3, {"title": True})[0] is False


def test_overrides_are_case_insensitive_inflected_and_reach_longer_names():
    cands, _ = build({"SANDGLOBE": "moonstone", "council": "Assembly"})
    assert cands["sandglobe"].replacement == "moonstone" and cands["Sandglobe"].replacement == "Moonstone"
    assert cands["sandglobes"].replacement == "moonstones"
    assert cands["Dune Council"].replacement.endswith(" Assembly")


def test_fixing_one_term_leaves_the_others_replacements_alone():
    before, _ = build()
    after, _ = build({"Ysolde": "Mira"})
    assert after["Ysolde"].replacement == "Mira"
    for term in ("Peter", "Karrow", "Tamsrin", "Velmoor", "Dace", "sandglobe", "Dune Council"):
        assert after[term].replacement == before[term].replacement, term


def test_v3_needs_names_v3():
    with pytest.raises(ObliviateError, match="go together"):
        make_dictionary([], {"d": "x"}, AnchorSettings(decision="decide_v3", names="names_v2"))


def test_context_counts_and_corpus_titles():
    texts = {"d": "Magister Oake spoke. The Magister smiled. Magister Oake left. Magister Brann came. "
                  "Oake said she would go. In Corrow the bells rang. They rode to Corrow. "}
    ctx = read_contexts(find_occurrences(["Magister", "Oake", "Corrow"], texts), texts, set())
    assert ctx["Magister"].before_name == 3 and ctx["Magister"].the_alone == 1
    assert ctx["Oake"].speech >= 2 and ctx["Oake"].pronouns == Counter(female=1)
    assert ctx["Corrow"].place_prep == 1
    assert "Magister" in corpus_titles(word_counts(texts.values()), ctx)
    assert pronoun_gender(Counter(male=3, female=1)) == "male" and pronoun_gender(Counter(male=1)) == "unknown"


def test_v3_replacements_never_collide_and_are_deterministic():
    cands, _ = build()
    reps = [c.replacement for c in cands.values() if c.accepted]
    corpus = {w.lower() for w in TEXT.replace(".", " ").replace(",", " ").split()}
    assert len(reps) == len(set(reps))
    assert not {w.lower() for r in reps for w in r.split()} & (corpus - {"council"})
    again, _ = build()
    assert {t: c.replacement for t, c in again.items()} == {t: c.replacement for t, c in cands.items()}


def test_a_word_said_the_x_is_no_family_name():
    text = ("Inspector Hale Mercer came from Carrow Yard. Hale Mercer said the Yard was busy. He went back to Carrow Yard. "
            "The Yard sent for him. Hale Mercer laughed. Mercer knew the Yard. ") * 3
    cands, _ = make_dictionary(mention_rows(text, {"Hale Mercer": "PERSON", "Carrow Yard": "PERSON", "Mercer": "PERSON"}),
                               {"d": text}, V3)
    assert cands["Mercer"].accepted and cands["Hale"].accepted
    assert "Yard" not in cands or not cands["Yard"].accepted
