"""All forgetting metrics of one model in one call, and the relearning attack with its recovery: the two
entry points the evaluate stage needs (definitions in docs/evaluation.md).

    scores = measure_forgetting(model, tok, items, settings)            # any model: base, subject, unlearned...
    result, recovered = relearn_attack(unlearned, subject, tok, items, forget_blocks, forget_doc_ids,
                                       settings, RelearnSettings())       # unlearned models
    gap = auc_gap(scores_unlearned, scores_reference)                     # training/membership.py
"""

from __future__ import annotations

from typing import Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field

from training.cloze import score_cloze
from training.evalsets import items_of, subset
from training.membership import score_membership
from training.relearn import RelearnResult, RelearnSettings, recovery, relearn, relearn_documents, without_docs
from training.scoring import Scores
from training.verbatim import score_verbatim

# Forget-side metrics followed along the relearning curve (membership AUC also reads the holdout items).
RELEARN_METRICS = ("verbatim_rouge_l_forget", "knowledge_choice_acc_forget", "knowledge_exact_forget",
                   "membership_auc_mink_pp", "membership_auc_loss")


class ForgettingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(16, ge=1, description="Prompts per generation / forward pass (verbatim, cloze).")
    membership_batch_size: int = Field(4, ge=1, description="Excerpts per forward pass (Min-K%++ holds [batch, tokens, vocab] floats).")
    membership_k: float = Field(0.2, gt=0, le=1, description="Share of lowest-scoring tokens averaged by Min-K%++ (the paper's default 20%).")
    knowledge_new_tokens: int = Field(8, ge=1, description="Greedy tokens in which a cloze answer must come first (exact match).")
    recovery_min_gap: float = Field(0.02, ge=0, description="Below this |subject - unlearned| difference, recovery is undefined (nan).")
    relearn_items: Optional[int] = Field(32, ge=1, description="Items per kind and split measured along the relearning curve (None: all); each point costs a full measurement.")


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


def relearn_attack(unlearned, subject, tok, items: Sequence[dict], block_rows: Sequence[dict],
                   forget_doc_ids: Sequence[str], settings: ForgettingSettings,
                   attack: RelearnSettings) -> tuple[RelearnResult, Scores]:
    """The relearning curve of `unlearned` and, per metric, recovery against `subject` (same items for both).

    Items from the documents the attacker trains on are left out of every measurement, so what comes back is
    knowledge of text the attack never showed (the relearning literature's protocol). block_rows: the
    target's `blocks` rows; forget_doc_ids: the forget side of the split.
    """
    docs = relearn_documents(forget_doc_ids, attack.forget_share, attack.seed)
    kept = without_docs(items, docs)
    kept = subset(kept, settings.relearn_items) if settings.relearn_items else kept

    def measure(model) -> dict[str, float]:
        summary = measure_forgetting(model, tok, kept, settings).summary
        return {m: summary[m]["value"] for m in RELEARN_METRICS if m in summary}

    result = relearn(unlearned, block_rows, forget_doc_ids, attack, measure, pad_id=_pad(tok))
    before, after, reference = result.curve[0], result.curve[-1], measure(subject)
    out = Scores()
    for metric, value in after.items():
        if metric in ("step", "loss"):
            continue
        out.summary[f"relearn_{metric}"] = _plain(value, len(kept))
        out.summary[f"relearn_recovery_{metric}"] = _plain(
            recovery(value, before[metric], reference[metric], settings.recovery_min_gap), len(kept))
    result.stats |= {"subject": reference, "items_measured": len(kept)}
    return result, out


def _plain(value: float, n: int) -> dict:
    return {"value": value, "n": n, "ci_low": None, "ci_high": None, "below_chance": None}


def _pad(tok) -> int:
    return tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
