"""Fact accuracy of an unlearned model fine-tuned further on the retain corpus alone (a screen, not a stage).

The stage's repair phase (`[unlearn] repair_steps`, training/repair.py) at several step counts: after unlearning, a few
more optimizer steps with the retain terms only (retain_weight x the KL
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
from pathlib import Path

from benchmarks.interpolate_facts import fact_cells, header, screened
from training.models import load_model, load_tokenizer
from training.repair import repair_steps
from training.retain import retain_data
from training.unlearn import frozen_copy


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
    for step, _ in repair_steps(model, teacher, data, stops, lr=args.lr, train_only=args.train_only,
                                kl_weight=args.retain_weight, ce_weight=args.ce_weight, batch_size=args.batch_size):
        print(f"{step:<6}" + fact_cells(model, tok, files), flush=True)


if __name__ == "__main__":
    main()
