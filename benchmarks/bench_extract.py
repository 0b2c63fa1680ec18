"""Throughput of the `extract` stage against raw spaCy `nlp.pipe`, and of `extract` with 2 processes against 1.

Both sides run the same model with the same pipes over the same texts; runs alternate and each
figure is the median of several repetitions. `python benchmarks/bench_extract.py [--quick]`.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anchors.extract import ExtractSettings, doc_mentions, extract  # noqa: E402
from anchors.nlp import load_pipeline, pieces  # noqa: E402
from corpus_tools.ingest import IngestSettings, ingest  # noqa: E402
from corpus_tools.store import Store  # noqa: E402

CORPUS = ROOT / "data" / "targets" / "harry_potter" / "corpus"


def _ours(docs, settings: ExtractSettings) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "ws")
        documents, _ = ingest(store, "bench", IngestSettings(sources=[str(docs)]))
        started = time.perf_counter()
        extract(store, "bench", settings, documents=documents)
        return time.perf_counter() - started


def _raw(texts: list[str], settings: ExtractSettings) -> float:
    """The baseline: nlp.pipe over the same pieces, reading entities and proper nouns, writing nothing."""
    nlp = load_pipeline(settings.model)
    started = time.perf_counter()
    chunks = [p for t in texts for _, p in pieces(t, settings.piece_chars)]
    for doc in nlp.pipe(chunks, batch_size=settings.batch_size, n_process=settings.n_process):
        doc_mentions(doc, settings.proper_nouns, settings.noun_max_zipf)
    return time.perf_counter() - started


def run(quick: bool = False) -> list[dict]:
    """quick: a quarter of the bundled corpus; full: the whole corpus four times over (each copy made distinct
    so ingest keeps it), enough text per process for two workers to repay their start-up."""
    files = sorted(CORPUS.glob("*.md"))
    copies = 1 if quick else 4
    if quick:
        files = files[: len(files) // 4]
    texts = [f.read_text() + (f"\n\nCopy {c}.\n" if c else "") for c in range(copies) for f in files]
    words = sum(len(t.split()) for t in texts)
    reps = 2
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        for i, text in enumerate(texts):
            (docs / f"{i:04d}.md").write_text(text)
        load_pipeline(None)  # load once, outside the timings
        one, two = ExtractSettings(), ExtractSettings(n_process=2)
        ours, raw, double = [], [], []
        for _ in range(reps):  # alternate so drifting machine load hits both sides alike
            ours.append(_ours(docs, one))
            raw.append(_raw(texts, one))
            double.append(_ours(docs, two))
    results = [
        _row(f"extract vs raw nlp.pipe, words/s ({words:,} words)", words / statistics.median(ours),
             words / statistics.median(raw), 0.8),
        _row(f"extract 2 processes vs 1, words/s ({words:,} words)", words / statistics.median(double),
             words / statistics.median(ours), 1.5),
    ]
    if not quick:
        results += _austen()
    for r in results:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(f"{r['name']:<50} ours {r['ours']:>9,.1f}  baseline {r['baseline'] or '-':>9}  ratio {ratio}"
              f"  target {r['target']}  {'PASS' if r['pass'] else 'FAIL'}")
    return results


def _austen() -> list[dict]:
    """extract (2 processes) + anchors on Jane Austen's six novels (4.0 MB, benchmarks/books.py), wall-clock
    seconds, and the held-out check of issue #4: recurring characters and places anchored, common words not."""
    from benchmarks import books

    with tempfile.TemporaryDirectory() as tmp:
        found = books.run_check(Store(Path(tmp) / "ws"))
    seconds = found["seconds"]
    return [
        {"name": f"extract (2 processes, {found['extract_s']:.0f} s) + anchors ({found['anchors_s']:.0f} s) on Jane "
                 f"Austen's six novels ({found['megabytes']:.1f} MB, {len(found['anchors'])} anchors), seconds",
         "ours": round(seconds, 1), "baseline": None, "ratio": None, "target": "< 360 s", "pass": seconds < 360},
        {"name": f"Austen: recurring characters and places anchored (of {found['n']}; missing: "
                 f"{', '.join(found['missing']) or 'none'})", "ours": found["recall"], "baseline": None, "ratio": None,
         "target": ">= 0.9", "pass": found["recall"] >= 0.9},
        {"name": f"Austen: common words, real places, titles anchored (of {len(books.NOT_ANCHORS)}: "
                 f"{', '.join(found['wrongly_anchored']) or 'none'})", "ours": len(found["wrongly_anchored"]),
         "baseline": None, "ratio": None, "target": "0", "pass": not found["wrongly_anchored"]},
    ]


def _row(name: str, ours: float, baseline: float, target: float) -> dict:
    ratio = ours / baseline
    return {"name": name, "ours": round(ours, 1), "baseline": round(baseline, 1), "ratio": round(ratio, 3),
            "target": target, "pass": ratio >= target}


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
