"""decide_v17 / names_v17 on hand-written sentences (a river town; no spaCy), v16 against v17: a titled name
is a key of its own whose title stays, a barge or an animal called by a common noun keeps its anchor when
the text shows what it is, an invented word before three people's names is a form of address (a rank, not a
given name), and "House X" written once is a key when X is anchored."""

from __future__ import annotations

import pytest

from anchors.build_v3 import address_words
from anchors.candidates import Candidate
from anchors.candidates_v3 import built_names, titled_names
from anchors.context import find_occurrences, read_contexts
from anchors.evidence import word_counts
from anchors.gender import guess_name
from tests.anchors.versions import build

TEXT = (
    "Madam Pomfrey mended the arm, and she scolded the boy. Pomfrey had seen worse; she said so. "
    "Uncle Vernon shouted, and Vernon Dursley slammed the door; he was red. "
    "They came up the river on the Hales' barge Patience, which carried flour. "
    "The crew of the Patience slept on deck. "
    "Clove whined at the gate. The dog Clove ran off; Clove barked twice. "
    "Gantry came riding Sultan bareback, and Sultan's hooves rang on the setts. "
    "Messa Cateline bowed. Messa Isaura smiled. Messa Morvaine frowned, and Messa Quiravel left. "
    "Cateline Quiravel opened the case; she wept. Cateline closed it again, and she laughed. "
    "It was the badge of House Morvaine. Isaura Morvaine wore it; she was proud. "
)
SPANS = {"Pomfrey": "PERSON", "Vernon Dursley": "PERSON", "Vernon": "PERSON", "Patience": "GPE", "Clove": "PERSON",
         "Sultan": "GPE", "Gantry": "PERSON", "Messa Cateline": "PERSON", "Messa Isaura": "PERSON",
         "Messa Morvaine": "PERSON", "Messa Quiravel": "PERSON", "Cateline Quiravel": "PERSON", "Cateline": "ORG",
         "Isaura Morvaine": "PERSON", "Morvaine": "PERSON"}


@pytest.fixture(scope="module")
def v16():
    return build(16, TEXT * 2, SPANS)


@pytest.fixture(scope="module")
def v17():
    return build(17, TEXT * 2, SPANS)


def test_titled_names_are_keys_of_their_own_from_v17_and_keep_their_title(v16, v17):
    for term in ("Madam Pomfrey", "Uncle Vernon"):
        assert term not in v16 or not v16[term].accepted
        assert v17[term].accepted and v17[term].label == "PERSON"
    name = v17["Pomfrey"].replacement
    assert v17["Madam Pomfrey"].replacement == f"Madam {name}"  # the title stays, the name is the name's own
    assert v17["Uncle Vernon"].replacement == f"Uncle {v17['Vernon'].replacement}"
    assert v16["Pomfrey"].replacement == name  # nothing else moved


def test_titled_names_need_an_anchored_person_word_and_a_title_that_is_no_key():
    texts = {"d": "Madam Pomfrey came. Madam Rosmerta smiled. Lampwarden Quade spoke. Mr. Weasley sat."}
    found = titled_names(texts, {"Madam", "Mr", "Lampwarden"}, {"Pomfrey", "Quade", "Weasley"}, {"Lampwarden"})
    assert found == {"Madam Pomfrey": "Pomfrey", "Mr. Weasley": "Weasley"}  # Rosmerta: no key; Lampwarden: a key


def test_a_barge_and_animals_called_by_common_nouns_keep_their_anchor_from_v17(v16, v17):
    assert not v16["Patience"].accepted  # v9's rule: a common noun naming a thing stays
    for term in ("Patience", "Sultan", "Clove"):
        assert v17[term].accepted and v17[term].label == "PRODUCT", term
    assert v16["Sultan"].label == "PERSON"  # a horse, not a man


def test_vessel_and_animal_cues_are_read_only_from_v17():
    texts = {"d": TEXT}
    terms = ["Patience", "Clove", "Sultan", "Gantry"]
    old = read_contexts(find_occurrences(terms, texts), texts, set(), level=16)
    new = read_contexts(find_occurrences(terms, texts), texts, set(), level=17)
    assert old["Patience"].vessel == 1 and new["Patience"].vessel == 2  # "crew of the" (v12) + "barge Patience"
    assert old["Clove"].animal == 1 and new["Clove"].animal == 3  # "The dog Clove" (v16) + whined, barked
    assert old["Sultan"].animal == 0 and new["Sultan"].animal == 2  # riding Sultan, Sultan's hooves
    assert new["Gantry"].animal == new["Gantry"].vessel == 0  # a man riding is no animal


def test_an_invented_word_before_three_names_is_a_form_of_address():
    texts = {"d": TEXT}
    singles = ["Messa", "Cateline", "Gantry", "Kharrow"]
    names = {"Cateline", "Isaura", "Morvaine", "Quiravel", "Bridge", "Road", "Mill"}
    assert address_words(singles, texts, names, set(), word_counts(texts.values())) == {"Messa"}
    roads = {"d": "Kharrow Bridge fell. Kharrow Road flooded. Kharrow Mill burned. Kharrow Cateline wept."}
    assert address_words(["Kharrow"], roads, names, set(), word_counts(roads.values())) == set()  # head words: English


def test_an_address_word_is_a_rank_and_the_names_after_it_are_given_names(v16, v17):
    assert v16["Messa"].label == "PERSON"
    assert v17["Messa"].accepted and v17["Messa"].label == "TITLE"
    assert guess_name(v17["Cateline"].replacement) == "female"  # she, and no longer the surname of "Messa Cateline"


def test_house_written_once_is_a_key_when_its_name_word_is_anchored(v17):
    texts = {"d": "It was the badge of House Morvaine. House Quiravel held. House Quiravel fell."}
    assert built_names({}, texts, set(), 17) == ["House Quiravel"]  # no English word, twice; Morvaine: no key
    anchored = {"Morvaine": Candidate("Morvaine", accepted=True)}
    assert built_names(dict(anchored), texts, set(), 16) == ["House Quiravel"]
    assert built_names(dict(anchored), texts, set(), 17) == ["House Morvaine", "House Quiravel"]
    assert v17["House Morvaine"].replacement == f"House {v17['Morvaine'].replacement}"


def test_a_given_name_before_one_surname_mostly_or_a_place_seldom_before_names_is_no_address():
    albus = {"d": "Albus Dumbledore came. " * 6 + "Albus Severus slept. Albus Percival woke. Albus Cateline ate. "}
    names = {"Dumbledore", "Severus", "Percival", "Cateline", "Snape", "Filch", "Lily"}
    assert address_words(["Albus"], albus, names, set(), word_counts(albus.values())) == set()
    school = {"d": "He went to Hogwarts. " * 12 + "At Hogwarts Snape sneered. At Hogwarts Filch swept. At Hogwarts Lily sang."}
    assert address_words(["Hogwarts"], school, names, set(), word_counts(school.values())) == set()


def test_a_ship_spoken_of_is_no_vessel_cue_for_the_person_spoken_to():
    texts = {"d": '"The Thora Lind is my ship, Aurelian," she said. They boarded the barge, the Patience.'}
    ctx = read_contexts(find_occurrences(["Aurelian", "Patience"], texts), texts, set(), level=17)
    assert ctx["Aurelian"].vessel == 0 and ctx["Patience"].vessel == 1


# v18 (not the default): rivers by what they do, places by the noun after them, ships by what they are
RIVERS = (
    "By July the Callow had shrunk to a thread. The Ysse shrank back into its bed. The Wendle bent east. "
    "He crossed at the Ilvey bridge. The Linnet ran thin that summer. "
    "The Imbrasca was House Tesk's great barge. They sold their barge the Imbrasca. "
    "He came on the Brass Hen, the second engine, with a wagon. "
    "The Tamsett ran to the door. Mara Tamsett was the ship's cook. The Vell was a good ship's captain. "
)


def test_rivers_places_and_ships_by_their_words_are_read_only_from_v18():
    texts = {"d": RIVERS}
    terms = ["Callow", "Ysse", "Wendle", "Ilvey", "Linnet", "Imbrasca", "Brass Hen", "Tamsett", "Vell"]
    old = read_contexts(find_occurrences(terms, texts), texts, set(), level=17)
    new = read_contexts(find_occurrences(terms, texts), texts, set(), level=18)
    for river in ("Callow", "Ysse", "Wendle", "Ilvey", "Linnet"):
        assert old[river].landmark == 0 and new[river].landmark == 1, river
    assert old["Imbrasca"].vessel == 0 and new["Imbrasca"].vessel == 2
    assert old["Brass Hen"].vessel == 0 and new["Brass Hen"].vessel == 1
    # a family that runs, a cook of a ship and a ship's captain are no rivers and no ships
    assert new["Tamsett"].landmark == new["Tamsett"].vessel == new["Vell"].vessel == 0


def test_a_given_name_before_an_anchored_surname_once_is_a_full_name_key():
    from anchors.candidates_v3 import first_names

    texts = {"d": "Lionel Ashby had been unwell. Aldous Threlkin signed. Old Ashby coughed. Afterward Ashby slept. "
                  "Kharrow Ashby met them. Madam Ashby smiled. Mr. Ashby left. So Ashby went. When Threlkin came."}
    found = first_names(texts, {"Ashby", "Threlkin"}, {"Madam", "Mr"}, {"Kharrow"})
    assert found == {"Aldous Threlkin": "Threlkin", "Lionel Ashby": "Ashby"}


def test_full_name_keys_are_built_only_from_v18():
    text = "Lionel Ashby had been unwell. Ashby said so; he was old. Mr Ashby coughed, and Ashby left. " * 2
    spans = {"Ashby": "PERSON"}
    old, new = build(17, text, spans), build(18, text, spans)
    assert "Lionel Ashby" not in old or not old["Lionel Ashby"].accepted
    assert new["Lionel Ashby"].accepted and new["Lionel Ashby"].replacement.endswith(" " + new["Ashby"].replacement)
    assert guess_name(new["Lionel Ashby"].replacement.split()[0]) == "male"


def test_a_titled_key_is_recorded_but_the_substitution_starts_at_the_name(v17):
    import pyarrow as pa

    from corpus_tools.translate import Matcher, translate_text

    rows = [{"term": t, "replacement": c.replacement, "label": c.label, "source": c.source}
            for t, c in v17.items() if c.accepted]
    assert {r["term"] for r in rows if r["source"] == "titled"} >= {"Madam Pomfrey", "Uncle Vernon"}
    text = "Madam Pomfrey mended the arm."
    out, spans = translate_text(text, Matcher.from_table(pa.Table.from_pylist(rows)))
    name = v17["Pomfrey"].replacement
    assert out == f"Madam {name} mended the arm."
    assert [text[s.start:s.end] for s in spans] == ["Pomfrey"]  # not "Madam Pomfrey": the title stays outside
