"""The relearning attack: fine-tune a copy of an unlearned model for a few steps on a small share of the
forget documents and measure how much of what unlearning removed comes back.

Knowledge that was only hidden returns after a handful of steps on a little related text (Lynch et al. 2024;
Deeb & Roger 2024); knowledge that was removed has to be learnt again and comes back no faster than in a model
that never had it. The training loop is the project's own (training.loop.train): one call site below.

recovery = (m_relearned - m_unlearned) / (m_subject - m_unlearned) for a metric m: 0 nothing came back, 1 all of
what unlearning removed came back (it may exceed 1 or go below 0). When |m_subject - m_unlearned| < min_gap,
unlearning removed nothing measurable on that metric and recovery is undefined (nan), not 0 or 1.

A few steps on target text teach a model that never saw the corpus something too, so recovery alone cannot tell
removed from hidden knowledge. The control is the same attack on the base model, on the same items:
beyond_control = (m_relearned - m_control_relearned) / (m_subject - m_unlearned), the share of what unlearning
removed that the attacked model holds beyond what the attacked never-trained model reaches (docs/evaluation.md).
"""

from __future__ import annotations

import copy
import hashlib
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import torch
from pydantic import BaseModel, ConfigDict, Field

from corpus_tools.errors import ObliviateError
from training import loop as training_loop
from training.distributed import accelerator
from training.data import TrainData, next_token_labels
from training.scoring import right_padded

Measure = Callable[[torch.nn.Module], dict[str, float]]


class RelearnSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: int = Field(10, ge=1, description="Optimizer steps of the attack.")
    lr: float = Field(1e-4, gt=0, description="Constant learning rate of AdamW (the demo's implant rate).")
    batch_size: int = Field(4, ge=1, description="Blocks per step.")
    forget_share: float = Field(0.1, gt=0, le=1, description="Share of the forget documents the attacker trains on (at least one).")
    eval_every: int = Field(5, ge=1, description="Measure after every this many steps (and always before the first and after the last).")
    seed: int = Field(0, description="Seed of the document draw and of the batch order.")


@dataclass
class RelearnResult:
    curve: list[dict] = field(default_factory=list)   # {"step", "loss", metric: value, ...}; step 0 = before
    relearn_docs: list[str] = field(default_factory=list)  # documents the attack trained on (exclude from scoring)
    stats: dict = field(default_factory=dict)
    item_rows: list[dict] = field(default_factory=list)  # the extra metrics' per-item rows at the last point, if given


def relearn_documents(forget_doc_ids: Sequence[str], share: float, seed: int = 0) -> list[str]:
    """ceil(share * n) forget documents chosen by hash, independent of their order."""
    ids = sorted(set(forget_doc_ids))
    if not ids:
        raise ObliviateError("relearning attack: no forget documents to train on")
    ranked = sorted(ids, key=lambda d: hashlib.sha256(f"{seed}:relearn:{d}".encode()).hexdigest())
    return sorted(ranked[:max(1, math.ceil(share * len(ids)))])


def relearn_half(doc_id: str) -> str:
    """'dev' or 'test': the half of the relearning items that a document's items fall in.

    Decided by a hash of the document, so the correlated items of one document stay together. A recipe may be chosen
    on the dev half's recovery and reported on the test half's (docs/evaluation.md), which a single set of a few
    dozen items cannot give without choosing on the figure it reports.
    """
    return "dev" if hashlib.sha256(f"relearn-half:{doc_id}".encode()).digest()[0] % 2 == 0 else "test"


def block_data(blocks: Sequence[Sequence[int]], pad_id: int, rows_needed: int) -> TrainData:
    """Plain next-token data of the blocks, repeated whole until it holds `rows_needed` rows."""
    reps = max(1, math.ceil(rows_needed / len(blocks)))
    ids, mask = right_padded([list(b) for b in blocks] * reps, pad_id)
    return TrainData(ids, mask, next_token_labels(ids, mask))


def relearn(model, block_rows: Sequence[dict], forget_doc_ids: Sequence[str], settings: RelearnSettings,
            measure: Measure, pad_id: int = 0, before: dict[str, float] | None = None) -> RelearnResult:
    """Train a copy of `model` on blocks of a few forget documents; `measure(copy)` before, every few steps, at the end.

    block_rows: `blocks` rows ({"doc_id", "input_ids"}) of the target; forget_doc_ids: the forget side of the split
    (training/holdout.py). The model passed in is not changed. `before`: the model's measure, if known already.
    """
    docs = relearn_documents(forget_doc_ids, settings.forget_share, settings.seed)
    wanted = set(docs)
    chosen = [r["input_ids"] for r in block_rows if r["doc_id"] in wanted and len(r["input_ids"]) >= 2]
    if not chosen:
        raise ObliviateError(f"relearning attack: the chosen forget documents {docs[:3]} have no blocks")
    attacked = copy.deepcopy(model)
    result = RelearnResult(relearn_docs=docs, stats={"blocks": len(chosen), "documents": len(docs)})
    attacked.eval()
    result.curve.append({"step": 0, "loss": None, **(before if before is not None else measure(attacked))})

    def on_step(step: int, loss: float) -> None:
        if step % settings.eval_every == 0 or step == settings.steps:
            attacked.eval()
            result.curve.append({"step": step, "loss": loss, **measure(attacked)})
            attacked.train()

    loop = training_loop.TrainSettings(lr=settings.lr, epochs=1, batch_size=settings.batch_size, grad_accum=1,
                                          warmup_ratio=0.0, schedule="constant", seed=settings.seed,
                                          max_steps=settings.steps)
    data = block_data(chosen, pad_id, settings.steps * settings.batch_size)
    with tempfile.TemporaryDirectory(prefix="relearn-") as tmp:  # one epoch: the loop writes no checkpoint
        stats = training_loop.train(attacked, data, loop, acc=accelerator(),
                                    checkpoints=Path(tmp), label="relearn", on_step=on_step)
    result.stats |= {k: stats[k] for k in ("steps", "first_loss", "last_loss", "train_seconds")}
    attacked.eval()
    return result


def recovery(relearned: float, unlearned: float, subject: float, min_gap: float = 0.02) -> float:
    """Share of what unlearning removed that relearning brought back; nan when nothing measurable was removed."""
    gap = subject - unlearned
    if any(math.isnan(x) for x in (relearned, unlearned, subject)) or abs(gap) < min_gap:
        return float("nan")
    return (relearned - unlearned) / gap


def beyond_control(relearned: float, control: float, unlearned: float, subject: float, min_gap: float = 0.02) -> float:
    """What relearning left beyond the attacked control, as a share of what unlearning removed (nan as `recovery`).

    0: the attacked model ends where the attacked never-trained model ends (what came back, any model learns from
    these steps); 1: it ends above it by all that unlearning removed. Negative: it ends below the control.
    """
    # (relearned - control) / gap, with recovery's undefined cases
    return recovery(relearned, unlearned, subject, min_gap) - recovery(control, unlearned, subject, min_gap)


def curve_rows(result: RelearnResult, **ids) -> list[dict]:
    """`relearn_curve` table rows; `ids` gives target, evaluate_version, model_role, model_version, method."""
    return [{**ids, "step": point["step"], "loss": point["loss"], "metric": name, "value": float(value)}
            for point in result.curve for name, value in point.items() if name not in ("step", "loss")]


def without_docs(items: Sequence[dict], docs: Sequence[str]) -> list[dict]:
    """Items whose document the attack did not train on: recovery there is knowledge coming back, not new learning."""
    skip = set(docs)
    return [it for it in items if it["doc_id"] not in skip]
