"""The fact items by shape: how many of each split complete a person's name, and how stored models answer each shape.

A *name item* is one whose prompt ends on what leads into a person's surname (a given name, initials or an honorific:
"The hero of the novels is Harry" -> " Potter", "J.K." -> " Rowling", "Lord" -> " Voldemort") and whose answer is
capitalised; every other item is *other*. The rule is a heuristic: a given name is a word `gender_guesser` knows as
one ("Warner" of Warner Bros counts, "Marvolo" does not), initials are capitals with full stops, honorifics a short
list. Why it matters (docs/pretrained.md, "Screen NL and trial NR1"): the known facts' test split holds many name
items and their dev split none, so a recipe that gives the target's surnames back passes every dev check.

Usage: python -m benchmarks.fact_shapes FACT_FILE... [--workspace WS --evaluate VERSION:MODEL[:NAME]...]
(only the items the base model knows; with --workspace, each named model's answers in that evaluate artifact's
`eval_scores`, by split and shape).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from training.fact_items import known, read_items, split_name

HONORIFICS = {"Lord", "Lady", "Sir", "Dame", "Professor", "Mr", "Mr.", "Mrs", "Mrs.", "Madam", "Madame", "Dr", "Dr.",
              "Saint", "St.", "King", "Queen", "Prince", "Princess", "Uncle", "Aunt"}
INITIALS = re.compile(r"^(?:[A-Z]\.)+$")


@lru_cache(maxsize=1)
def _detector():
    import gender_guesser.detector as gender

    return gender.Detector(case_sensitive=False)


def is_given_name(word: str) -> bool:
    """Whether `word` (capitalised) is a given name `gender_guesser` knows."""
    return word[:1].isupper() and _detector().get_gender(word) != "unknown"


def shape_of(prompt: str, answer: str) -> str:
    """"name" when the prompt ends on a given name, initials or an honorific and the answer is capitalised (the
    answer continues a person's name), else "other"."""
    words = prompt.rstrip().split()
    if not words or not answer.strip()[:1].isupper():
        return "other"
    last = words[-1]
    if len(words) >= 2 and INITIALS.match(words[-2]) and INITIALS.match(last):  # "J. K."
        return "name"
    return "name" if INITIALS.match(last) or last in HONORIFICS or is_given_name(last) else "other"


def item_shapes(path: Path) -> list[tuple[str, str, str]]:
    """(split, shape, prompt) of each item of `path` the base model knows."""
    return [(split_name(i), shape_of(i["prompt"], i["answers"][0]), i["prompt"]) for i in known(read_items(path))]


def counts(rows: list[tuple[str, str, str]]) -> Counter:
    return Counter((split, shape) for split, shape, _ in rows)


def answered_by_shape(store, evaluate: str, model: str, file_stem: str,
                      rows: list[tuple[str, str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
    """{(split, shape): (answered, items)} of `model` in evaluate artifact `evaluate`, for the items `rows`."""
    got = dict(store.query("select item_id, value from eval_scores where evaluate_version = ? and model_version = ? "
                           "and metric = ?", [evaluate, model, f"{file_stem}_answered"]))
    out: dict[tuple[str, str], list[int]] = {}
    for split, shape, prompt in rows:
        value = got.get(f"{file_stem}: {prompt}")
        if value is None:
            continue
        cell = out.setdefault((split, shape), [0, 0])
        cell[0] += int(value > 0)
        cell[1] += 1
    return {k: (a, n) for k, (a, n) in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fact_files", nargs="+", type=Path)
    ap.add_argument("--workspace", type=Path, default=None)
    ap.add_argument("--evaluate", nargs="+", default=[], metavar="VERSION:MODEL[:NAME]")
    args = ap.parse_args()
    if args.evaluate and args.workspace is None:
        ap.error("--evaluate needs --workspace")
    store = None
    if args.workspace is not None:
        from corpus_tools.store import Store

        store = Store(args.workspace)
    for path in args.fact_files:
        rows = item_shapes(path)
        c = counts(rows)
        splits = sorted({s for s, _ in c})
        print(f"{path.stem}: " + ", ".join(f"{s} {c[(s, 'name')]} name / {c[(s, 'other')]} other" for s in splits))
        for spec in args.evaluate:
            parts = spec.split(":")
            if len(parts) not in (2, 3):
                ap.error(f"--evaluate {spec!r}: expected VERSION:MODEL or VERSION:MODEL:NAME")
            got = answered_by_shape(store, parts[0], parts[1], path.stem, rows)
            cells = [f"{s} {shape} {got[(s, shape)][0]}/{got[(s, shape)][1]}" for s in splits for shape in ("name", "other")
                     if (s, shape) in got]
            print(f"  {parts[2] if len(parts) == 3 else parts[1]:<14}" + "   ".join(cells))


if __name__ == "__main__":
    main()
