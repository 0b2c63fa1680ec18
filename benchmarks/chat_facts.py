"""The fact items asked through the model's chat template, each model against a reference, item by item.

The evaluate stage completes a fact prompt as raw text ("Harry Potter's best friends are Ron and" -> " Hermione"),
and with `[evaluate] fact_chat = true` also asks it as below, for the models of a workspace; this script asks the same
way for any model folders and pairs them item by item with a reference (the trials' comparisons). An instruct model
is used through its chat template, and a question put to it that way runs through other weights' habits: the model
may answer in a sentence, repeat the prompt, or refuse. This asks every item of one split of the fact files as a user
turn, "Finish this sentence: <prompt>" (`training.fact_items.chat_prompts`, shared with the stage), and reads the
greedy reply: an item is answered when the reply states one of its answers (`training.fact_items.is_known`, as the
evaluate stage grades completions); a reply that repeats the prompt is not credited for it, since no answer of an
item is in its prompt (`read_items` refuses such an item). Nothing is selected by the reference's answers, so the
comparison is over every item (docs/pretrained.md, "Every item written"): each model's share, the reference's items
it lost and the ones it gained, its gap to the reference with a paired 95% interval that resamples whole facts, and
the exact one-sided sign test's p that it lost more by chance.

The dev split is the default; `--split test` reads the reported split, for after a recipe is chosen. `--rows` writes
every reply (one JSON line per model and item) for reading which facts moved.

Usage: python -m benchmarks.chat_facts FACT_FILE... --models REFERENCE_DIR OTHER_DIR... [--names BASE,P11,...]
       [--split dev|test] [--new-tokens 24] [--rows replies.jsonl]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.every_item import compare
from benchmarks.select_facts import model_names
from corpus_tools.errors import ObliviateError
from corpus_tools.progress import LogReporter
from training.evaluate import fact_item_id
from training.fact_items import CHAT_ASK, chat_prompts, is_known, read_items, split_name
from training.generation import greedy_complete
from training.models import load_model, load_tokenizer

def ask(model_dir: Path, stems: dict[str, list[dict]], new_tokens: int, batch_size: int = 16,
        advance=lambda n=1: None) -> dict[str, list[str]]:
    """Per file, the model's greedy reply to each item."""
    tok, model = load_tokenizer(model_dir), load_model(model_dir)
    return {stem: greedy_complete(model, tok, chat_prompts(tok, [i["prompt"] for i in items]), new_tokens, batch_size,
                                  advance)
            for stem, items in stems.items()}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fact_files", nargs="+", type=Path)
    ap.add_argument("--models", nargs="+", type=Path, required=True, help="model folders; the first is the reference")
    ap.add_argument("--names", default="", help="comma-separated names for the models (default: folder names)")
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--new-tokens", type=int, default=24, help="reply length in tokens (room for a repeated prompt)")
    ap.add_argument("--rows", type=Path, help="write every reply here as JSON lines")
    args = ap.parse_args(argv)
    names = model_names(ap, args)
    if missing := [str(p) for p in args.fact_files if not p.is_file()] + \
            [str(m) for m in args.models if not (m / "config.json").is_file()]:
        ap.error(f"not a fact file or model folder: {', '.join(missing)}")
    try:
        stems = {f.stem: [i for i in read_items(f) if split_name(i) == args.split] for f in args.fact_files}
        progress = LogReporter()  # to stderr, a line every 30 s: about 4 minutes per 1,000 items on 2 CPU cores
        replies = {name: ask(folder, stems, args.new_tokens,
                             advance=progress.task(f"{name}: chat replies", sum(map(len, stems.values()))))
                   for name, folder in zip(names, args.models)}
    except ObliviateError as e:
        raise SystemExit(f"error: {e}") from None
    hits = {name: {stem: {fact_item_id(stem, i): is_known(r, i["answers"])
                          for i, r in zip(items, replies[name][stem])} for stem, items in stems.items()}
            for name in names}
    if args.rows:
        with args.rows.open("w", encoding="utf-8") as out:
            for name in names:
                for stem, items in stems.items():
                    for i, r in zip(items, replies[name][stem]):
                        out.write(json.dumps({"model": name, "item_id": fact_item_id(stem, i), "reply": r,
                                              "answered": hits[name][stem][fact_item_id(stem, i)]}) + "\n")
    ref = names[0]
    print(f"fact items through the chat template ({CHAT_ASK!r}), {args.split} split, every item; against {ref}")
    for stem, items in stems.items():
        print(f"\n{stem} ({len(items)} items): {ref} answers {sum(hits[ref][stem].values())}")
        for name in names[1:]:
            c = compare(items, stem, hits[name][stem], hits[ref][stem])
            print(f"  {name:<12} {c['answered']:>4}/{c['n']}  gap {100 * c['gap']:+.1f} points "
                  f"[{100 * c['ci'][0]:+.1f}, {100 * c['ci'][1]:+.1f}]  lost {c['lost']}, gained {c['gained']}, "
                  f"p(lost more by chance) = {c['p_worse']:.3f}")


if __name__ == "__main__":
    main()
