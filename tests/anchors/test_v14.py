"""decide_v14 / names_v14 on hand-written sentences (a river port; no spaCy), v13 against v14: a name "X of (the)
Y" written capitalised at least twice, once mid-sentence, is a key, unless it is an office, a real place or a
date."""

from __future__ import annotations

import pytest

from anchors.candidates_v3 import of_phrases
from tests.anchors.versions import build

TEXT = (
    "Orrel Vance signed the Charter of Tides in spring. Nobody read the Charter of Tides again. "
    "The Sisters of the Still Well kept the gate, and Vance feared the Sisters of the Still Well. "
    "Vance was Head of Ravenholt and the Head of Ravenholt spoke first. "
    "He banked with the Bank of England and the Bank of England paid. "
    "On the Fifth of November they burned a boat; the Fifth of November was cold. "
    "Of Marrow Reach nothing is said. "
)
SPANS = {"Orrel Vance": "PERSON", "Vance": "PERSON", "Ravenholt": "GPE"}  # NER found neither "of" name


@pytest.fixture(scope="module")
def v13():
    return build(13, TEXT * 2, SPANS)


@pytest.fixture(scope="module")
def v14():
    return build(14, TEXT * 2, SPANS)


def test_a_name_of_x_of_y_is_a_key(v13, v14):
    assert "Charter of Tides" not in v13 and "Sisters of the Still Well" not in v13
    for phrase in ("Charter of Tides", "Sisters of the Still Well"):
        assert v14[phrase].accepted and "'X of Y'" in v14[phrase].reason
        assert v14[phrase].replacement != phrase


@pytest.mark.parametrize("phrase", ["Head of Ravenholt", "Bank of England", "Fifth of November", "Of Marrow Reach"])
def test_offices_real_places_and_dates_are_not(phrase):
    found = of_phrases({}, {"d": TEXT * 2}, titles={"Head"})
    assert phrase not in found
    assert set(found) == {"Charter of Tides", "Sisters of the Still Well"}


def test_a_phrase_seen_once_or_only_opening_sentences_is_not():
    assert of_phrases({}, {"d": "The Keeper of Brass came. "}, set()) == []
    assert of_phrases({}, {"d": "Order of Quell. Order of Quell. "}, set()) == []
    assert of_phrases({}, {"d": "Then the Order of Quell came. Order of Quell. "}, set()) == ["Order of Quell"]
