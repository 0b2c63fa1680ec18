"""Fact accuracy of weight interpolations between a base model and an unlearned one (a screen, not a stage).

theta(lam) = theta_base + lam * (theta_unlearned - theta_base): lam = 1 is the unlearned model, 0 the base model.
Interpolating a fine-tuned model back toward its starting point keeps more of what the starting point did well
(Wortsman et al. 2022, "Robust fine-tuning of zero-shot models"); the question here is whether, on the pretrained
target, the path from the base model to an unlearned one forgets the known facts at a smaller cost in neighbours
than the learning-rate path of the trials does (docs/pretrained.md, round 2's twenty-sixth session). Each fact file's
known items are completed greedily, 10 new tokens, as the evaluate stage does; answered / known per split.
Usage: python -m benchmarks.interpolate_facts BASE_DIR UNLEARNED_DIR FACT_FILE... [--lam 1,0.8,0.6]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from training import fact_items
from training.generation import greedy_complete
from training.models import load_model, load_tokenizer


def interpolate(base: dict[str, torch.Tensor], other: dict[str, torch.Tensor], lam: float) -> dict[str, torch.Tensor]:
    """base + lam * (other - base), tensor by tensor (the two state dicts must share their keys and shapes)."""
    if base.keys() != other.keys():
        raise ValueError("the two models' weights differ in their names: not the same architecture")
    return {k: base[k] + lam * (other[k] - base[k]) for k in base}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", type=Path)
    ap.add_argument("unlearned", type=Path)
    ap.add_argument("fact_files", nargs="+", type=Path)
    ap.add_argument("--lam", default="1,0.8,0.6", help="comma-separated interpolation weights of the unlearned model")
    args = ap.parse_args()
    tok = load_tokenizer(args.base)
    base = {k: v.clone() for k, v in load_model(args.base).state_dict().items()}
    model = load_model(args.unlearned)
    unlearned = {k: v.clone() for k, v in model.state_dict().items()}
    files = {f.stem: fact_items.known(fact_items.read_items(f)) for f in args.fact_files}
    print("lam   " + "".join(f"{stem + ' ' + split:>24}" for stem in files for split in ("dev", "test")))
    for lam in (float(x) for x in args.lam.split(",")):
        model.load_state_dict(interpolate(base, unlearned, lam))
        cells = []
        for items in files.values():
            completions = greedy_complete(model, tok, [i["prompt"] for i in items], 10, 32)
            by_split = fact_items.accuracy_by(items, completions, lambda i: i["split"])
            cells += [f"{hit:>14}/{n:<3} {hit / n:.3f}" for hit, n in (by_split[s] for s in ("dev", "test"))]
        print(f"{lam:<6g}" + "".join(cells), flush=True)


if __name__ == "__main__":
    main()
