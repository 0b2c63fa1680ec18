"""Fact accuracy by topic, and for topics a retain corpus covers against those it does not.

A retain corpus about some of the neighbouring worlds protects what it states; whether the protection
reaches the worlds it never mentions is the figure that says something about the user's other knowledge.
Each model folder completes every known item of the fact file (both splits, as the evaluate stage does:
10 new tokens, greedy); the table gives answered / known per topic and per group.
Usage: python -m benchmarks.fact_topics FACT_FILE --covered greek,norse,... MODEL_DIR [MODEL_DIR ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from training import fact_items
from training.generation import greedy_complete
from training.models import load_model, load_tokenizer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fact_file", type=Path)
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--covered", default="", help="comma-separated topics a retain corpus covers")
    ap.add_argument("--split", choices=["dev", "test", "all"], default="all")
    args = ap.parse_args()
    covered = {t for t in args.covered.split(",") if t}
    items = fact_items.known(fact_items.read_items(args.fact_file), None if args.split == "all" else args.split)
    groups = {"topic": lambda i: i["topic"], "covered": lambda i: "covered" if i["topic"] in covered else "not covered"}
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
