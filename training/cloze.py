"""Knowledge cloze: does the model still supply an anchored term where the target's text had it?

Each item is a sentence cut just before an anchored term (the prompt), the term as it followed
(`answer`, with its leading space) and the dictionary's generic replacement (`alternative`, same
leading space). Two scores:
- two-choice: the mean token log-probability of the answer after the prompt against that of the
  alternative; accuracy = share of items where the answer wins (chance 0.5), and the mean of
  sigmoid(difference) as a probability (a per-token-normalised p(answer) / (p(answer) + p(alternative)));
- exact match: the greedy completion of a few tokens begins with the answer as a whole word.
"""

from __future__ import annotations

import re
from typing import Sequence

import torch

from training import intervals
from training.scoring import Scores, continuation_logprobs, greedy_texts


def starts_with_answer(completion: str, answer: str) -> bool:
    """The completion (leading space ignored) begins with the answer, not followed by a word character."""
    want = answer.strip()
    return bool(want) and re.match(rf"\s*{re.escape(want)}(?!\w)", completion) is not None


def score_cloze(model, tok, items: Sequence[dict], batch_size: int = 16, new_tokens: int = 8,
                prefix: str = "knowledge") -> Scores:
    """Two-choice accuracy and probability, and exact match, per split.

    items: `eval_items` rows of kind "cloze" ({"item_id", "split", "prompt", "answer", "alternative"}). Summaries:
    `{prefix}_choice_acc_{split}` (Wilson interval, flagged below chance), `{prefix}_choice_prob_{split}` (bootstrap,
    flagged below 0.5), `{prefix}_exact_{split}` (Wilson; no chance level).
    """
    prompts = [it["prompt"] for it in items]
    true_lp = continuation_logprobs(model, tok, prompts, [it["answer"] for it in items], batch_size)
    alt_lp = continuation_logprobs(model, tok, prompts, [it["alternative"] for it in items], batch_size)
    prob = torch.sigmoid(true_lp - alt_lp)
    completions = greedy_texts(model, tok, prompts, new_tokens, batch_size)
    out = Scores()
    groups: dict[str, dict[str, list]] = {}
    for i, it in enumerate(items):
        values = {"choice": float(true_lp[i] > alt_lp[i]), "choice_prob": float(prob[i]),
                  "choice_margin": float(true_lp[i] - alt_lp[i]),
                  "exact": float(starts_with_answer(completions[i], it["answer"]))}
        for name, v in values.items():
            out.per_item.append({"item_id": it["item_id"], "split": it["split"], "metric": f"{prefix}_{name}",
                                 "value": v, "output": completions[i] if name == "exact" else None})
            groups.setdefault(it["split"], {}).setdefault(name, []).append(v)
    for split, g in sorted(groups.items()):
        out.summary[f"{prefix}_choice_acc_{split}"] = intervals.proportion([v > 0.5 for v in g["choice"]], chance=0.5)
        out.summary[f"{prefix}_choice_prob_{split}"] = intervals.mean(g["choice_prob"], chance=0.5)
        out.summary[f"{prefix}_exact_{split}"] = intervals.proportion([v > 0.5 for v in g["exact"]], chance=None)
    return out
