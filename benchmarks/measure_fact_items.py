"""Which fact items does the base model know? Fills split, known_by_base and base_completion in place.

One batched pass of greedy completions (left-padded, `NEW_TOKENS` new tokens) of the base model over
every candidate of the pretrained target's item files; an item is known when its completion names
one of its answers (training/fact_items.py). The files keep every candidate, known or not, so the
selection can be audited (docs/pretrained.md). SmolLM2-135M on 2 CPU cores: about 2 minutes.

Usage: python benchmarks/measure_fact_items.py WORKSPACE [MODEL] [FILE ...]
(MODEL defaults to smollm2-135m; FILES to the two files under data/targets/harry_potter/pretrained/).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from corpus_tools.store import Store
from training import fact_items
from training.generation import greedy_complete, load_model
from training.models import resolve_model

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "data/targets/harry_potter/pretrained/known_facts.jsonl",
         ROOT / "data/targets/harry_potter/pretrained/neighbour_facts.jsonl"]
NEW_TOKENS = 10
BATCH = 32


def main(argv: list[str]) -> None:
    store = Store(argv[0])
    spec = argv[1] if len(argv) > 1 else "smollm2-135m"
    files = [Path(f) for f in argv[2:]] or FILES
    model, tok = load_model(resolve_model(spec, store))
    items = {f: fact_items.read_items(f) for f in files}
    prompts = [i["prompt"] for f in files for i in items[f]]
    started = time.perf_counter()
    completions = greedy_complete(model, tok, prompts, NEW_TOKENS, BATCH)
    print(f"{len(prompts)} completions in {time.perf_counter() - started:.0f} s")
    at = 0
    for f in files:
        marked = fact_items.mark(items[f], completions[at:at + len(items[f])])
        at += len(items[f])
        fact_items.write_items(f, marked)
        kept = fact_items.known(marked)
        splits = Counter(i["split"] for i in kept)
        print(f"{f.name}: {len(kept)} of {len(marked)} known (dev {splits['dev']}, test {splits['test']})")
        by_topic = Counter(i["topic"] for i in marked)
        known_topic = Counter(i["topic"] for i in kept)
        print("  " + ", ".join(f"{t} {known_topic[t]}/{n}" for t, n in sorted(by_topic.items())))


if __name__ == "__main__":
    main(sys.argv[1:])
