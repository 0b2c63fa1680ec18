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
    files = sorted(CORPUS.glob("*.md"))
    if quick:
        files = files[:8]
    texts = [f.read_text() for f in files]
    words = sum(len(t.split()) for t in texts)
    reps = 2 if quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        for f in files:
            (docs / f.name).write_text(f.read_text())
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
    for r in results:
        print(f"{r['name']:<50} ours {r['ours']:>9,.0f}  baseline {r['baseline']:>9,.0f}  ratio {r['ratio']:.2f}"
              f"  target {r['target']}  {'PASS' if r['pass'] else 'FAIL'}")
    return results


def _row(name: str, ours: float, baseline: float, target: float) -> dict:
    ratio = ours / baseline
    return {"name": name, "ours": round(ours, 1), "baseline": round(baseline, 1), "ratio": round(ratio, 3),
            "target": target, "pass": ratio >= target}


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
