"""decide_v13 / names_v13 on hand-written sentences (a lamplit port; no spaCy), v12 against v13: an invented
rank is the universe's own word, anchored and replaced by an ordinary office; a rank English has stays a
title; nothing else moves."""

from __future__ import annotations

import pytest

from anchors.naming_v3 import RANKS
from tests.anchors.versions import build

TEXT = (
    "Lampwarden Quade walked the quay at dusk. The Lampwarden lit the first lamp. Nobody argued with the "
    "Lampwarden. Harbourmaster Fenn counted the boats. The Harbourmaster wrote it down. Lampwarden Quade "
    "nodded. Quade said the tide was late. The Harbourmaster agreed with Quade. Orrel Vance watched from "
    "Skellport. Vance said nothing. "
)
SPANS = {"Lampwarden Quade": "PERSON", "Quade": "PERSON", "Harbourmaster Fenn": "PERSON", "Orrel Vance": "PERSON",
         "Vance": "PERSON", "Skellport": "GPE", "Fenn": "PERSON"}


@pytest.fixture(scope="module")
def v12():
    return build(12, TEXT * 2, SPANS)


@pytest.fixture(scope="module")
def v13():
    return build(13, TEXT * 2, SPANS)


def test_an_invented_rank_is_anchored_with_an_ordinary_office(v12, v13):
    assert "Lampwarden" not in v12  # a title is stripped from "Lampwarden Quade" and NER never named it alone
    rank = v13["Lampwarden"]
    assert rank.accepted and "invented title" in rank.reason and rank.label == "TITLE"
    assert rank.replacement in RANKS and rank.replacement.lower() not in TEXT.lower()
    assert v13["Quade"].accepted and v13["Quade"].label == "PERSON"  # "Lampwarden Quade" still names Quade


def test_a_rank_english_has_stays_a_title(v13):
    # "Harbourmaster" is no dictionary word but general English writes it (Zipf 1.4 >= 1.0)
    assert "Harbourmaster" not in v13 or not v13["Harbourmaster"].accepted


def test_nothing_else_moves(v12, v13):
    others = {t: (c.accepted, c.label, c.replacement) for t, c in v12.items()}
    assert others == {t: (c.accepted, c.label, c.replacement) for t, c in v13.items() if t != "Lampwarden"}
