"""Score the anchor dictionary of a corpus against its gold annotations (anchors/gold.py).

    python -m benchmarks.gold_check tidewright [--set decision=decide_v3 --set names=names_v3] [--overrides F]

Corpora: every data/gold/<name> with a corpus/ folder (tidewright, emberfall, saltroad, farreach), `austen` (the six novels of benchmarks/books.py, held
out; fetched from the Debian archive once), `hp` (the bundled Harry Potter corpus, tuned on) and `hp-demo` (its
demo third). The workspace (default /tmp/obliviate_gold) keeps each corpus's mentions, so a second run only
rebuilds the dictionary. Prints one JSON object of scores.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
GOLD_DIR = ROOT / "data" / "gold"
# Every data/gold/<name> with a corpus/ folder is a written corpus; austen's text is fetched.
WRITTEN = sorted(p.parent.name for p in GOLD_DIR.glob("*/corpus"))
GOLD = {**{name: GOLD_DIR / name / "gold.jsonl" for name in WRITTEN},
        "austen": GOLD_DIR / "austen" / "gold.jsonl",
        "hp": ROOT / "data" / "targets" / "harry_potter" / "lexicon.jsonl",
        "hp-demo": ROOT / "data" / "targets" / "harry_potter" / "lexicon.jsonl"}


def sources(corpus: str) -> list[str]:
    if corpus in WRITTEN:
        return [str(GOLD_DIR / corpus / "corpus")]
    if corpus == "austen":
        from benchmarks.books import austen

        return [str(austen())]
    if corpus == "hp":
        return [str(ROOT / "data" / "targets" / "harry_potter" / "corpus")]
    if corpus == "hp-demo":
        import tomllib

        base = ROOT / "data" / "targets" / "harry_potter"
        return [str(base / s) for s in tomllib.loads((base / "target.toml").read_text())["ingest"]["sources"]]
    raise SystemExit(f"unknown corpus {corpus!r}; one of {', '.join(GOLD)}")


def evaluate(store, corpus: str, settings: dict | None = None, overrides: Path | None = None,
             n_process: int = 1) -> dict:
    """Ingest, extract (reused when stored), build the dictionary with `settings` and score it."""
    from anchors.build import AnchorSettings, make_dictionary
    from anchors.extract import ExtractSettings, extract
    from anchors.gold import load_gold, score
    from anchors.overrides import load_overrides
    from corpus_tools.ingest import IngestSettings, ingest
    from corpus_tools.translate import Matcher, translate_text

    docs, _ = ingest(store, corpus, IngestSettings(sources=sources(corpus)))
    started = time.perf_counter()
    mentions, _ = extract(store, corpus, ExtractSettings(n_process=n_process), documents=docs)
    mid = time.perf_counter()
    # The dictionary is built in memory, not stored: code under development keeps its artifact version.
    by_id = {r["doc_id"]: r["text"] for r in store.read("documents", docs, ["doc_id", "text"]).to_pylist()}
    rows = store.read("mentions", mentions, ["doc_id", "end_char", "text", "label"]).to_pylist()
    cands, _ = make_dictionary(rows, by_id, AnchorSettings(**(settings or {})), load_overrides(overrides))
    done = time.perf_counter()
    candidates = [c.row(corpus, "") for c in cands.values()]
    dictionary = [r for r in candidates if r["decision"] == "accepted"]
    texts = list(by_id.values())
    # as the translate stage builds it from the anchors table, which also holds each key's source
    sourced = [r | {"source": cands[r["term"]].source} for r in dictionary]
    matcher = Matcher.from_table(pa.Table.from_pylist(sourced))
    translated = [translate_text(t, matcher)[0] for t in texts]
    found = score(dictionary, candidates, load_gold(GOLD[corpus]), texts, translated)
    return {"corpus": corpus, "settings": settings or {}, "overrides": str(overrides) if overrides else None, "extract_s": round(mid - started, 1),
            "anchors_s": round(done - mid, 1)} | found


def main(argv: list[str] | None = None) -> None:
    from corpus_tools.store import Store

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", choices=sorted(GOLD))
    ap.add_argument("--set", action="append", default=[], help="an AnchorSettings key=value")
    ap.add_argument("--overrides", type=Path)
    ap.add_argument("--workspace", type=Path, default=Path("/tmp/obliviate_gold"))
    ap.add_argument("--n-process", type=int, default=1)
    args = ap.parse_args(argv)
    settings = dict(kv.split("=", 1) for kv in args.set)
    print(json.dumps(evaluate(Store(args.workspace), args.corpus, settings, args.overrides, args.n_process), indent=1))


if __name__ == "__main__":
    main()
