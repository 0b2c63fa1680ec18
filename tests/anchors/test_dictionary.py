"""The dictionary from mention rows (no spaCy): decisions and reasons, genders, collisions, determinism."""

from __future__ import annotations

from anchors.build import AnchorSettings, make_dictionary
from anchors.gender import guess_name, pronoun_votes
from anchors.terms import word_set

TEXT = (
    "Harry Potter went to Hogwarts with Ron Weasley and Ginny Weasley. Harry loved Quidditch. "
    "Professor Dumbledore met Harry in London on Monday; Ron spoke English. Hagrid laughed. "
    "Madam Pomfrey helped Ginny. The school was big. Potter's friends cheered. Hogwarts was old. "
    "Mr. Weasley visited Hogwarts. Quidditch is fun. Dumbledore smiled and Hagrid waved. "
)


def mention_rows(text: str, spans: dict[str, str]) -> list[dict]:
    """Every occurrence of each key of `spans` as a mention labelled with its value."""
    rows = []
    for surface, label in spans.items():
        start = text.find(surface)
        while start >= 0:
            rows.append({"doc_id": "d", "end_char": start + len(surface), "text": surface, "label": label})
            start = text.find(surface, start + 1)
    return rows


SPANS = {"Harry Potter": "PERSON", "Harry": "PERSON", "Hogwarts": "ORG", "Ron Weasley": "PERSON",
         "Ginny Weasley": "PERSON", "Ginny": "PERSON", "Ron": "PERSON", "Quidditch": "PRODUCT",
         "Professor Dumbledore": "PERSON", "Dumbledore": "PERSON", "London": "GPE", "Monday": "DATE",
         "English": "LANGUAGE", "Hagrid": "PERSON", "Madam Pomfrey": "PERSON", "Potter's": "PERSON",
         "Mr. Weasley": "PERSON", "The school": "ORG"}


# The released v2 rules, pinned: the v3 default has its own tests (test_v3.py).
V2 = AnchorSettings(decision="decide_v2", names="names_v2")


def build(settings=None, overrides=None, text=TEXT * 3):
    cands, mapping = make_dictionary(mention_rows(text, SPANS), {"d": text}, settings or V2,
                                     overrides)
    return cands, mapping


def test_real_and_common_words_rejected_with_reasons():
    cands, _ = build()
    assert cands["London"].reason.startswith("too common in general English (Zipf 5.27")
    assert cands["Monday"].reason == "rejected label DATE"
    assert cands["English"].reason.startswith("too common in general English")
    assert cands["school"].reason == "stopword" or not cands["school"].accepted
    assert cands["Pomfrey"].accepted
    assert build(V2.model_copy(update={"min_mentions": 4}))[0]["Pomfrey"].reason == "too rare (3 mention(s) < 4)"
    for c in cands.values():
        assert c.reason
        if c.accepted:
            assert c.zipf < 5.0, c.term


def test_zipf_limit_is_a_setting():
    cands, _ = build(AnchorSettings(max_zipf=4.0))
    assert not cands["Harry"].accepted and "Zipf 4.72 >= 4.0" in cands["Harry"].reason


def test_aliases_get_one_family_of_replacements_and_keep_gender():
    cands, mapping = build()
    harry, potter = cands["Harry"].replacement, cands["Potter"].replacement
    assert cands["Harry Potter"].replacement == f"{harry} {potter}"
    assert cands["Harry Potter"].reason.startswith("sub-key rule") and not cands["Harry Potter"].accepted
    assert cands["Ron Weasley"].replacement.split()[1] == cands["Weasley"].replacement
    assert guess_name(harry) == "male" and guess_name(cands["Ginny"].replacement) == "female"
    assert guess_name(cands["Ron"].replacement) == "male"
    assert cands["Harry"].cluster == cands["Potter"].cluster == cands["Harry Potter"].cluster


def test_replacements_never_collide_and_start_with_a_name():
    cands, _ = build()
    corpus_words = word_set(TEXT)
    accepted = [c for c in cands.values() if c.accepted]
    reps = [c.replacement for c in accepted]
    assert len(set(reps)) == len(reps)
    terms = {c.term for c in cands.values()}
    for c in accepted:
        assert c.replacement not in terms and c.replacement.lower() not in corpus_words
        assert c.replacement.split()[0].lower() not in corpus_words and c.replacement.split()[0].lower() not in {"the", "a", "of"}


def test_same_inputs_and_seed_same_dictionary_other_seed_differs():
    first = {t: (c.replacement, c.reason) for t, c in build()[0].items()}
    assert first == {t: (c.replacement, c.reason) for t, c in build()[0].items()}
    other = {t: c.replacement for t, c in build(AnchorSettings(seed=1))[0].items()}
    assert other != {t: r for t, (r, _) in first.items()}


def test_overrides_win_over_everything():
    cands, _ = build(overrides={"Harry": "Jon", "London": "Ashford", "Hagrid": "keep", "Privet Drive": "Elm Road"})
    assert cands["Harry"].replacement == "Jon" and cands["Harry"].reason == "manual override"
    assert cands["Potter"].accepted and cands["Harry Potter"].replacement.startswith("Jon ")
    assert cands["London"].accepted and cands["London"].replacement == "Ashford" and cands["London"].source == "override"
    assert not cands["Hagrid"].accepted and cands["Hagrid"].reason == "manual override: keep"
    assert cands["Privet Drive"].accepted  # not in the corpus, still in the dictionary


def test_pronouns_decide_an_unknown_first_name():
    assert pronoun_votes([" smiled and she left.", ". She ran.", " said she would."]) == "female"
    assert pronoun_votes([" told Albus Dumbledore he was late.", " said he would."]) == "unknown"
    assert pronoun_votes([" said he would.", ". He ran.", " and she"]) == "unknown"
