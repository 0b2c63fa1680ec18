"""Metric functions on hand-made cases with known answers."""

from __future__ import annotations

import math

import pytest
import torch

from training import metrics as M


def test_target_terms_drop_short_and_sort_longest_first():
    assert M.target_terms(["Harry", "Ron", "Al", " ", "Harry Potter"], ["Ron"]) == ["Harry Potter", "Harry", "Ron"]


@pytest.mark.parametrize("completion, prompt, familiar", [
    (" Ron and Hermione went", "His best friends were", True),
    (" ron and hermione went", "His best friends were", False),   # case-sensitive
    (" Ronald went home", "His best friends were", False),        # whole word: Ron is not in Ronald
    (" Harry smiled", "Harry looked at", False),                  # the prompt already names Harry
    (" Harry Potter smiled", "Harry looked at", True),            # ...but not the full name
    (" Hermione's wand", "She said", True),                       # possessive: still a whole word
    (" Al and Bo", "She said", False),                            # terms under 3 characters ignored
])
def test_completion_familiarity_cases(completion, prompt, familiar):
    terms = ["Ron", "Hermione", "Harry", "Harry Potter", "Al"]
    assert M.is_familiar(completion, prompt, terms) is familiar


def test_share_and_weighted_form():
    assert M.share([True, False, False, True]) == 0.5
    assert math.isnan(M.share([]))
    # (5*1 explicit + 1*2 thematic) / (5*4)
    assert M.weighted_familiarity(["explicit", "thematic", "none", "thematic"]) == pytest.approx(7 / 20)


def test_probability_score_by_hand():
    logits = torch.log(torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]]))
    # prompt 1: T = {3} (0.4), G = {0, 1} (0.3) -> 0.4 / 0.7; token 2 is in both and counts for neither
    # prompt 2: T = {0}, G = {1, 2} -> 0.25 / 0.75
    scores = M.probability_scores(logits, [[3, 2], [0]], [[0, 1, 2], [1, 2, 2]])
    assert scores.tolist() == pytest.approx([0.4 / 0.7, 1 / 3], abs=1e-6)


def test_probability_score_no_evidence_is_half():
    scores = M.probability_scores(torch.zeros(1, 5), [[1]], [[1]])
    assert scores.tolist() == [0.5]


def test_perplexity_and_answers():
    assert M.perplexity(10 * math.log(9.0), 10) == pytest.approx(9.0)
    assert M.answer_found(" paris, of course", "Paris")
    assert not M.answer_found(" Parisian food", "Paris")
    assert M.answer_found(" 1945.", "1945")
