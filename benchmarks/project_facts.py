"""Fact accuracy of an unlearning update projected away from what text to keep activates (a screen, not a stage).

An unlearned model's update (its weights minus the base model's) is projected off the directions that text to keep
activates, layer by layer (training/nullspace.py, the math `[unlearn] project_energy` applies after training), and the
fact items are completed with the result, for several energies at once; the base model's activations on at most
`--max-blocks` 256-token blocks of the keep text give the bases. Energy 0 is the unlearned model itself.

The question (docs/pretrained.md, round 2's twenty-eighth session): does the projection keep the neighbouring worlds
at a smaller cost in forgetting than interpolating back toward the base model (benchmarks/interpolate_facts.py)?
The keep text must not be the evaluation items: the retain corpus (data/retain_*) is.
Usage: python -m benchmarks.project_facts BASE_DIR UNLEARNED_DIR FACT_FILE... --keep FOLDER [FOLDER...]
       [--energy 0.5,0.9,0.99] [--max-blocks 200] [--cache COV.pt] [--only mlp]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from benchmarks.interpolate_facts import _floats, _weights, fact_cells, header, known_items
from training.data import TrainData
from training.models import load_model, load_tokenizer
from training.nullspace import input_covariances, leading_basis, projected
from training.retain import retain_data


def project(base: dict[str, torch.Tensor], unlearned: dict[str, torch.Tensor],
            bases: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """base + projected(unlearned - base) for each weight `<name>.weight` with a basis in `bases`; other weights
    are the unlearned model's."""
    return {key: w + projected(unlearned[key] - w, bases[key.removesuffix(".weight")])
            if key.removesuffix(".weight") in bases else unlearned[key] for key, w in base.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", type=Path)
    ap.add_argument("unlearned", type=Path)
    ap.add_argument("fact_files", nargs="+", type=Path)
    ap.add_argument("--keep", nargs="+", type=Path, required=True, help="folders of text to keep (.md/.txt)")
    ap.add_argument("--energy", default="0.5,0.9,0.99", help="comma-separated shares of the keep text's input energy")
    ap.add_argument("--max-blocks", type=int, default=200, help="at most this many 256-token blocks of keep text")
    ap.add_argument("--cache", type=Path, help="a .pt file: the covariances are read from it if present, else stored")
    ap.add_argument("--only", default="", help="project only the linear layers whose name contains this (mlp, self_attn)")
    args = ap.parse_args()
    tok = load_tokenizer(args.base)
    model = load_model(args.base)
    keep = retain_data([str(k) for k in args.keep], tok, 256, pad_id=tok.pad_token_id or 0)
    step = max(1, len(keep) // args.max_blocks)
    if args.cache and args.cache.exists():
        cov = torch.load(args.cache)
    else:
        rows = TrainData(keep.input_ids[::step][:args.max_blocks], keep.attention_mask[::step][:args.max_blocks],
                         keep.labels[::step][:args.max_blocks])
        cov = input_covariances(model, rows)
        if args.cache:
            torch.save(cov, args.cache)
    cov = {name: c for name, c in cov.items() if args.only in name}
    base = _weights(args.base)
    unlearned = _weights(args.unlearned)
    files = known_items(args.fact_files)
    print("energy  rank(mean)  " + header(files))
    for energy in _floats(args.energy):
        bases = {name: leading_basis(c, energy) for name, c in cov.items()}
        mean_rank = sum(u.shape[1] for u in bases.values()) / len(bases)
        model.load_state_dict(project(base, unlearned, bases))
        print(f"{energy:<8g}{mean_rank:<12.1f}" + fact_cells(model, tok, files), flush=True)


if __name__ == "__main__":
    main()
