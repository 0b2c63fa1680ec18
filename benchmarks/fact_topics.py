"""Fact accuracy by topic, and for topics a retain corpus covers against those it does not.

A retain corpus about some of the neighbouring worlds protects what it states; whether the protection
reaches the worlds it never mentions is the figure that says something about the user's other knowledge.
Each model folder completes every known item of the fact file (both splits, as the evaluate stage does:
10 new tokens, greedy); the table gives answered / known per topic and per group.
With `--covered-by FOLDER` an item is covered when one of its answers occurs in the folder's .md/.txt text
(as a whole word, in any case: the rule that scores a completion), for retain text not written by topic
(the subject's own samples, `obliviate self-samples`).
With `--margins BASE_DIR` the items are also grouped by how narrowly that model knows them: its log-probability
margin between the best and the second-best token at the first new position (`first_token_margins`), in bands
[0, 1), [1, 2), [2, 4) and 4 or more nats (docs/pretrained.md, trial PF1: the neighbours a recipe loses are
mostly those the base model barely knew).
Usage: python -m benchmarks.fact_topics FACT_FILE (--covered greek,norse,... | --covered-by FOLDER) [--margins BASE_DIR] MODEL_DIR...
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from training import fact_items
from training.generation import greedy_complete, next_token_logits
from training.models import load_model, load_tokenizer
from training.retain import retain_files

MARGIN_EDGES = (1.0, 2.0, 4.0)


def first_token_margins(model, tok, prompts: list[str]) -> list[float]:
    """Per prompt: log p(best next token) - log p(second best), in nats."""
    best = torch.log_softmax(next_token_logits(model, tok, prompts), dim=-1).topk(2, dim=-1).values
    return (best[:, 0] - best[:, 1]).tolist()


def margin_band(margin: float, edges=MARGIN_EDGES) -> str:
    """'[lo, hi)' band of a margin ('4+' above the last edge)."""
    lo = 0.0
    for hi in edges:
        if margin < hi:
            return f"[{lo:g}, {hi:g})"
        lo = hi
    return f"{lo:g}+"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fact_file", type=Path)
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--covered", default="", help="comma-separated topics a retain corpus covers")
    ap.add_argument("--covered-by", type=Path, help="a retain folder: items with an answer in its text are covered")
    ap.add_argument("--margins", type=Path, help="a model folder (the base model): group items by its first-token margin")
    ap.add_argument("--split", choices=["dev", "test", "all"], default="all")
    args = ap.parse_args()
    covered = {t for t in args.covered.split(",") if t}
    items = fact_items.known(fact_items.read_items(args.fact_file), None if args.split == "all" else args.split)
    if args.covered_by is not None:
        text = "\n".join(f.read_text(encoding="utf-8") for f in retain_files(str(args.covered_by)))
        in_text = {id(i) for i in items if fact_items.is_known(text, i["answers"])}
        is_covered = lambda i: id(i) in in_text
    else:
        is_covered = lambda i: i["topic"] in covered
    groups = {"topic": lambda i: i["topic"], "covered": lambda i: "covered" if is_covered(i) else "not covered"}
    if args.margins is not None:
        margins = first_token_margins(load_model(args.margins), load_tokenizer(args.margins), [i["prompt"] for i in items])
        band = {id(i): margin_band(m) for i, m in zip(items, margins)}
        groups["margin"] = lambda i: band[id(i)]
    rows = {}
    for folder in args.models:
        completions = greedy_complete(load_model(folder), load_tokenizer(folder), [i["prompt"] for i in items], 10, 16)
        rows[folder] = {g: fact_items.accuracy_by(items, completions, f) for g, f in groups.items()}
    names = [str(m.parent.name if m.name == "model" else m.name) for m in args.models]
    for g in groups:
        keys = sorted({k for r in rows.values() for k in r[g]}, key=lambda k: -next(iter(rows.values()))[g][k][1])
        print(f"\n{g:<14}" + "".join(f"{n:>16}" for n in names))
        for k in keys:
            print(f"{k:<14}" + "".join(f"{rows[m][g][k][0]:>9}/{rows[m][g][k][1]:<3} {rows[m][g][k][0] / rows[m][g][k][1]:.2f}"
                                       for m in args.models))


if __name__ == "__main__":
    main()
