"""The "no knowledge" level of the known fact items: how many are still answered once the target's names are gone.

For every item the base model knows, the prompt is rewritten with a target's anchor dictionary
(the `translate` stage's matcher: "Harry Potter's best friends are Ron and" -> "Kenneth Rivera's best
friends are Hunter and") and completed greedily as when the items were chosen. An item still answered
is guessable from the prompt's remaining words ("... School of Witchcraft and" -> " Wizardry"): a
model that has forgotten the target is expected to answer it too. The guessable share is the level
an unlearned model's accuracy should fall to, not 0 (docs/pretrained.md). Prompts the dictionary
does not change are reported apart: they keep every cue, so they say nothing about guessing.

With --every-item, every item of a file is rewritten and completed, known or not: the level of the accuracy over
every item written (the evaluate stage's `<stem>_all_accuracy_<split>`, docs/pretrained.md "Every item written").

Usage: python benchmarks/measure_fact_guess_level.py WORKSPACE TARGET [FILE ...] [--every-item]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from corpus_tools.store import Store
from corpus_tools.translate import Matcher, translate_text
from training import fact_items
from training.generation import greedy_complete
from training.models import load_model, load_tokenizer, resolve_model

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "data/targets/harry_potter/pretrained/known_facts.jsonl",
         ROOT / "data/targets/harry_potter/pretrained/neighbour_facts.jsonl"]


def guess_report(items: list[dict], matcher: Matcher, complete) -> dict:
    """How many of `items` are still answered once the matcher rewrote their prompts (`complete` maps prompts to
    completions), overall and per split, among the prompts the rewriting changed."""
    translated = [translate_text(i["prompt"], matcher)[0] for i in items]
    changed = [k for k, (i, t) in enumerate(zip(items, translated)) if t != i["prompt"]]
    completions = complete([translated[k] for k in changed])
    hits = [k for k, c in zip(changed, completions) if fact_items.is_known(c, items[k]["answers"])]
    by_split = {s: [k for k in changed if items[k]["split"] == s] for s in ("dev", "test")}
    return {
        "items": len(items), "prompt_translated": len(changed),
        "still_answered": len(hits), "guessable_share": round(len(hits) / len(changed), 3) if changed else None,
        **{f"guessable_share_{s}": round(sum(k in hits for k in ks) / len(ks), 3) if ks else None
           for s, ks in by_split.items()},
        "still_answered_items": [{"prompt": translated[k], "completion": c} for k, c in zip(changed, completions)
                                 if k in hits],
    }


def main(argv: list[str]) -> None:
    every = "--every-item" in argv
    argv = [a for a in argv if a != "--every-item"]
    store, target = Store(argv[0]), argv[1]
    files = [Path(f) for f in argv[2:]] or FILES
    anchors = store.require("anchors", target)
    rows = store.read("anchors", anchors, columns=["term", "replacement", "label"]).to_pylist()
    matcher = Matcher([(r["term"], r["replacement"], r["label"]) for r in rows])
    folder = resolve_model("smollm2-135m", store)
    model, tok = load_model(folder), load_tokenizer(folder)
    report = {"anchors_version": anchors.version, "terms": len(rows), "items": "every" if every else "known"}
    started = time.perf_counter()
    complete = lambda prompts: greedy_complete(model, tok, prompts, 10, 32) if prompts else []
    for f in files:
        items = fact_items.read_items(f) if every else fact_items.known(fact_items.read_items(f))
        report[f.stem] = guess_report(items, matcher, complete)
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
