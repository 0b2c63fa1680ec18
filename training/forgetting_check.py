"""Measure the forgetting metrics of one model on the bundled demo corpus, with no pipeline run:
the sizes, values, intervals and costs quoted in docs/evaluation.md.

    OMP_NUM_THREADS=1 python -m training.forgetting_check [--model smollm2-135m] [--relearn] [-w workspace]

Documents are the demo target's sources (doc_id = file stem, as ingest names them) and the
dictionary is its overrides file, so the numbers do not depend on an anchors run.
"""

from __future__ import annotations

import argparse
import time
import tomllib
from pathlib import Path

from corpus_tools.store import Store, default_workspace
from training.evalsets import EvalSetSettings, build_eval_items, items_of
from training.forgetting import ForgettingSettings, measure_forgetting, relearn_attack
from training.holdout import split_documents
from training.relearn import RelearnSettings

DEMO = Path(__file__).resolve().parents[1] / "data" / "targets" / "harry_potter"


def demo_inputs(folder: Path = DEMO) -> tuple[list[dict], list[dict]]:
    """(documents rows, anchors rows) of a target folder: its ingest sources and its overrides file."""
    target = tomllib.loads((folder / "target.toml").read_text())
    docs = [{"doc_id": Path(s).stem, "text": (folder / s).read_text(encoding="utf-8")} for s in target["ingest"]["sources"]]
    overrides = tomllib.loads((folder / target["anchors"]["overrides"]).read_text())
    flat: dict[str, str] = {}
    for key, value in overrides.items():
        flat.update(value if isinstance(value, dict) else {key: value})
    return docs, [{"term": t, "replacement": r} for t, r in flat.items() if r != "keep"]


def _fmt(s: dict) -> str:
    low, high = s.get("ci_low"), s.get("ci_high")
    ci = f" [{low:.3f}, {high:.3f}]" if low is not None and high is not None else ""
    return f"{s['value']:.3f}{ci} n={s['n']}" + (" BELOW CHANCE" if s.get("below_chance") else "")


def main(argv: list[str] | None = None) -> None:
    from training.models import load_model, load_tokenizer
    from training.models import resolve_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--relearn", action="store_true", help="also time a relearning attack (the model attacks itself)")
    ap.add_argument("-w", "--workspace", type=Path, default=None, help="where a GGUF model is converted and cached")
    args = ap.parse_args(argv)
    docs, anchors = demo_inputs()
    folder = resolve_model(args.model, Store(args.workspace or default_workspace()))
    model, tok = load_model(folder), load_tokenizer(folder)
    settings, fs = EvalSetSettings(), ForgettingSettings()
    splits = split_documents([d["doc_id"] for d in docs])
    items = build_eval_items(docs, anchors, tok, settings, splits=splits)
    for kind in ("verbatim", "cloze", "membership"):
        mine = items_of(items, kind)
        started = time.perf_counter()
        scores = measure_forgetting(model, tok, mine, fs)
        print(f"{kind}: {len(mine)} items, {time.perf_counter() - started:.1f} s")
        for name, s in scores.summary.items():
            print(f"  {name}: {_fmt(s)}")
    if args.relearn:
        forget = sorted(d for d, side in splits.items() if side == "forget")
        blocks = []
        for d in docs:
            ids = tok(d["text"])["input_ids"]
            blocks += [{"doc_id": d["doc_id"], "input_ids": ids[i:i + 256]} for i in range(0, len(ids) - 1, 256)]
        started = time.perf_counter()
        result, _ = relearn_attack(model, model, tok, items, [b for b in blocks if b["doc_id"] in forget], forget,
                                   fs, RelearnSettings())
        print(f"relearn: {time.perf_counter() - started:.1f} s, documents {result.relearn_docs}, {result.stats}")
        for point in result.curve:
            print("  " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in point.items()))


if __name__ == "__main__":
    main()
