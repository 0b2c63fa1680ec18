"""Robustness on a story the heuristics were never tuned on: invented names drawn by Faker (seeded)."""

from __future__ import annotations

import pytest

from anchors.build import AnchorSettings, build_anchors
from anchors.extract import ExtractSettings, extract
from anchors.gender import guess_name
from benchmarks.stories import story
from corpus_tools.ingest import IngestSettings, ingest


@pytest.mark.e2e
def test_invented_story_gets_names_genders_and_no_real_words(store, tmp_path):
    text, names = story(7)
    (tmp_path / "story.txt").write_text(text)
    docs, _ = ingest(store, "held", IngestSettings(sources=[str(tmp_path / "story.txt")]))
    mentions, _ = extract(store, "held", ExtractSettings(), documents=docs)
    art, _ = build_anchors(store, "held", AnchorSettings(), documents=docs, mentions=mentions)
    anchors = dict(store.query("select term, replacement from anchors where anchors_version = ?", [art.version]))
    invented = [names[k] for k in "ABCP"]
    assert sum(any(n in k.split() for k in anchors) for n in invented) >= 3, anchors
    rejected = dict(store.query("select term, reason from anchor_candidates where decision = 'rejected'"))
    assert "London" in rejected and "Monday" in rejected and not {"London", "Monday", "English"} & set(anchors)
    # (the words a replacement keeps from its key are no replacement: "Professor Quenshaw" -> "Professor Pearson")
    drawn = {w for t, r in anchors.items() for w in r.lower().split() if w not in t.lower().split()}
    assert not drawn & {w.lower() for w in text.split()} - {"stone", "circle"}
    if names["b"] in anchors and guess_name(names["b"]) == "female":
        assert guess_name(anchors[names["b"]]) == "female"
