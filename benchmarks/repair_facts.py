"""Fact accuracy of an unlearned model fine-tuned further on the retain corpus alone (a screen, not a stage).

A repair phase: after unlearning, a few more optimizer steps with the retain terms only (retain_weight x the KL
divergence from the base model's predictions plus retain_ce_weight x the next-token loss, as `[unlearn] retain_loss =
"kl"` with `retain_ce_weight`), on the weights `--train-only` names, AdamW at a constant learning rate without weight
decay. The question
(docs/pretrained.md, round 2's thirty-fourth session): the retain terms' share of an unlearned model's update holds the
neighbouring worlds (screens CB and CG); do more of those steps, without the labels pulling the other way, give
neighbours back while the target stays forgotten? The fact items are scored after each count of `--steps`, on the dev
split (and `--select` files' dev split) only, as every screen; `--test` adds the test split.
Usage: python -m benchmarks.repair_facts BASE_DIR UNLEARNED_DIR FACT_FILE... --retain FOLDER... [--steps 10,20,40]
       [--lr 5e-5] [--train-only REGEX] [--retain-weight 2] [--ce-weight 1] [--batch-size 4] [--select FILE...] [--test]
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import torch

from benchmarks.interpolate_facts import fact_cells, header, screened
from training.data import TrainData
from training.loop import lm_loss, trainable
from training.models import load_model, load_tokenizer
from training.retain import retain_data
from training.unlearn import frozen_copy, kl_to_teacher


def repair_loss(logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor, retain_weight: float,
                ce_weight: float) -> torch.Tensor:
    """The recipe's retain terms: retain_weight x KL(teacher || model) + ce_weight x the next-token loss, over the
    labelled positions."""
    return retain_weight * kl_to_teacher(logits, teacher_logits, labels) + ce_weight * lm_loss(logits, labels)


def repair_steps(model, teacher, data: TrainData, stops: list[int], *, lr: float, train_only: str | None,
                 retain_weight: float = 2.0, ce_weight: float = 1.0, batch_size: int = 4,
                 seed: int = 0) -> Iterator[int]:
    """Train `model` in place on `data` with the retain terms against `teacher`; yields after each count of steps in
    `stops` (increasing), the model then in eval mode. The rows are taken in one fixed shuffled order, wrapping."""
    params = trainable(model, train_only)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)  # the stage's default
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    step = 0
    for stop in stops:
        model.train()
        while step < stop:
            at = (step * batch_size) % len(order)
            batch = data.batch(order[at:at + batch_size])
            mask = None if bool(batch["attention_mask"].all()) else batch["attention_mask"]
            logits = model(input_ids=batch["input_ids"], attention_mask=mask, use_cache=False).logits
            with torch.no_grad():
                held = teacher(input_ids=batch["input_ids"], attention_mask=mask, use_cache=False).logits
            repair_loss(logits, held, batch["labels"], retain_weight, ce_weight).backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
        model.eval()
        yield step


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", type=Path)
    ap.add_argument("unlearned", type=Path)
    ap.add_argument("fact_files", nargs="+", type=Path)
    ap.add_argument("--retain", nargs="+", required=True, help="folders of the retain corpus (.md/.txt)")
    ap.add_argument("--steps", default="10,20,40", help="comma-separated, increasing: score after this many steps")
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--train-only", default=None, help="a `[unlearn] train_only` pattern (default: every weight)")
    ap.add_argument("--retain-weight", type=float, default=2.0, help="weight of the KL to the base model")
    ap.add_argument("--ce-weight", type=float, default=1.0, help="weight of the next-token loss")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--select", nargs="+", type=Path, default=[], help="selection fact files: their dev split only")
    ap.add_argument("--test", action="store_true", help="score the fact files' test split too (not for choosing)")
    args = ap.parse_intermixed_args()
    stops = [int(s) for s in args.steps.split(",")]
    if stops != sorted(set(stops)) or stops[0] < 1:
        ap.error("--steps must be increasing positive counts")
    tok = load_tokenizer(args.base)
    teacher = frozen_copy(load_model(args.base))
    model = load_model(args.unlearned)
    data = retain_data(args.retain, tok, 256)
    files = screened(args.fact_files, args.select, args.test)
    print("steps " + header(files))
    for step in repair_steps(model, teacher, data, stops, lr=args.lr, train_only=args.train_only,
                             retain_weight=args.retain_weight, ce_weight=args.ce_weight, batch_size=args.batch_size):
        print(f"{step:<6}" + fact_cells(model, tok, files), flush=True)


if __name__ == "__main__":
    main()
