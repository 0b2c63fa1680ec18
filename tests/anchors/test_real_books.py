"""Held-out check of issue #4 on a real public-domain collection: Jane Austen's six novels (4.0 MB).

Slow (about 90 s here) and needs the Debian archive once (benchmarks/books.py caches the package);
`pytest -m slow tests/anchors/test_real_books.py`. The same check runs in the full benchmark suite."""

from __future__ import annotations

import time
import urllib.error

import pytest

from anchors.build import AnchorSettings, build_anchors
from anchors.extract import ExtractSettings, extract
from benchmarks import books
from corpus_tools.ingest import IngestSettings, ingest


@pytest.mark.slow
def test_austen_novels_anchor_their_people_and_places_not_common_words(store):
    try:
        folder = books.austen()
    except (urllib.error.URLError, OSError) as e:
        pytest.skip(f"the Debian archive is not reachable: {e}")
    docs, _ = ingest(store, "austen", IngestSettings(sources=[str(folder)]))
    started = time.perf_counter()
    mentions, _ = extract(store, "austen", ExtractSettings(n_process=2), documents=docs)
    art, _ = build_anchors(store, "austen", AnchorSettings(), documents=docs, mentions=mentions)
    seconds = time.perf_counter() - started
    anchors = dict(store.query("select term, replacement from anchors where anchors_version = ?", [art.version]))
    cands = dict(store.query("select term, zipf from anchor_candidates where anchors_version = ? and decision = 'accepted'",
                             [art.version]))
    found = books.check(anchors, {r[0] for r in store.query("select term from anchor_candidates")})
    assert seconds < 360
    assert found["recall"] >= 0.9, found["missing"]
    assert not found["wrongly_anchored"] and not found["not_candidates"], found
    assert max(cands.values()) < 5.0
