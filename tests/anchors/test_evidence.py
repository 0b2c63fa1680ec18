"""decide_v2 / names_v2: the corpus evidence learnt from a real novel collection, on hand-written text.

Each rule is checked both ways: it fires on the case it was written for and leaves the released v1
heuristics exactly as they were."""

from __future__ import annotations

import pytest

from anchors.build import AnchorSettings, make_dictionary
from anchors.evidence import english_stem, mention_evidence, real_region
from tests.anchors.test_dictionary import mention_rows

TEXT = (
    "Mr. Darcy rode to Kellynch Hall with Anne Elliot. \"Psha! Let us go,\" said Mr. Darcy. "
    "The Parsonage stood near the parsonage garden of Mr. Elliot. Admiral Croft waved at Anne. "
    "They drove through Derbyshire in a curricle and spoke of civilities. Sir Walter Elliot sulked at Kellynch Hall. "
    "\"Humph!\" said Darcy's aunt, who owned the parsonage. Kellynch Hall was cold and Mr. Darcy left the parsonage. "
)
SPANS = {"Mr. Darcy": "PERSON", "Darcy's": "PERSON", "Kellynch Hall": "PERSON", "Anne Elliot": "PERSON", "Anne": "PERSON",
         "Psha": "PROPN", "Humph": "PROPN", "Parsonage": "ORG", "Mr. Elliot": "PERSON", "Admiral Croft": "PERSON",
         "Admiral": "PERSON", "Derbyshire": "GPE", "curricle": "NOUN", "civilities": "NOUN", "Sir Walter Elliot": "PERSON"}
V1 = AnchorSettings(decision="decide_v1", names="names_v1")


def build(settings: AnchorSettings):
    text = TEXT * 4
    return make_dictionary(mention_rows(text, SPANS), {"d": text}, settings)[0]


@pytest.mark.parametrize("word, stem", [
    ("civilities", "-ities"), ("solicitude", "-tude"), ("cheerfuller", "cheerful"), ("tremblings", "tremble"),
    ("schoolfellow", "school fellow"), ("missent", "sent"),
    # invented objects stay invented
    ("quaffle", None), ("hippogriff", None), ("dementors", None), ("curricle", None), ("gillyweed", None),
])
def test_english_stem(word, stem):
    assert english_stem(word) == stem


def test_real_region_knows_countries_counties_and_old_shire_names():
    assert real_region("Derbyshire") == "Derbyshire" and real_region("Devonshire") == "Devon"
    assert real_region("Albania") == "Albania" and real_region("Yorkshire") == "Yorkshire"
    assert real_region("Hogsmeade") is None and real_region("Kellynch") is None and real_region("Highbury") is None


def test_mention_evidence_counts_titles_and_interjections():
    text = 'Mr. Darcy came. "Psha! No," said Mr.\nDarcy. Darcy smiled. Then Darcy left.'
    spots = [("d", m.end()) for m in __import__("re").finditer("Darcy", text)]
    assert mention_evidence("Darcy", spots, {"d": text}) == {"seen": 4, "titled": 2, "initial": 0}
    assert mention_evidence("Psha", [("d", text.index("Psha") + 4)], {"d": text})["initial"] == 1
    # A name opening a sentence is no interjection: no punctuation follows it.
    assert mention_evidence("Then", [("d", text.index("Then") + 4)], {"d": text})["initial"] == 0


def test_v2_rejects_what_a_real_novel_showed_with_reasons():
    cands = build(AnchorSettings(decision="decide_v2", names="names_v2"))
    assert cands["Psha"].reason.startswith("opens a sentence before punctuation")
    assert cands["Humph"].reason.startswith("opens a sentence before punctuation")
    assert cands["Parsonage"].reason.startswith("also written in lower case")
    assert cands["Admiral"].reason == "a title or rank, not a name"
    assert cands["Derbyshire"].reason == "real place (country or region 'Derbyshire')"
    assert cands["civilities"].reason == "English word derived from '-ities'"
    assert cands["curricle"].accepted and cands["Darcy"].accepted and cands["Kellynch Hall"].accepted


def test_v2_names_titles_make_surnames_and_place_heads_make_places():
    cands = build(AnchorSettings(decision="decide_v2", names="names_v2"))
    darcy, hall = cands["Darcy"], cands["Kellynch Hall"]
    assert darcy.label == "PERSON" and darcy.replacement
    assert hall.label == "FAC" and hall.replacement.endswith(" Hall") and hall.replacement != "Kellynch Hall"
    assert cands["Anne Elliot"].cluster != hall.cluster


def test_v2_surname_role_comes_from_the_title():
    from anchors.aliases import SURNAME, name_roles
    from anchors.gender import is_known_name

    assert name_roles({"Darcy"}, is_known_name)["Darcy"] != SURNAME  # gender-guesser knows "Darcy" as a first name
    assert name_roles({"Darcy"}, is_known_name, {"Darcy"})["Darcy"] == SURNAME


def test_v1_names_are_unchanged():
    """The released heuristics keep their behaviour: the v2 rules do not touch them."""
    cands = build(V1)
    assert cands["Psha"].accepted and cands["Humph"].accepted and cands["Derbyshire"].accepted
    assert cands["civilities"].accepted
    assert cands["Kellynch Hall"].label == "PERSON"  # v1 believes NER: a person, its words given name + surname
