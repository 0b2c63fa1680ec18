"""Pure metric functions of the evaluate stage: no model, no store.

Formulas (all fractions in [0, 1] except perplexity):

- completion familiarity: share of completions that contain a target term absent from their
  prompt. Terms: the dictionary's anchor terms plus the prompt's references, at least 3 characters,
  matched case-sensitively as whole words (no word character on either side).
- weighted completion familiarity (the paper's form, when a grader labels completions
  "explicit" / "thematic" / "none"): (5 * explicit + 1 * thematic) / (5 * n).
- probability familiarity: for a prompt with next-token distribution p, target first tokens T and
  generic first tokens G (tokens in both sets are dropped from both: they cannot tell the two apart),
  score = p(T) / (p(T) + p(G)); the metric is the mean score over prompts.
- perplexity: exp(sum of token NLL / number of predicted tokens).
- knowledge accuracy: share of answers found, case-insensitively as a whole word, in the completion.
"""

from __future__ import annotations

import math
import re
from typing import Iterable, Sequence

import torch

MIN_TERM_CHARS = 3
EXPLICIT_WEIGHT = 5


def target_terms(*groups: Iterable[str]) -> list[str]:
    """Distinct terms of at least MIN_TERM_CHARS characters (after stripping), longest first."""
    terms = {t.strip() for group in groups for t in group if t and len(t.strip()) >= MIN_TERM_CHARS}
    return sorted(terms, key=lambda t: (-len(t), t))


def term_pattern(terms: Sequence[str], ignore_case: bool = False) -> re.Pattern | None:
    """One regex matching any term as a whole word; longest terms win at a position."""
    if not terms:
        return None
    ordered = sorted(set(terms), key=lambda t: (-len(t), t))
    body = "|".join(re.escape(t) for t in ordered)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE if ignore_case else 0)


def found_terms(text: str, pattern: re.Pattern | None) -> set[str]:
    return set(pattern.findall(text)) if pattern is not None else set()


def new_terms(completion: str, prompt: str, pattern: re.Pattern | None) -> set[str]:
    """Target terms in the completion that the prompt does not contain (so the model supplied them)."""
    return found_terms(completion, pattern) - found_terms(prompt, pattern)


def is_familiar(completion: str, prompt: str, terms: Sequence[str]) -> bool:
    return bool(new_terms(completion, prompt, term_pattern(target_terms(terms))))


def share(flags: Sequence[bool]) -> float:
    return sum(bool(f) for f in flags) / len(flags) if flags else float("nan")


def weighted_familiarity(grades: Sequence[str]) -> float:
    """The paper's completion score from grader labels: explicit counts 5, thematic 1, normalised to [0, 1]."""
    if not grades:
        return float("nan")
    points = sum(EXPLICIT_WEIGHT if g == "explicit" else 1 if g == "thematic" else 0 for g in grades)
    return points / (EXPLICIT_WEIGHT * len(grades))


def probability_scores(logits: torch.Tensor, target_ids: Sequence[Sequence[int]],
                       generic_ids: Sequence[Sequence[int]]) -> torch.Tensor:
    """Per prompt p(T) / (p(T) + p(G)) from next-token logits (P, V); shared tokens count for neither."""
    probs = torch.softmax(logits.float(), dim=-1)
    t_mask = torch.zeros_like(probs, dtype=torch.bool)
    g_mask = torch.zeros_like(probs, dtype=torch.bool)
    for row, (t_ids, g_ids) in enumerate(zip(target_ids, generic_ids)):
        t, g = set(t_ids), set(g_ids)
        t_mask[row, list(t - g)] = True
        g_mask[row, list(g - t)] = True
    p_t = (probs * t_mask).sum(-1)
    p_g = (probs * g_mask).sum(-1)
    total = p_t + p_g
    # A prompt whose continuations share every first token has no evidence either way.
    return torch.where(total > 0, p_t / total.clamp_min(1e-30), torch.full_like(total, 0.5))


def perplexity(nll_sum: float, n_tokens: int) -> float:
    return math.exp(nll_sum / n_tokens) if n_tokens else float("nan")


def answer_found(completion: str, answer: str) -> bool:
    pattern = term_pattern([answer.strip()], ignore_case=True)
    return bool(pattern and pattern.search(completion))
