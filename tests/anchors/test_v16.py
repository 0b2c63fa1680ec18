"""decide_v16 / names_v16 on hand-written sentences (a border march; no spaCy), v15 against v16: clans and
houses are families replaced by surnames ("House" stays), a river with banks is a place, a given name before a
place word is a person when others share the surname, an invented rank before names and alone is a title,
offices "X of Y" of English words are no keys, and many pronouns in any position overrule gender-guesser."""

from __future__ import annotations

from collections import Counter

import pytest

from anchors.candidates_v3 import built_names, of_phrases
from anchors.context import corpus_titles, find_occurrences, read_contexts, type_votes
from anchors.evidence import word_counts
from anchors.gender import guess_name, is_known_name
from anchors.naming_v3 import given_gender
from tests.anchors.versions import build

PLACE_ENDS = ("ford", "field", "ton", "ley", "bury", "wick", "worth", "stead", "combe", "mere", "dale")

TEXT = (
    "The riders of the Marrak clan came down at dusk. Nobody trusted the Marrak clan. "
    "The Marraks camped by the ford. "
    "House Carrow held the fort, and House Carrow paid the men. Edric Carrow was lord there; he rode out. "
    "Ysolde Carrow watched him go, and she said nothing. "
    "They waded into the Tern at noon. The bank of the Tern was steep, and the middle of the Tern ran fast. "
    "The Tern rose every spring. "
    "Clara Marsh hung the washing; she sang. Tobias Marsh came home and he ate. Eleanor Marsh laughed. "
    "Clara Marsh scolded him. Tobias Marsh said sorry. Eleanor Marsh left. "
    "Yurin Taskar spoke first. The Yurin was old. Yurin Ashka answered him. "
    "Orrel Vance was Head of House and the Head of House spoke first. "
    "Vance signed the Treaty of Varnholm; the Treaty of Varnholm held. "
)
SPANS = {"Marrak": "GPE", "Carrow": "GPE", "Edric Carrow": "PERSON", "Ysolde Carrow": "PERSON", "Tern": "ORG",
         "Clara Marsh": "PERSON", "Tobias Marsh": "PERSON", "Eleanor Marsh": "PERSON", "Yurin": "GPE",
         "Taskar": "PERSON", "Ashka": "PERSON", "Orrel Vance": "PERSON", "Vance": "PERSON", "Varnholm": "GPE"}


@pytest.fixture(scope="module")
def v15():
    return build(15, TEXT * 2, SPANS)


@pytest.fixture(scope="module")
def v16():
    return build(16, TEXT * 2, SPANS)


def contexts(terms, level, text=TEXT):
    texts = {"d": text}
    return read_contexts(find_occurrences(terms, texts), texts, set(), level=level)


def test_a_clan_and_a_house_are_read_only_from_v16():
    old, new = contexts(["Marrak", "Carrow"], 15), contexts(["Marrak", "Carrow"], 16)
    assert old["Marrak"].clan == old["Carrow"].clan == 0
    assert new["Marrak"].clan == 2 and new["Carrow"].clan == 2  # "the Marrak clan" x2, "House Carrow" x2


def test_a_kind_of_family_and_a_heading_are_no_clan():
    text = "She was born to a Muggle family. # Gryffindor House\n\nGryffindor is brave. The Gryffindor clan won."
    ctx = contexts(["Muggle", "Gryffindor"], 16, text)
    assert ctx["Muggle"].clan == 0  # "a Muggle family": a kind, not the family's name
    assert ctx["Gryffindor"].clan == 1  # "House" on the line before is no "House Gryffindor"


def test_clans_are_families_replaced_by_surnames(v15, v16):
    assert v15["Marrak"].label != "PERSON"
    assert v16["Marrak"].label == "PERSON" and "typed family" in v16["Marrak"].reason
    # a family is replaced by a surname (gender-guesser knows no given name in it), not a place's or a thing's
    for family in ("Marrak", "Carrow"):
        replacement = v16[family].replacement
        assert " " not in replacement and guess_name(replacement) == "unknown" and not replacement.endswith(PLACE_ENDS)


def test_house_x_is_a_key_that_keeps_house(v15, v16):
    assert "House Carrow" not in v15 or not v15["House Carrow"].accepted
    house = v16["House Carrow"]
    assert house.accepted and house.label == "PERSON"
    assert house.replacement == f"House {v16['Carrow'].replacement}"  # the family's surname, "House" kept

def test_names_built_on_an_anchored_or_invented_word():
    text = ("House Carrow rode. House Carrow ate. House Miller rode. House Miller ate. Hobday's Bank paid and "
            "Hobday's Bank lent. Miller's Bank paid, Miller's Bank lent. The Bolters' Guild met; the Bolters' "
            "Guild voted. Saint Orrin wept and Saint Orrin prayed. They married at Saint Elfrith's, and Saint "
            "Elfrith's bell rang. Saint Elfrith's Day came. House Quell came once. ")
    found = built_names({}, {"d": text}, {"Bank", "Guild"})
    # "Miller" is English and not anchored; "Quell" is written once after "House"
    assert found == ["Bolters' Guild", "Hobday's Bank", "House Carrow", "Saint Elfrith's", "Saint Orrin"]
    from anchors.candidates import Candidate
    miller = Candidate("Miller", n_mentions=4, label="PERSON")
    miller.accepted = True
    assert "House Miller" in built_names({"Miller": miller}, {"d": text}, {"Bank", "Guild"})


def test_a_river_with_banks_is_a_place(v15, v16):
    ctx = contexts(["Tern"], 16)["Tern"]
    assert ctx.landmark == 2  # "the bank of the Tern", "the middle of the Tern"
    assert v15["Tern"].label != "GPE" and v16["Tern"].label == "GPE"


def votes_for(term, text, kin, level):
    ctx = contexts([term], level, text)[term]
    votes = type_votes(term, ctx, Counter(), Counter(), is_known_name, lambda w: False, kin=kin, level=level)
    return max(votes, key=votes.get)


def test_a_shared_surname_that_is_a_place_word_names_people(v16):
    text = "Clara Marsh hung the washing in the yard. Across the table sat Clara Marsh. "
    assert votes_for("Clara Marsh", text, kin=1, level=15) == "place"  # "Marsh" heads a place, weight 5
    assert votes_for("Clara Marsh", text, kin=1, level=16) == "person"  # "Tobias Marsh" shares it
    assert votes_for("Clara Marsh", text, kin=0, level=16) == "place"  # nobody shares it: still a place
    assert votes_for("Victoria Station", "They met at Victoria Station. ", kin=1, level=16) == "place"
    for name in ("Clara Marsh", "Tobias Marsh"):
        assert v16[name].label == "PERSON"
        assert v16[name].replacement.split()[-1] != "Marsh"  # the surname is replaced, not kept as a head


def test_an_invented_rank_before_names_and_alone_is_a_title(v16):
    # before names in 2 of 5 mentions (v3 wants half), "the Yurin" alone in 2 (v10 wants half)
    text = ("Yurin Taskar spoke first. The Yurin was old. Yurin Ashka answered him. The Yurin slept. "
            "\"Thank you, Yurin,\" said Vance. ")
    counts = word_counts([text])
    assert "Yurin" not in corpus_titles(counts, contexts(["Yurin"], 15, text), 15)
    assert "Yurin" in corpus_titles(counts, contexts(["Yurin"], 16, text), 16)
    assert "Yurin" not in corpus_titles(counts, contexts(["Yurin"], 16, text.replace("The Yurin", "A Yurin")), 16)
    assert v16["Yurin"].label == "TITLE"


def test_an_office_of_english_words_is_no_key(v15, v16):
    assert v15["Head of House"].accepted
    assert "Head of House" not in v16 or not v16["Head of House"].accepted
    assert v16["Treaty of Varnholm"].accepted
    assert of_phrases({}, {"d": TEXT * 2}, set(), level=16) == ["Treaty of Varnholm"]
    # an invented word after "of" keeps an office the universe's own
    assert of_phrases({}, {"d": "Then the Keeper of Varnholm came. The Keeper of Varnholm. "}, set(), level=16) \
        == ["Keeper of Varnholm"]


@pytest.mark.parametrize("weak, any_over_guess, expected", [
    (Counter(female=5), True, "female"),         # gender-guesser says male; five "her"/"she" overrule it
    (Counter(female=5), False, "male"),          # names_v15: gender-guesser first
    (Counter(female=4), True, "male"),           # four are not enough
    (Counter(female=4, male=2), True, "male"),   # 67% agreeing is not enough
    (Counter(female=6, male=2), True, "female"),
])
def test_many_pronouns_anywhere_overrule_gender_guesser(weak, any_over_guess, expected):
    assert given_gender("Wren", Counter(), weak, Counter(), any_over_guess) == expected


def test_a_named_animal_is_no_person():
    text = ("Outside, the pony Moggan was steaming. Moggan shook his mane; he was cold. Kit led the pony Moggan "
            "home, and Moggan ate. He slept. ")
    ctx = contexts(["Moggan"], 16, text)["Moggan"]
    assert ctx.animal == 2 and contexts(["Moggan"], 15, text)["Moggan"].animal == 0
    v15, v16 = build(15, text * 2, {"Moggan": "PERSON"}), build(16, text * 2, {"Moggan": "PERSON"})
    assert v15["Moggan"].label == "PERSON" and v16["Moggan"].label == "PRODUCT"
    assert contexts(["Bracken"], 16, "The lead dog, Bracken, ran. ")["Bracken"].animal == 1
    assert contexts(["Absalom"], 16, "The ram was called Absalom. ")["Absalom"].animal == 1
    assert contexts(["Absalom"], 16, "The ram butted Absalom. ")["Absalom"].animal == 0


def test_a_saint_is_a_person_and_her_church_a_place():
    text = "Saint Orrin wept in the square. They prayed at Saint Elfrith's until dark. "
    assert votes_for("Saint Orrin", text, kin=0, level=16) == "person"
    assert votes_for("Saint Elfrith's", text, kin=0, level=16) == "place"


def test_an_invented_given_name_before_a_surname_place_word_followed_by_pronouns_is_a_person():
    text = ("Ysolde Marsh drew the curtain and her hands shook. Later Ysolde Marsh sat down; her cup was cold. ")
    assert votes_for("Ysolde Marsh", text, kin=0, level=15) == "place"
    assert votes_for("Ysolde Marsh", text, kin=0, level=16) == "person"
    # gone to, it is a place whatever follows it
    assert votes_for("Ysolde Marsh", "They rode to Ysolde Marsh and her sister wept. Ysolde Marsh was wet. "
                     "Her boots sank. ", kin=0, level=16) == "place"


def test_a_heraldic_crest_is_no_landmark():
    text = "The case bore the crest of House Quiravel. The crest of House Quiravel was gold. "
    assert contexts(["House Quiravel"], 16, text)["House Quiravel"].landmark == 0
    assert votes_for("House Quiravel", text, kin=0, level=16) == "family"


def test_more_real_places_from_v16_only():
    from anchors.evidence import real_place

    assert real_place("Malabar", 15) is None and real_place("Malabar", 16) == "place"
    assert real_place("Flanders", 15) == real_place("Flanders", 16) == "place"  # geography.txt, every level
    text = "Her cargo came from Malabar, and the Kestrel had not called at Malabar this season. "
    spans = {"Malabar": "GPE", "Kestrel": "ORG"}
    assert build(15, text * 2, spans)["Malabar"].accepted
    assert not build(16, text * 2, spans)["Malabar"].accepted
