"""Verbatim memorisation: ROUGE-L between a model's greedy continuation of a document prefix and the
document's true continuation (MUSE's VerbMem; TOFU reports the same score on answers).

Text is compared as words: lower-cased runs of letters and digits (punctuation and spacing are
ignored, as the reference ROUGE scripts do). ROUGE-L F1 = 2PR / (P + R) with P = LCS / |generated|
and R = LCS / |reference|, LCS the longest common subsequence of the two word lists.
"""

from __future__ import annotations

import re
from typing import Sequence

from training import intervals
from training.scoring import Scores, greedy_texts

WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def lcs_length(a: Sequence, b: Sequence) -> int:
    """Length of the longest common subsequence (dynamic programming over one row)."""
    if len(a) < len(b):
        a, b = b, a
    row = [0] * (len(b) + 1)
    for x in a:
        prev_diag = 0
        for j, y in enumerate(b, 1):
            prev_diag, row[j] = row[j], prev_diag + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def rouge_l(generated: str, reference: str) -> dict[str, float]:
    """{"precision", "recall", "f1"} of ROUGE-L over words; 0 when either side has no words."""
    g, r = words(generated), words(reference)
    lcs = lcs_length(g, r) if g and r else 0
    if lcs == 0:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    p, rc = lcs / len(g), lcs / len(r)
    return {"precision": p, "recall": rc, "f1": 2 * p * rc / (p + rc)}


def score_verbatim(model, tok, items: Sequence[dict], batch_size: int = 16, prefix: str = "verbatim") -> Scores:
    """ROUGE-L F1 and recall of each item's greedy continuation; summaries per split.

    items: `eval_items` rows of kind "verbatim" ({"item_id", "split", "prompt", "answer", "n_answer_tokens"});
    each continuation is as many tokens long as the true one. Summaries:
    `{prefix}_rouge_l_{split}` (mean F1) and `{prefix}_rouge_l_recall_{split}`, bootstrap intervals.
    """
    texts = greedy_texts(model, tok, [it["prompt"] for it in items], [int(it["n_answer_tokens"]) for it in items],
                         batch_size)
    out = Scores()
    by_split: dict[str, dict[str, list[float]]] = {}
    for it, text in zip(items, texts):
        r = rouge_l(text, it["answer"])
        for key, metric in (("f1", "rouge_l"), ("recall", "rouge_l_recall")):
            out.per_item.append({"item_id": it["item_id"], "split": it["split"], "metric": f"{prefix}_{metric}",
                                 "value": r[key], "output": text})
            by_split.setdefault(it["split"], {}).setdefault(metric, []).append(r[key])
    for split, metrics in sorted(by_split.items()):
        for metric, values in metrics.items():
            out.summary[f"{prefix}_{metric}_{split}"] = intervals.mean(values)
    return out
