"""All forgetting metrics of one model in one call, and the relearning attack with its recovery: the two
entry points the evaluate stage needs (definitions in docs/evaluation.md).

    scores = measure_forgetting(model, tok, items, settings)            # any model: base, subject, unlearned...
    result, recovered = relearn_attack(unlearned, subject, tok, items, forget_blocks, forget_doc_ids,
                                       settings, RelearnSettings())       # unlearned models
    gap = auc_gap(scores_unlearned, scores_reference)                     # training/membership.py
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Optional, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from corpus_tools.errors import ObliviateError
from training.cloze import score_cloze
from training.evalsets import items_of, subset
from training.membership import auc, score_membership
from training.relearn import (RelearnResult, RelearnSettings, beyond_control, recovery, relearn, relearn_documents,
                             relearn_half, without_docs)
from training.scoring import Scores
from training.verbatim import score_verbatim

# Forget-side metrics followed along the relearning curve (membership AUC also reads the holdout items).
RELEARN_METRICS = ("verbatim_rouge_l_forget", "knowledge_choice_acc_forget", "knowledge_exact_forget",
                   "membership_auc_mink_pp", "membership_auc_loss")
# The per-item means among them, also followed on each half of the items (`<metric>_dev`, `<metric>_test`;
# training.relearn.relearn_half): name, the per-item metric, the item kind.
HALVED = (("verbatim_rouge_l_forget", "verbatim_rouge_l", "verbatim"), ("knowledge_choice_acc_forget", "knowledge_choice", "cloze"),
          ("knowledge_exact_forget", "knowledge_exact", "cloze"))


class ForgettingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(32, ge=1, description="Prompts per generation / forward pass (verbatim, cloze); as the evaluate stage.")
    membership_batch_size: int = Field(4, ge=1, description="Excerpts per forward pass (Min-K%++ holds [batch, tokens, vocab] floats).")
    membership_k: float = Field(0.2, gt=0, le=1, description="Share of lowest-scoring tokens averaged by Min-K%++ (the paper's default 20%).")
    knowledge_new_tokens: int = Field(8, ge=1, description="Greedy tokens in which a cloze answer must come first (exact match).")
    recovery_min_gap: float = Field(0.02, ge=0, description="Below this |subject - unlearned| difference, recovery is undefined (nan).")
    relearn_items: Optional[int] = Field(16, ge=1, description="Items per kind and split measured along the relearning curve (None: all); each point is a measurement of these.")


def measure_forgetting(model, tok, items: Sequence[dict], settings: ForgettingSettings) -> Scores:
    """Verbatim ROUGE-L, cloze two-choice / exact match and membership scores of one model on `eval_items` rows."""
    out = Scores()
    if verbatim := items_of(items, "verbatim"):
        out.update(score_verbatim(model, tok, verbatim, settings.batch_size))
    if cloze := items_of(items, "cloze"):
        out.update(score_cloze(model, tok, cloze, settings.batch_size, settings.knowledge_new_tokens))
    if membership := items_of(items, "membership"):
        out.update(score_membership(model, tok, membership, settings.membership_batch_size, settings.membership_k))
    return out


def followed(per_item: Sequence[dict], halves: dict[str, str] | None = None) -> dict[str, float]:
    """The RELEARN_METRICS recomputed from per-item score rows.

    halves: {item_id: "dev" | "test"} of the items to read (the others are left out); the per-item means are then
    also given per half, as `<metric>_dev` and `<metric>_test`. Lets the relearning attack reuse the subject's and
    the unlearned model's rows from the main evaluation instead of measuring them again on its subset of items.
    """
    rows = [r for r in per_item if halves is None or r["item_id"] in halves]

    def values(metric: str, split: str, half: str | None = None) -> list[float]:
        return [r["value"] for r in rows if r["metric"] == metric and r["split"] == split
                and (half is None or halves[r["item_id"]] == half)]

    out = {}
    for name, metric, _ in HALVED:
        for suffix, half in (("", None),) + ((("_dev", "dev"), ("_test", "test")) if halves is not None else ()):
            if v := values(metric, "forget", half):
                out[name + suffix] = float(np.mean(v))
    for name, metric, sign in (("membership_auc_mink_pp", "membership_mink_pp", 1.0), ("membership_auc_loss", "membership_loss", -1.0)):
        pos, neg = values(metric, "forget"), values(metric, "holdout")
        if pos and neg:
            out[name] = auc(sign * np.array(pos), sign * np.array(neg))
    return out


def relearn_attack(unlearned, subject, tok, items: Sequence[dict], block_rows: Sequence[dict],
                   forget_doc_ids: Sequence[str], settings: ForgettingSettings, attack: RelearnSettings, *,
                   subject_scores: Scores | None = None, unlearned_scores: Scores | None = None,
                   extra: Callable | None = None, extra_unlearned: dict | None = None,
                   extra_subject: dict | None = None, extra_counts: dict | None = None,
                   extra_rows: Callable[[], list[dict]] | None = None,
                   control: dict[str, float] | None = None) -> tuple[RelearnResult, Scores]:
    """The relearning curve of `unlearned` and, per metric, recovery against `subject` (same items for both).

    Items from the documents the attacker trains on are left out of every measurement, so what comes back is
    knowledge of text the attack never showed (the relearning literature's protocol); of the rest, at most
    `settings.relearn_items` per kind and split are measured, and only the sides the followed metrics read
    (forget for verbatim and cloze, both for membership). block_rows: the target's `blocks` rows;
    forget_doc_ids: the forget side of the split. subject_scores / unlearned_scores: the two models'
    measure_forgetting results on `items`, if already computed (saves two measurements; `subject` may then be None).
    extra: more metrics followed along the curve, `extra(model) -> {metric: value}` (the fact files' accuracies of
    the evaluate stage); extra_unlearned / extra_subject: their values for the two models, if known;
    extra_counts: how many items each extra metric is measured on (the `n` of its rows).
    extra_rows: the per-item rows of `extra`'s latest call; read right after the attack's last point, into the
    result's `item_rows` (which items came back).
    control: the base model's values after the same attack on the same items (its curve's last point), when it was
    attacked as a control: adds relearn_beyond_control_<metric> (training/relearn.py, beyond_control).
    """
    if subject is None and subject_scores is None:
        raise ObliviateError("relearn_attack: give the subject model or its scores (recovery is measured against it)")
    docs = relearn_documents(forget_doc_ids, attack.forget_share, attack.seed)
    kept = [it for it in without_docs(items, docs) if it["kind"] == "membership" or it["split"] == "forget"]
    kept = subset(kept, settings.relearn_items) if settings.relearn_items else kept
    halves = {it["item_id"]: relearn_half(it["doc_id"]) for it in kept}

    def measure(model) -> dict[str, float]:
        return followed(measure_forgetting(model, tok, kept, settings).per_item, halves) | (extra(model) if extra else {})

    def known(scores: Scores | None, extra_values: dict | None, model) -> dict[str, float] | None:
        """A model's measure from what was measured already, completing only the part that was not."""
        if scores is None:
            return None if model is None else measure(model)
        if extra is not None and extra_values is None and model is None:
            raise ObliviateError("relearn_attack: the subject's extra metrics are needed (or the subject model)")
        more = {} if extra is None else extra_values if extra_values is not None else extra(model)
        return followed(scores.per_item, halves) | more

    start = known(unlearned_scores, extra_unlearned, unlearned) if unlearned_scores is not None else None
    result = relearn(unlearned, block_rows, forget_doc_ids, attack, measure, pad_id=_pad(tok), before=start)
    if extra_rows is not None:  # before the subject's extra metrics may be measured below
        result.item_rows = list(extra_rows())
    before, after = result.curve[0], result.curve[-1]
    reference = known(subject_scores, extra_subject, subject)
    out = Scores()
    counts = {**_followed_counts(kept, halves), **(extra_counts or {})}
    for metric, value in after.items():
        if metric in ("step", "loss"):
            continue
        n = counts.get(metric, len(kept))
        out.summary[f"relearn_{metric}"] = _plain(value, n)
        out.summary[f"relearn_recovery_{metric}"] = _plain(
            recovery(value, before[metric], reference[metric], settings.recovery_min_gap), n)
        if control is not None and metric in control:
            out.summary[f"relearn_beyond_control_{metric}"] = _plain(
                beyond_control(value, control[metric], before[metric], reference[metric], settings.recovery_min_gap), n)
    result.stats |= {"subject": reference, "items_measured": len(kept)}
    return result, out


def _followed_counts(kept: Sequence[dict], halves: dict[str, str]) -> dict[str, int]:
    """How many of the attack's items each followed value is measured on (the `n` of its rows)."""
    kinds = Counter(it["kind"] for it in kept)
    by_half = Counter((it["kind"], halves[it["item_id"]]) for it in kept)
    counts = {"membership_auc_mink_pp": kinds["membership"], "membership_auc_loss": kinds["membership"]}
    for name, _, kind in HALVED:
        counts |= {name: kinds[kind], f"{name}_dev": by_half[kind, "dev"], f"{name}_test": by_half[kind, "test"]}
    return counts


def _plain(value: float, n: int) -> dict:
    return {"value": value, "n": n, "ci_low": None, "ci_high": None, "below_chance": None}


def _pad(tok) -> int:
    return tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
