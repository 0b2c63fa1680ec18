"""blocks stage on a 4 MB corpus (the bundled corpus repeated) with the SmolLM2 tokenizer, 512-token blocks.

The baseline is what no implementation can avoid: tokenising the original and translated text
once with the same tokenizer. `ratio` = our stage time / that floor. Target: under 60 s here.
Runs alternate stage / floor and report medians.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from corpus_tools.blocks import BlockSettings, backend_of, make_blocks
from corpus_tools.ingest import IngestSettings, ingest
from corpus_tools.store import Store
from corpus_tools.translate import TranslateSettings, translate

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "targets" / "harry_potter" / "corpus"


def _bench_translate():
    """The sibling benchmark module (for its dictionary and tokenizer loader), however this file was loaded."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_translate", Path(__file__).with_name("bench_translate.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _corpus(folder: Path, n_chars: int) -> int:
    """Copies of the bundled documents (each copy titled differently, so none is a duplicate)."""
    texts = [f.read_text() for f in sorted(CORPUS.glob("*.md"))]
    total, copy = 0, 0
    while total < n_chars:
        for i, text in enumerate(texts):
            doc = f"Copy {copy}\n\n{text}"
            (folder / f"doc_{copy:04d}_{i:02d}.md").write_text(doc)
            total += len(doc)
        copy += 1
    return total


def run(quick: bool = False) -> list[dict]:
    bt = _bench_translate()
    n_chars = 400_000 if quick else 4_000_000
    repeats = 1 if quick else 3
    tok = bt._tokenizer()
    backend = backend_of(tok)
    stage_s, floor_s = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "corpus").mkdir()
        chars = _corpus(tmp / "corpus", n_chars)
        store = Store(tmp / "ws")
        docs, _ = ingest(store, "bench", IngestSettings(sources=[str(tmp / "corpus")]))
        with store.create("anchors", "bench", "hand", parents={"documents": docs.version}, settings={}, code_version="bench") as st:
            st.write("anchors", [{"target": "bench", "anchors_version": "hand", "term": t, "replacement": r,
                                  "label": "PERSON", "cluster": t, "source": "bench"} for t, r in bt.HP])
        tr, _ = translate(store, "bench", TranslateSettings(), documents=docs, anchors=store.require("anchors", "bench", "hand"))
        originals = store.read("documents", docs, columns=["text"]).column("text").to_pylist()
        translated = store.read("translated_documents", tr, columns=["text"]).column("text").to_pylist()
        for rep in range(repeats):
            settings = BlockSettings(block_size=512, min_block_tokens=16 + rep)  # a new version each run
            t = time.perf_counter()
            art, created = make_blocks(store, "bench", settings, documents=docs, translation=tr, tokenizer=tok,
                                       tokenizer_id="smollm2")
            stage_s.append(time.perf_counter() - t)
            assert created and art.stats["trained_positions"] > 0.5 * art.stats["tokens"]
            t = time.perf_counter()
            backend.encode_batch(originals, add_special_tokens=False)
            backend.encode_batch(translated, add_special_tokens=False)
            floor_s.append(time.perf_counter() - t)
    ours, floor = statistics.median(stage_s), statistics.median(floor_s)
    mb = chars / 1e6
    return [{"name": f"blocks stage seconds ({mb:.1f} M chars, {art.stats['blocks']} blocks of 512; "
                     f"baseline: tokenising both texts once)",
             "ours": ours, "baseline": floor, "ratio": ours / floor, "target": "< 60 s", "pass": ours < 60}]


if __name__ == "__main__":
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
