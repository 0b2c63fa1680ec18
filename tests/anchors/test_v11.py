"""decide_v11 / names_v11 on hand-written sentences (a cattle-territory world; no spaCy), v10 against v11: a
heading's last word before the next line is no title before a name, ranks stand only before name-like words,
"the Long Flood" is spared v9's given-name rule, polities, farms, associations, railways and hard seasons as
head words, and a real city typed person for a given-name word."""

from __future__ import annotations

import pytest

from anchors.build import AnchorSettings, make_dictionary
from anchors.context import find_occurrences, read_contexts
from tests.anchors.test_dictionary import mention_rows

V10 = AnchorSettings(decision="decide_v10", names="names_v10")
V11 = AnchorSettings(decision="decide_v11", names="names_v11")
TEXT = (
    "# The Tallowbar\n\nSevenfold came to the Tallowbar Ranch in spring. The Tallowbar Ranch had no water. "
    "Everyone at the Tallowbar knew it. The Tallowbar was dry. \n\n"
    "The Long Flood took the bridge. People still talk of the Long Flood. The Long Flood was cruel. "
    "The Marrick Territory had no judge. Settlers crossed the Marrick Territory. "
    "The Upper Dell Stockmen's Association met on Fridays. The Upper Dell Stockmen's Association voted no. "
    "The Marrick Central Railroad bought the land. The Marrick Central Railroad sold it. "
    "The Grimmel Frost killed the cattle. Nobody forgot the Grimmel Frost. "
    "Ruth Callan dreamed of the sea. San Francisco was far away. San Francisco had money. The papers said so. "
)
SPANS = {"Tallowbar": "GPE", "Tallowbar Ranch": "ORG", "Sevenfold": "PERSON", "Long Flood": "ORG",
         "Marrick Territory": "PRODUCT", "Upper Dell Stockmen's Association": "PRODUCT",
         "Marrick Central Railroad": "GPE", "Grimmel Frost": "GPE", "Ruth Callan": "PERSON", "San Francisco": "GPE"}


def build(settings, text=TEXT * 2):
    return make_dictionary(mention_rows(text, SPANS), {"d": text}, settings)[0]


@pytest.fixture(scope="module")
def v10():
    return build(V10)


@pytest.fixture(scope="module")
def v11():
    return build(V11)


def accepted(cands, term):
    return term in cands and cands[term].accepted


def test_a_heading_word_before_the_next_line_is_no_title(v10, v11):
    texts = {"d": TEXT}
    occ = find_occurrences(["Tallowbar"], texts)
    old, new = (read_contexts(occ, texts, set(), frozenset({"Sevenfold"}), level=level)["Tallowbar"] for level in (10, 11))
    # "The Tallowbar\n\nSevenfold" and "Tallowbar Ranch" (a dictionary word) are no name after a rank
    assert old.before_name_inline == 2 and new.before_name_inline == 0
    assert old.before_person == 1 and new.before_person == 0  # NER's person "Sevenfold" on the next line
    assert not accepted(v10, "Tallowbar") and "title" in v10["Tallowbar"].reason
    assert accepted(v11, "Tallowbar") and accepted(v11, "Tallowbar Ranch")
    assert v11["Tallowbar Ranch"].label == "GPE"  # "Ranch" heads a place from v11


def test_a_season_written_the_x_is_an_event_whatever_its_first_word(v10, v11):
    # "Long" is also a given name: v9's "Agnes Moss" rule weighed the head word 2 instead of 5; "Frost" is a
    # head word from v11
    assert v10["Long Flood"].label != "EVENT" and v10["Grimmel Frost"].label != "EVENT"
    assert v11["Long Flood"].label == "EVENT" and v11["Grimmel Frost"].label == "EVENT"


def test_polities_associations_and_railways_head_their_names(v10, v11):
    assert v10["Marrick Territory"].label != "GPE" and v11["Marrick Territory"].label == "GPE"
    assert v10["Upper Dell Stockmen's Association"].label != "ORG"
    assert v11["Upper Dell Stockmen's Association"].label == "ORG"
    assert v10["Marrick Central Railroad"].label != "ORG" and v11["Marrick Central Railroad"].label == "ORG"


def test_a_real_city_typed_person_for_a_given_name_word_stays(v10, v11):
    assert accepted(v10, "San Francisco") and v10["San Francisco"].label == "PERSON"
    assert not accepted(v11, "San Francisco") and "real place" in v11["San Francisco"].reason
    assert accepted(v11, "Ruth Callan")  # a person NER and the context agree on keeps her name
