"""Each model's accuracy over every item of a fact file, against the base model's, from a stored evaluation.

The bounds judge a fact file over the items the base model knows, so the base model scores 1.0 by construction and
any other model, however little it changed, can only lose there: an item the base model barely knew that flips is
counted, one it barely missed that flips the other way is not. Over every item written (known or not; the evaluate
stage's `<stem>_all_accuracy_<split>`, docs/pretrained.md "Every item written") no selection by the base model's
answers biases the comparison. For each fact file and split this prints each model's share over every item, its gap
to the base model's with a paired 95% interval that resamples whole facts (`intervals.cluster_proportion_diff`), the
base model's items it lost and the ones it gained, and the exact one-sided sign test's p that it lost more by chance.

With `--against`, the models are compared with another model instead of the base one: a control such as a recipe
trained without its labels (docs/pretrained.md, control RC1), whose rows may sit in another evaluation
(`VERSION@EVALUATE`); with `--known`, only over the items the base model knows (the issue's reading), so a recipe's
loss there can be read beyond the control's. With `--relearned`, each model's attacked copy is read instead (the
relearning attack's rows, `relearn_<stem>_answered`, stored for the known items since round 2's forty-sixth session;
implies `--known`): two recipes' attacked copies compared item by item, paired over facts, says whether one lets the
attack restore more than the other beyond which facts were asked.

Reads the per-item `eval_scores` rows of evaluate artifacts (no model is run).

Usage: python -m benchmarks.every_item WORKSPACE EVALUATE_VERSION FACT_FILE... [--models SPEC...]
       [--against SPEC] [--known] [--relearned]
SPEC: VERSION[@EVALUATE][:NAME], a model's stored rows (in EVALUATE_VERSION's evaluation unless @EVALUATE names
another); default models: every model of the evaluation but the base model; default --against: its base model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.select_facts import paired, sign_test_p
from corpus_tools.store import Store
from training.evaluate import fact_item_id
from training.fact_items import fact_of, known, read_items, split_name
from training.intervals import cluster_proportion_diff

MODEL_ROLES = ("subject", "reinforced", "unlearned")  # the evaluate artifact's other parents are data, not models


def answers(store: Store, evaluate: str, model: str, stem: str, relearned: bool = False) -> dict[str, bool]:
    """{item_id: answered} of one model's stored rows for one fact file, known items and the others; with
    `relearned`, its attacked copy's (known items only)."""
    metrics = [f"relearn_{stem}_answered"] if relearned else [f"{stem}_answered", f"{stem}_answered_unknown"]
    rows = store.query("select item_id, value from eval_scores where evaluate_version = ? and model_version = ? "
                       f"and metric in ({', '.join('?' * len(metrics))})", [evaluate, model, *metrics])
    return {item: value > 0.5 for item, value in rows}


def compare(items: list[dict], stem: str, model: dict[str, bool], base: dict[str, bool],
            relearned: bool = False, names: tuple[str, str] = ("the model", "the reference")) -> dict:
    """The model against the base model over `items` (every one must have rows for both); `names` name the two in
    the error when one lacks rows."""
    ids = [fact_item_id(stem, i) for i in items]
    for rows, name in ((model, names[0]), (base, names[1])):
        if missing := [i for i in ids if i not in rows]:
            why = ("attack both models in an evaluation of this code, which stores the attacked copy's known items"
                   if relearned else "evaluate the models with this code, which stores every item of a fact file")
            raise SystemExit(f"{len(missing)} items of {stem} have no stored row for {name} (first: {missing[0]!r}); "
                             f"{why}")
    a, b = [model[i] for i in ids], [base[i] for i in ids]
    gap, low, high = cluster_proportion_diff(a, b, [fact_of(i) for i in items])
    gained, lost = paired(a, b)
    return {"answered": sum(a), "n": len(a), "base": sum(b), "gap": gap, "ci": (low, high), "lost": lost,
            "gained": gained, "p_worse": sign_test_p(lost, gained)}


def parse_spec(spec: str, evaluate: str, roles: dict[str, str]) -> tuple[str, str, str]:
    """"VERSION[@EVALUATE][:NAME]" as (model version, evaluate version, name)."""
    head, _, name = spec.partition(":")
    version, _, where = head.partition("@")
    return version, where or evaluate, name or roles.get(version, version)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace", type=Path)
    ap.add_argument("evaluate")
    ap.add_argument("fact_files", nargs="+", type=Path)
    ap.add_argument("--models", nargs="*", default=None, metavar="SPEC")
    ap.add_argument("--against", default=None, metavar="SPEC", help="the model to compare with (default: the base)")
    ap.add_argument("--known", action="store_true", help="only the items the base model knows (the issue's reading)")
    ap.add_argument("--relearned", action="store_true",
                    help="read each model's copy after the relearning attack (implies --known)")
    args = ap.parse_args(argv)
    args.known = args.known or args.relearned
    store = Store(args.workspace)
    evaluations = {a.version: a for a in store.artifacts("evaluate")}
    if args.evaluate not in evaluations:
        raise SystemExit(f"no evaluate artifact {args.evaluate} in {args.workspace}")
    roles = {version: role for role, version in evaluations[args.evaluate].parents.items() if role in MODEL_ROLES}
    base = evaluations[args.evaluate].parents.get("base")
    if base is None and args.against is None:
        raise SystemExit(f"evaluate {args.evaluate} has no base model to compare with; name one with --against")
    specs = args.models if args.models is not None else [v for v in roles if v != base]
    models = [parse_spec(s, args.evaluate, roles) for s in specs]
    against = parse_spec(args.against, args.evaluate, roles) if args.against else (base, args.evaluate, "base")
    for _, where, _ in models + [against]:
        if where not in evaluations:
            raise SystemExit(f"no evaluate artifact {where} in {args.workspace}")
    label = ("attacked, known" if args.relearned else "known items") if args.known else "every item"
    print(f"{'file':<20}{'split':<6}{'model':<14}{label:>18}{against[2][:8]:>8}{'gap (points) [95%]':>26}"
          f"{'lost':>6}{'gained':>8}{'p worse':>9}")
    for path in args.fact_files:
        items, stem = read_items(path), path.stem
        reference = answers(store, against[1], against[0], stem, args.relearned)
        for split in ("dev", "test"):
            here = known(items, split) if args.known else [i for i in items if split_name(i) == split]
            for version, where, name in models if here else []:
                c = compare(here, stem, answers(store, where, version, stem, args.relearned), reference, args.relearned,
                            (name, against[2]))
                gap = f"{100 * c['gap']:+.1f} [{100 * c['ci'][0]:+.1f}, {100 * c['ci'][1]:+.1f}]"
                print(f"{stem:<20}{split:<6}{name:<14}{c['answered']:>9}/{c['n']:<4}{c['answered'] / c['n']:.3f}"
                      f"{c['base'] / c['n']:>8.3f}{gap:>26}{c['lost']:>6}{c['gained']:>8}{c['p_worse']:>9.3f}")


if __name__ == "__main__":
    main()
