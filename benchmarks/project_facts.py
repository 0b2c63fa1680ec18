"""Fact accuracy of an unlearning update projected away from what text to keep activates (a screen, not a stage).

An unlearned model's update (its weights minus the base model's) is projected off the directions that text to keep
activates, layer by layer (training/nullspace.py, the math `[unlearn] project_energy` applies after training), and the
fact items are completed with the result, for several energies at once; the base model's activations on at most
`--max-blocks` 256-token blocks of the keep text give the bases. Energy 0 is the unlearned model itself.

The question (docs/pretrained.md, round 2's twenty-eighth session): does the projection keep the neighbouring worlds
at a smaller cost in forgetting than interpolating back toward the base model (benchmarks/interpolate_facts.py)?
The keep text must not be the evaluation items: the retain corpus (data/retain_*) is.
With `--target FOLDER...` and `--ranks`, the bases are instead the directions the keep text uses most relative to the
target text (`contrast_basis`, that many per layer): does blocking what sets the keep text apart
cost less forgetting than blocking what it uses most (round 2's thirty-fourth session)?
As every screen, it reads the fact files' dev split only (and `--select` files' dev split); `--test` adds the test split.
Usage: python -m benchmarks.project_facts BASE_DIR UNLEARNED_DIR FACT_FILE... --keep FOLDER [FOLDER...]
       [--energy 0.5,0.9,0.99] [--max-blocks 200] [--cache COV.pt] [--only mlp]
       [--target FOLDER... --ranks 1,3,10 [--reg 1] [--target-cache COV.pt]] [--gain 0,2] [--select FILE...]
       [--test]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from benchmarks.interpolate_facts import _floats, _weights, fact_cells, header, screened
from training.data import TrainData
from training.models import load_model, load_tokenizer
from training.nullspace import input_covariances, leading_basis, projected
from training.retain import retain_data


def contrast_directions(keep: torch.Tensor, target: torch.Tensor, reg: float = 1.0) -> torch.Tensor:
    """Every direction of the input space as a column, those the keep text's inputs use most *relative to* the target
    text's first: the generalized eigenvectors of (K, T + reg I / d), K and T the two covariances scaled to trace 1
    (per-token usage, whatever the token counts), d their size; not orthonormal (`contrast_basis` spans the first
    ones). The energy basis (`leading_basis`) blocks what the keep text uses most, which the target text mostly uses
    too; these block what sets the keep text apart. `reg` keeps directions neither text uses from ranking high on a
    ratio of two small numbers."""
    d = keep.shape[0]
    k = keep.double() / keep.double().trace()
    t = target.double() / target.double().trace() + reg / d * torch.eye(d, dtype=torch.float64, device=keep.device)
    chol = torch.linalg.cholesky(t)
    inner = torch.linalg.solve_triangular(chol, torch.linalg.solve_triangular(chol, k, upper=False).T, upper=False)
    _, w = torch.linalg.eigh((inner + inner.T) / 2)  # L^-1 K L^-T, symmetric
    return torch.linalg.solve_triangular(chol.T, w.flip(1), upper=True)  # back to the input space: L^-T w


def contrast_span(directions: torch.Tensor, rank: int) -> torch.Tensor:
    """`rank` orthonormal columns spanning the first `rank` of `contrast_directions`' columns."""
    d = directions.shape[0]
    if not 0 <= rank <= d:
        raise ValueError(f"rank must lie in [0, {d}], got {rank}")
    return torch.linalg.qr(directions[:, :rank]).Q if rank else directions.new_zeros(d, 0)


def contrast_basis(keep: torch.Tensor, target: torch.Tensor, rank: int, reg: float = 1.0) -> torch.Tensor:
    """`rank` orthonormal columns spanning the directions the keep text uses most relative to the target text
    (`contrast_directions`)."""
    return contrast_span(contrast_directions(keep, target, reg), rank)


def project(base: dict[str, torch.Tensor], unlearned: dict[str, torch.Tensor],
            bases: dict[str, torch.Tensor], gain: float = 0.0) -> dict[str, torch.Tensor]:
    """base + projected(unlearned - base) for each weight `<name>.weight` with a basis U in `bases`; other weights
    are the unlearned model's. With `gain` g the update's component on U is kept g times instead of removed:
    D + (g - 1) (D U) U^T (0: projected, 1: the unlearned model, 2: that component doubled)."""
    def moved(delta: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
        return projected(delta, basis) + gain * (delta - projected(delta, basis))

    return {key: w + moved(unlearned[key] - w, bases[key.removesuffix(".weight")])
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
    ap.add_argument("--target", nargs="+", type=Path, default=[],
                    help="folders of the target's text: contrastive bases (with --ranks) instead of energy ones")
    ap.add_argument("--ranks", default="", help="comma-separated directions per layer of the contrastive bases")
    ap.add_argument("--reg", type=float, default=1.0, help="regularisation of the contrastive bases (contrast_basis)")
    ap.add_argument("--target-cache", type=Path, help="as --cache, for the target text's covariances")
    ap.add_argument("--gain", default="0", help="comma-separated gains of the update's component on the bases "
                                                "(0: removed, the projection; 2: doubled)")
    ap.add_argument("--select", nargs="+", type=Path, default=[], help="selection fact files: their dev split only")
    ap.add_argument("--test", action="store_true", help="score the fact files' test split too (not for choosing)")
    args = ap.parse_args()
    if bool(args.target) != bool(args.ranks):
        ap.error("--target and --ranks go together")
    tok = load_tokenizer(args.base)
    model = load_model(args.base)
    cov = covariances(model, tok, args.keep, args.max_blocks, args.cache)
    cov = {name: c for name, c in cov.items() if args.only in name}
    target = covariances(model, tok, args.target, args.max_blocks, args.target_cache) if args.target else {}
    base = _weights(args.base)
    unlearned = _weights(args.unlearned)
    files = screened(args.fact_files, args.select, args.test)
    if args.target:  # one generalized eigenproblem per layer, whatever the ranks
        directions = {n: contrast_directions(c, target[n], args.reg) for n, c in cov.items()}
        points = (("contrast", r, {n: contrast_span(v, r) for n, v in directions.items()})
                  for r in (int(x) for x in args.ranks.split(",")))
    else:
        points = (("energy", e, {n: leading_basis(c, e) for n, c in cov.items()}) for e in _floats(args.energy))
    print("basis     at      rank(mean)  gain  " + header(files))
    for kind, at, bases in points:
        mean_rank = sum(u.shape[1] for u in bases.values()) / len(bases)
        for gain in _floats(args.gain):
            model.load_state_dict(project(base, unlearned, bases, gain))
            print(f"{kind:<10}{at:<8g}{mean_rank:<12.1f}{gain:<6g}" + fact_cells(model, tok, files), flush=True)


def covariances(model, tok, folders: list[Path], max_blocks: int, cache: Path | None) -> dict[str, torch.Tensor]:
    """Each decoder linear layer's input covariance over at most `max_blocks` 256-token blocks of the folders' text,
    taken evenly through it; read from `cache` when it exists, else stored there."""
    if cache and cache.exists():
        return torch.load(cache)
    text = retain_data([str(f) for f in folders], tok, 256, pad_id=tok.pad_token_id or 0)
    step = max(1, len(text) // max_blocks)
    rows = TrainData(text.input_ids[::step][:max_blocks], text.attention_mask[::step][:max_blocks],
                     text.labels[::step][:max_blocks])
    cov = input_covariances(model, rows)
    if cache:
        torch.save(cov, cache)
    return cov


if __name__ == "__main__":
    main()
