"""Average the weights of unlearned models that differ only in their seed (a "model soup"; a screen, not a stage).

Two runs of one recipe that differ only in `unlearn.seed` (the order of the blocks and of the retain batches) share
what the recipe teaches and differ in what the order adds. If part of the collateral on the pretrained target's
neighbouring worlds is that order's noise, the mean of the runs' weights keeps the shared forgetting and cancels
some of the noise (Wortsman et al. 2022, "Model soups": fine-tunes of one starting point average without losing
accuracy). The soup is written as a model folder, so `benchmarks.select_facts` can compare it with its ingredients
item by item (docs/pretrained.md, round 2's thirty-fifth session, screen SS).

Usage: python -m benchmarks.soup OUT_DIR MODEL_DIR MODEL_DIR... [--overwrite]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import torch

from corpus_tools.errors import ObliviateError
from training.loop import save_model
from training.models import load_model


def mean_weights(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The tensor-by-tensor mean of two or more state dicts of one architecture (float tensors averaged in float64,
    then cast back; integer buffers must agree and are kept)."""
    if len(states) < 2:
        raise ObliviateError("a soup needs at least two models")
    names = states[0].keys()
    for s in states[1:]:
        if s.keys() != names or any(s[k].shape != states[0][k].shape for k in names):
            raise ObliviateError("the models' weights differ in their names or shapes: not one architecture")
    out = {}
    for k in names:
        first = states[0][k]
        if first.is_floating_point():
            out[k] = (sum(s[k].double() for s in states) / len(states)).to(first.dtype)
        elif all(torch.equal(s[k], first) for s in states[1:]):
            out[k] = first.clone()
        else:
            raise ObliviateError(f"{k}: a non-float tensor that differs between the models cannot be averaged")
    return out


def write_soup(out: Path, folders: list[Path], overwrite: bool = False) -> Path:
    """Load each folder, write the mean of their weights to `out` as a model folder with the first one's tokenizer
    files (`training.loop.save_model`: written under a temporary name and renamed, so a killed run leaves no half
    soup; with `overwrite` the old one is removed first)."""
    if out.exists() and not overwrite:
        raise ObliviateError(f"{out} exists (--overwrite replaces it)")
    model = load_model(folders[0])
    # the mean is built in new tensors before it is loaded, so the first model's own weights may stand in the list
    model.load_state_dict(mean_weights([model.state_dict()] + [load_model(f).state_dict() for f in folders[1:]]))
    shutil.rmtree(out, ignore_errors=True)
    save_model(model, folders[0], out)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--overwrite", action="store_true")
    args = ap.parse_args(argv)
    try:
        print(write_soup(args.out, args.models, args.overwrite))
    except ObliviateError as e:
        raise SystemExit(f"error: {e}") from None


if __name__ == "__main__":
    main()
