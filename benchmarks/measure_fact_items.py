"""Which fact items does the base model know? Fills split, known_by_base and base_completion in place.

`obliviate facts TARGET_FILE` does the same with the target's own base model and fact files; this script keeps the
commands docs/pretrained.md recorded (a model named by its spec, the bundled files by default).

One batched pass of greedy completions (left-padded, `NEW_TOKENS` new tokens) of the base model over
every candidate of the pretrained target's item files; an item is known when its completion names
one of its answers (training/fact_items.py). The files keep every candidate, known or not, so the
selection can be audited (docs/pretrained.md). SmolLM2-135M on 2 CPU cores: about 2 minutes.

A *selection* file (`select_*.jsonl`: items written later, only for choosing a recipe) is marked beside its
main file (`--beside MAIN`): its items are all dev except those sharing an answer with a test item of MAIN
(`fact_items.split_beside`), so a recipe chosen on it never reads a fact the main file reports on.

Usage: python benchmarks/measure_fact_items.py WORKSPACE [--model MODEL] [--beside MAIN] [FILE ...]
(MODEL defaults to smollm2-135m; FILES to the two files under data/targets/harry_potter/pretrained/).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from corpus_tools.store import Store
from training import fact_items
from training.models import load_model, load_tokenizer, resolve_model

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "data/targets/harry_potter/pretrained/known_facts.jsonl",
         ROOT / "data/targets/harry_potter/pretrained/neighbour_facts.jsonl"]
NEW_TOKENS = 10
BATCH = 32


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace")
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--beside", type=Path, help="mark FILES as selection files beside this main file")
    args = ap.parse_intermixed_args(argv)
    files = args.files or FILES
    split = fact_items.split_beside(fact_items.read_items(args.beside)) if args.beside else fact_items.split_of
    folder = resolve_model(args.model, Store(args.workspace))
    model, tok = load_model(folder), load_tokenizer(folder)
    items = {f: fact_items.read_items(f) for f in files}
    started = time.perf_counter()
    marked = fact_items.measure(model, tok, items, NEW_TOKENS, split, BATCH)
    print(f"{sum(map(len, items.values()))} completions in {time.perf_counter() - started:.0f} s")
    for f, rows in marked.items():
        fact_items.write_items(f, rows)
        print("\n".join(fact_items.summary(f, rows)))


if __name__ == "__main__":
    main()
