"""Fact accuracy of weight interpolations between a base model and an unlearned one (a screen, not a stage).

theta(lam) = theta_base + lam * (theta_unlearned - theta_base): lam = 1 is the unlearned model, 0 the base model.
With `--negate REINFORCED_DIR --mu M`, the reinforced model's task vector is subtracted too (task arithmetic's
negation, Ilharco et al. 2023, "Editing models with task arithmetic"):
theta = theta_base + lam * (theta_unlearned - theta_base) - mu * (theta_reinforced - theta_base); lam = 0 with
`--negate` screens negation alone (UNLEARNED_DIR is then read but weighs nothing).
Interpolating a fine-tuned model back toward its starting point keeps more of what the starting point did well
(Wortsman et al. 2022, "Robust fine-tuning of zero-shot models"); the question here is whether, on the pretrained
target, the path from the base model to an unlearned one forgets the known facts at a smaller cost in neighbours
than the learning-rate path of the trials does (docs/pretrained.md, round 2's twenty-sixth session). Each fact file's
known items are completed and scored as the evaluate stage does; answered / known per split.
With `--reset REGEX`, every weight whose name the pattern finds (re.search) is the base model's at every point: which
weights' update carries the collateral (docs/pretrained.md, round 2's thirtieth session; "embed_tokens" for the
embedding matrix and the output layer SmolLM2 ties to it). `--select FILE...` adds selection files
(`select_neighbours.jsonl`) of which only the dev split is read.
A screen chooses what to try next, so it reads only the dev split of every file: the test split, the one reported,
is scored only with `--test` (for a figure read after a choice, never to make one; round 2's thirty-second session).
With `--rank R`, each weight matrix's update (unlearned - base) is cut to its R largest singular directions before
interpolating (every R of a comma-separated list is a row): whether the forgetting lives in a few directions of the
update and the collateral in the rest (round 2's thirty-fourth session).
With `--at REGEX=S` (repeatable, each one a row of every lam), the weights whose names REGEX finds keep S of their
update and the others lam: which part of the update carries the forgetting and which the collateral, at a finer grain
than --reset (round 2's forty-sixth session). `--write DIR` saves each row's model in DIR (one folder per row, the
tokenizer beside it), for `benchmarks.select_facts` to compare item by item.
With `--random SEED,...`, each weight's update is replaced by Gaussian noise of the same norm (a row per seed): whether
the items a recipe loses flip under any update of its size or under the direction it learnt (round 2's forty-seventh
session).
Usage: python -m benchmarks.interpolate_facts BASE_DIR UNLEARNED_DIR FACT_FILE... [--lam 1,0.8,0.6]
       [--negate REINFORCED_DIR --mu 0,0.25,0.5]   (every lam with every mu)   [--reset REGEX] [--select FILE...]
       [--test] [--rank 4,16 | --random 0,1] [--at REGEX=S ...] [--write DIR]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import torch

from training import fact_items
from training.evaluate import EvalSettings, fact_accuracy
from training.loop import save_model
from training.models import interpolate, load_model, load_tokenizer


def negate(point: dict[str, torch.Tensor], base: dict[str, torch.Tensor], reinforced: dict[str, torch.Tensor],
           mu: float) -> dict[str, torch.Tensor]:
    """point - mu * (reinforced - base): the reinforced model's task vector taken away from `point`."""
    if not point.keys() == base.keys() == reinforced.keys():
        raise ValueError("the models' weights differ in their names: not the same architecture")
    return {k: point[k] - mu * (reinforced[k] - base[k]) for k in point}


def reset(point: dict[str, torch.Tensor], base: dict[str, torch.Tensor], pattern: str | None) -> dict[str, torch.Tensor]:
    """`point` with every weight whose name `pattern` finds (re.search) set back to the base model's, and with it
    every weight tied to one of those (equal to it in both models: SmolLM2's lm_head is its embedding matrix, and
    loading a state dict would otherwise write the untouched twin over the reset one); None: `point`."""
    if pattern is None:
        return point
    return {**point, **{k: base[k] for k in matched(point, base, pattern, "--reset")}}


def matched(point: dict[str, torch.Tensor], base: dict[str, torch.Tensor], pattern: str, option: str) -> set[str]:
    """The names of the weights `pattern` finds (re.search), with every weight tied to one of them (equal to it in
    both models); none found is an error naming `option`."""
    found = re.compile(pattern)
    chosen = {k for k in point if found.search(k)}
    if not chosen:
        raise ValueError(f"{option} {pattern!r} finds no weight (they are named like {next(iter(point))!r})")
    return chosen | {o for o in point for k in list(chosen) if o not in chosen and tied(point, base, o, k)}


def tied(point: dict[str, torch.Tensor], base: dict[str, torch.Tensor], a: str, b: str) -> bool:
    """Whether weights `a` and `b` are one weight under two names (equal in both models: SmolLM2's lm_head and its
    embedding matrix), so that whatever is done to one must be done to the other."""
    return point[a].shape == point[b].shape and torch.equal(point[a], point[b]) and torch.equal(base[a], base[b])


def scaled_at(base: dict[str, torch.Tensor], other: dict[str, torch.Tensor], lam: float,
              at: tuple[str, float] | None) -> dict[str, torch.Tensor]:
    """base + lam x (other - base), except the weights `at`'s pattern finds (and their tied twins), which keep
    `at`'s own share of their update; None: the plain interpolation."""
    point = interpolate(base, other, lam)
    if at is None:
        return point
    pattern, share = at
    group = matched(point, base, pattern, "--at")
    return {**point, **interpolate({k: base[k] for k in group}, {k: other[k] for k in group}, share)}


def parse_at(text: str) -> tuple[str, float]:
    """'REGEX=S' -> (REGEX, S), splitting at the last '=' (a pattern may hold one)."""
    pattern, _, share = text.rpartition("=")
    try:
        if pattern:
            return pattern, float(share)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"--at {text!r}: expected REGEX=SHARE, e.g. 'layers\\.[0-9]\\.mlp\\.=0.5'")


def low_rank(base: dict[str, torch.Tensor], other: dict[str, torch.Tensor], rank: int | None) -> dict[str, torch.Tensor]:
    """`other` with each matrix's update from `base` cut to its `rank` largest singular directions (the best rank-r
    approximation of the update, Eckart-Young); vectors (norms) and unchanged weights as they are; None: `other`."""
    if rank is None:
        return other
    out = dict(other)
    for k, w in other.items():
        delta = w - base[k]
        if w.dim() == 2 and min(w.shape) > rank and bool(delta.any()):
            u, s, vh = torch.linalg.svd(delta.double(), full_matrices=False)
            out[k] = (base[k].double() + (u[:, :rank] * s[:rank]) @ vh[:rank]).to(w.dtype)
    return out


def random_update(base: dict[str, torch.Tensor], other: dict[str, torch.Tensor], seed: int) -> dict[str, torch.Tensor]:
    """`other` with each weight's update from `base` replaced by Gaussian noise of the same Frobenius norm (drawn under
    `seed`, weight by weight in name order): an update of the same size per weight and no direction learnt. Unchanged
    weights stay; a weight tied to an earlier one (equal to it in both models) gets that one's noise."""
    gen = torch.Generator().manual_seed(seed)
    out = dict(other)
    done: list[str] = []
    for k in sorted(other):
        delta = other[k].double() - base[k].double()
        if not bool(delta.any()):
            continue
        twin = next((j for j in done if tied(other, base, j, k)), None)
        if twin is not None:
            out[k] = out[twin]
            continue
        noise = torch.randn(delta.shape, generator=gen, dtype=torch.float64)
        out[k] = (base[k].double() + noise * (delta.norm() / noise.norm())).to(other[k].dtype)
        done.append(k)
    return out


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in load_model(path).state_dict().items()}


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",")]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", type=Path)
    ap.add_argument("unlearned", type=Path)
    ap.add_argument("fact_files", nargs="+", type=Path)
    ap.add_argument("--lam", default="1,0.8,0.6", help="comma-separated interpolation weights of the unlearned model")
    ap.add_argument("--negate", type=Path, help="a reinforced model's folder: subtract mu times its task vector too")
    ap.add_argument("--mu", default="0", help="comma-separated weights of the negated task vector (with --negate)")
    ap.add_argument("--reset", help="a regular expression: the weights whose names it finds are the base model's")
    ap.add_argument("--select", nargs="+", type=Path, default=[], help="selection fact files: their dev split only")
    ap.add_argument("--rank", help="comma-separated ranks: each matrix's update cut to that many singular directions")
    ap.add_argument("--random", help="comma-separated seeds: rows where each weight's update is Gaussian noise of its "
                                     "norm")
    ap.add_argument("--test", action="store_true",
                    help="score the fact files' test split too (the reported one: not for choosing what to try)")
    ap.add_argument("--at", action="append", type=parse_at, default=[],
                    help="REGEX=S: a row where the weights REGEX finds keep S of their update, the others lam "
                         "(repeatable)")
    ap.add_argument("--write", type=Path, help="save each row's model in this folder (one subfolder per row)")
    args = ap.parse_intermixed_args(argv)
    if args.negate is None and _floats(args.mu) != [0.0]:
        ap.error("--mu needs --negate REINFORCED_DIR")
    tok = load_tokenizer(args.base)
    base = _weights(args.base)
    reinforced = _weights(args.negate) if args.negate else base
    model = load_model(args.unlearned)
    unlearned = {k: v.clone() for k, v in model.state_dict().items()}
    files = screened(args.fact_files, args.select, args.test)
    if args.random is not None and args.rank is not None:
        ap.error("--random replaces the update that --rank cuts: give one of the two")
    if args.random is not None:
        updates = [(f"rnd{int(seed)}", lambda seed=int(seed): random_update(base, unlearned, seed))
                   for seed in args.random.split(",")]
    else:
        ranks = [None] if args.rank is None else [int(r) for r in args.rank.split(",")]
        updates = [("full" if r is None else str(r), lambda r=r: low_rank(base, unlearned, r)) for r in ranks]
    width = max(len(_at_label(at)) for at in [None, *args.at]) + 2
    print("rank  lam   mu    " + "at".ljust(width) + header(files))
    for label, update in updates:
        cut = update()
        for lam in _floats(args.lam):
            for mu in _floats(args.mu):
                for at in [None, *args.at]:
                    model.load_state_dict(reset(negate(scaled_at(base, cut, lam, at), base, reinforced, mu), base,
                                                args.reset))
                    row = f"{label:<6}{lam:<6g}{mu:<6g}{_at_label(at):<{width}}"
                    if args.write:
                        save_model(model, args.unlearned, args.write / _folder_name(row))
                    print(row + fact_cells(model, tok, files), flush=True)


def _at_label(at: tuple[str, float] | None) -> str:
    return "-" if at is None else f"{at[0]}={at[1]:g}"


def _folder_name(row: str) -> str:
    """A row's label as a folder name: its fields joined by '_', every other character than [A-Za-z0-9._=-] dropped."""
    return "_".join(re.sub(r"[^A-Za-z0-9._=-]", "", field) for field in row.split())


def screened(fact_files: list[Path], select: list[Path], test: bool = False) -> dict[str, list[dict]]:
    """The known items a screen scores: the fact files' dev split (and their test split with `test`), the selection
    files' dev split only."""
    return known_items(fact_files, None if test else "dev") | known_items(select, "dev")


def known_items(fact_files: list[Path], split: str | None = None) -> dict[str, list[dict]]:
    """Each fact file's known items (of `split` only, if given), by the file's stem."""
    return {f.stem: fact_items.known(fact_items.read_items(f), split) for f in fact_files}


def _splits(items: list[dict]) -> list[str]:
    return [s for s in ("dev", "test") if any(i["split"] == s for i in items)]


def header(files: dict[str, list[dict]]) -> str:
    return "".join(f"{stem + ' ' + split:>24}" for stem, items in files.items() for split in _splits(items))


def fact_cells(model, tok, files: dict[str, list[dict]]) -> str:
    """answered/known and the accuracy per fact file and split (the order of `header`), scored as the evaluate stage
    scores fact items (`training.evaluate.fact_accuracy` with its default settings)."""
    return "".join(f"{round(share * n):>14}/{n:<3} {share:.3f}"
                   for share, n in fact_accuracy(model, tok, files, EvalSettings()).values())


if __name__ == "__main__":
    main()
