"""Choose between stored unlearned models on the fact items of the dev split, paired item by item.

The pretrained target's dev split is small (42 known-fact and 47 neighbour items on few facts) and recipes differ
on it by one or two items. A selection file (`select_neighbours.jsonl`, and `select_neighbours_more.jsonl` written
later still; docs/pretrained.md) adds items written later, whose facts the main file's test split does not hold
(`fact_items.split_beside`), so a recipe can be chosen on more than the dev split without reading the split that is
reported. Every dev item the base model knows, of every file given, is completed greedily by each model as the
evaluate stage completes them. The table gives
answered / known per file and pooled (so give files of one kind: the items to keep, or the items to forget); each
model after the first is compared with the first on the pooled items:
items it answers and the first does not (won), the reverse (lost), and the exact one-sided sign test's p that it
answers more by chance (`sign_test_p`).

With `--by-topic` or `--by-shape`, each model's answered items per topic, or per shape (a name item continues a
person's name after a given name, initials or an honorific: "Lois" -> " Lane"; `benchmarks.fact_shapes`), show where
the models differ. With `--lost`, every item a model misses that the first model answers is listed with the model's
completion, and counted by shape and by what the completion does instead (`how_missed`): *ends* the name or phrase
(its first word is punctuation or lower-case: "Lois" -> ", a former cop") or *names another* (a capitalised word, or
the prompt's last word continued otherwise: "Professor" -> " Mori", "Darth" -> "wynn").

Usage: python -m benchmarks.select_facts FACT_FILE... --models REFERENCE_DIR OTHER_DIR... [--names W1,P2,...]
       [--by-topic] [--by-shape] [--lost]
"""

from __future__ import annotations

import argparse
from collections import Counter
from math import comb
from pathlib import Path

from benchmarks.fact_shapes import shape_of
from benchmarks.interpolate_facts import known_items
from training.evaluate import EvalSettings, fact_accuracy
from training.models import load_model, load_tokenizer


def sign_test_p(won: int, lost: int) -> float:
    """P(at least `won` of `won + lost` fair coin flips come up heads): the exact one-sided sign test that a model
    answering `won` items the reference does not, and missing `lost` it answers, is better only by chance."""
    n = won + lost
    return sum(comb(n, k) for k in range(won, n + 1)) / 2 ** n if n else 1.0


def paired(answered: list[bool], reference: list[bool]) -> tuple[int, int]:
    """(won, lost): items answered here and not by the reference, and the reverse."""
    if len(answered) != len(reference):
        raise ValueError(f"{len(answered)} items against {len(reference)}")
    won = sum(a and not r for a, r in zip(answered, reference))
    return won, sum(r and not a for a, r in zip(answered, reference))


def answered(model_dir: Path, files: dict[str, list[dict]],
             outputs: dict[str, list[str]] | None = None) -> dict[str, list[bool]]:
    """Per file, whether the model's greedy completion of each item names an answer, scored as the evaluate stage
    scores fact items (`training.evaluate.fact_accuracy` with its default settings; its per-item rows). With
    `outputs`, each file's completions are put there too, in the same order."""
    rows: list[dict] = []
    fact_accuracy(load_model(model_dir), load_tokenizer(model_dir), files, EvalSettings(), item_rows=rows)
    mine = {stem: [r for r in rows if r["metric"] == f"{stem}_answered"] for stem in files}
    if outputs is not None:
        outputs.update({stem: [r["output"] for r in rs] for stem, rs in mine.items()})
    return {stem: [r["value"] == 1.0 for r in rs] for stem, rs in mine.items()}


def how_missed(completion: str) -> str:
    """What a completion that misses the answer does in its place: "ends" when its first word is punctuation or
    lower-case (the name or phrase stops there: ", a former cop", "'s brother", " the North"), "names another"
    when it is a capitalised word or a digit, quoted or not, or continues the prompt's last word (" Mori",
    ' "Theo" Carter', " 1", "wynn")."""
    if completion[:1].isalnum():  # continues the prompt's last word
        return "names another"
    text = completion.lstrip().lstrip("\"'\u201c\u2018")  # a quoted name is a name: ' "Theo" Carter'
    return "names another" if text[:1].isupper() or text[:1].isdigit() else "ends"


def model_names(ap: argparse.ArgumentParser, args: argparse.Namespace) -> list[str]:
    """The models' names: `--names`, comma-separated, or each folder's name (its parent's for a stage's `model`
    folder); a count that does not match `--models` is a usage error."""
    names = args.names.split(",") if args.names else [m.parent.name if m.name == "model" else m.name for m in args.models]
    if len(names) != len(args.models):
        ap.error(f"{len(names)} names for {len(args.models)} models")
    return names


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fact_files", nargs="+", type=Path)
    ap.add_argument("--models", nargs="+", type=Path, required=True, help="model folders; the first is the reference")
    ap.add_argument("--names", default="", help="comma-separated names for the models (default: folder names)")
    ap.add_argument("--by-topic", action="store_true",
                    help="also give each model's answered items per topic of the pooled items (where it loses them)")
    ap.add_argument("--by-shape", action="store_true",
                    help="also give them per shape of item: name completions and the others (benchmarks.fact_shapes)")
    ap.add_argument("--lost", action="store_true",
                    help="also list the items each model misses that the first answers, with its completion, and "
                         "count them by shape and by what the completion does instead")
    args = ap.parse_args(argv)
    names = model_names(ap, args)
    files = known_items(args.fact_files, "dev")  # the dev items the base model knows, per file stem
    said: dict[str, dict[str, list[str]]] = {name: {} for name in names}  # each model's completions, per file
    hits = {name: answered(folder, files, said[name]) for name, folder in zip(names, args.models)}
    pooled = {name: [a for stem in files for a in h[stem]] for name, h in hits.items()}
    print(f"{'model':<14}" + "".join(f"{stem + ' dev':>28}" for stem in files) + f"{'pooled':>16}   vs " + names[0])
    for name in names:
        cells = "".join(f"{sum(hits[name][s]):>20}/{len(files[s]):<3} {sum(hits[name][s]) / max(len(files[s]), 1):.2f}"
                        for s in files)
        won, lost = paired(pooled[name], pooled[names[0]])
        versus = f"won {won}, lost {lost}, p = {sign_test_p(won, lost):.3f}" if name != names[0] else ""
        print(f"{name:<14}{cells}{sum(pooled[name]):>9}/{len(pooled[name]):<3} {sum(pooled[name]) / max(len(pooled[name]), 1):.2f}"
              f"   {versus}", flush=True)
    items = [i for stem in files for i in files[stem]]
    if args.by_topic:
        print_by_group("topic", [i["topic"] for i in items], pooled)
    if args.by_shape:
        print_by_group("shape", [shape_of(i["prompt"], i["answers"][0]) for i in items], pooled)
    if args.lost:
        for name in names[1:]:
            outputs = [o for stem in files for o in said[name][stem]]
            print_lost(name, items, pooled[name], pooled[names[0]], outputs)


def print_lost(name: str, items: list[dict], answers: list[bool], reference: list[bool], outputs: list[str]) -> None:
    """The items `name` misses and the reference answers, each with its completion, then their counts by the item's
    shape and by `how_missed`."""
    lost = [k for k, (a, r) in enumerate(zip(answers, reference)) if r and not a]
    print(f"\n{name}: {len(lost)} items the reference answers and it misses")
    counts: Counter[tuple[str, str]] = Counter()
    for k in lost:
        key = (shape_of(items[k]["prompt"], items[k]["answers"][0]), how_missed(outputs[k]))
        counts[key] += 1
        print(f"  [{key[0]}, {key[1]}] {items[k]['prompt']!r} -> {outputs[k]!r} (answer {items[k]['answers'][0]!r})")
    for (shape, how), n in sorted(counts.items()):
        print(f"  {shape:<8}{how:<16}{n:>4}")


def by_group(groups: list[str], pooled: dict[str, list[bool]]) -> dict[str, tuple[int, dict[str, int]]]:
    """{group: (items, {model: answered})} over the pooled items, `groups[k]` the group of item k (its topic, its
    shape), groups in order of first appearance."""
    out: dict[str, tuple[int, dict[str, int]]] = {}
    for k, group in enumerate(groups):
        n, counts = out.get(group, (0, {name: 0 for name in pooled}))
        out[group] = (n + 1, {name: counts[name] + pooled[name][k] for name in pooled})
    return out


def print_by_group(title: str, groups: list[str], pooled: dict[str, list[bool]]) -> None:
    print(f"\n{title:<16}{'items':>6}" + "".join(f"{name:>10}" for name in pooled))
    for group, (n, counts) in sorted(by_group(groups, pooled).items()):
        print(f"{group:<16}{n:>6}" + "".join(f"{counts[name]:>10}" for name in pooled))


if __name__ == "__main__":
    main()
