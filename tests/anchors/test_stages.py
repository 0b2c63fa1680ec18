"""The extract and anchors stages through the store and the CLI: tables, versions, reuse, SQL."""

from __future__ import annotations

import pytest

from anchors.build import AnchorSettings, build_anchors
from anchors.extract import ExtractSettings, extract
from anchors.nlp import pieces
from corpus_tools.errors import ObliviateError
from corpus_tools.ingest import IngestSettings, ingest
from pipelines.cli import main

STORY = """# The Vale

Mirabel Quenshaw walked to Thornwick Academy with Oswin Drabble. Mirabel said she was late.
Professor Quenshaw taught at Thornwick Academy. Oswin played Flitterball, a game of the Vale.

Mirabel Quenshaw and Oswin met Bartholomew Quenshaw in London on Monday. Mirabel's owl flew to
Thornwick Academy. Oswin Drabble laughed, and he threw the Flitterball to Mirabel.
"""


@pytest.fixture
def corpus(store, tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.md").write_text(STORY)
    (tmp_path / "c" / "b.md").write_text(STORY.replace("Vale", "Glen"))
    return ingest(store, "t", IngestSettings(sources=[str(tmp_path / "c")]))[0]


def test_extract_writes_entity_and_proper_noun_spans(store, corpus):
    art, created = extract(store, "t", ExtractSettings(), documents=corpus)
    assert created and art.stats["documents"] == 2
    rows = store.read("mentions", art).to_pylist()
    texts = {r["doc_id"]: r["text"] for r in store.read("documents", corpus).to_pylist()}
    for r in rows:  # offsets point at the span's text in the document
        assert texts[r["doc_id"]][r["start_char"]:r["end_char"]] == r["text"]
    found = {r["text"] for r in rows}
    assert {"Mirabel Quenshaw", "Oswin Drabble", "London", "Monday"} <= found
    assert {r["source"] for r in rows} >= {"ner", "propn"}
    assert extract(store, "t", ExtractSettings(), documents=corpus) == (art, False)
    again, created = extract(store, "t", ExtractSettings(batch_size=3), documents=corpus)
    assert created and again.version != art.version and again.stats["mentions"] == art.stats["mentions"]


def test_pieces_cut_at_blank_lines_and_cover_the_text():
    text = "para one.\n\npara two is longer.\n\n" + "x " * 300
    cut = list(pieces(text, 40))
    assert "".join(p for _, p in cut) == text
    assert all(text[o:o + len(p)] == p for o, p in cut)
    assert cut[0][1].endswith("\n\n") and len(cut) > 3


def test_anchors_stage_tables_versions_and_overrides(store, corpus, tmp_path):
    mentions, _ = extract(store, "t", ExtractSettings(), documents=corpus)
    art, created = build_anchors(store, "t", AnchorSettings(), documents=corpus, mentions=mentions)
    assert created
    # Sub-key rejects ("Oswin Drabble" once "Oswin" and "Drabble" are keys) keep the replacement they translate to.
    rows = {r["term"]: r for r in store.read("anchor_candidates", art).to_pylist() if r["replacement"]}
    assert {"Mirabel", "Quenshaw", "Oswin", "Oswin Drabble", "Thornwick Academy"} <= set(rows)
    assert rows["Oswin Drabble"]["replacement"].split()[0] == rows["Oswin"]["replacement"]
    assert rows["Bartholomew Quenshaw"]["replacement"].split()[1] == rows["Quenshaw"]["replacement"]
    assert rows["Oswin"]["cluster"] == rows["Oswin Drabble"]["cluster"]
    cands = dict(store.query("select term, reason from anchor_candidates where decision = 'rejected'"))
    assert cands["London"].startswith("too common") and cands["Monday"] == "rejected label DATE"
    assert build_anchors(store, "t", AnchorSettings(), documents=corpus, mentions=mentions) == (art, False)

    over = tmp_path / "o.toml"
    over.write_text('Mirabel = "Edith"\nLondon = "Ashford"\n')
    art2, created = build_anchors(store, "t", AnchorSettings(overrides=str(over)), documents=corpus, mentions=mentions)
    assert created and art2.version != art.version
    over.write_text('Mirabel = "Edith"\nLondon = "keep"\n')  # same path, new content: a new version
    art3, _ = build_anchors(store, "t", AnchorSettings(overrides=str(over)), documents=corpus, mentions=mentions)
    assert art3.version not in (art.version, art2.version)
    got = dict(store.query("select term, replacement from anchors where anchors_version = ?", [art2.version]))
    assert got["Mirabel"] == "Edith" and got["London"] == "Ashford"
    with pytest.raises(ObliviateError, match="unknown heuristic"):
        build_anchors(store, "t", AnchorSettings(specificity="specificity_v9"), documents=corpus, mentions=mentions)


def test_cli_extract_anchors_and_sql(store, tmp_path, capsys):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.md").write_text(STORY)
    target = tmp_path / "t.toml"
    target.write_text('name = "t"\n[ingest]\nsources = ["c"]\n')
    ws = str(store.root)
    assert main(["-w", ws, "ingest", str(target)]) == 0
    assert main(["-w", ws, "anchors", str(target)]) == 2
    assert "extract of 't' is not built" in capsys.readouterr().err
    assert main(["-w", ws, "extract", str(target)]) == 0
    assert main(["-w", ws, "anchors", str(target)]) == 0
    assert "anchors " in capsys.readouterr().err
    assert main(["-w", ws, "sql", "-f", "csv", "select decision, count(*) from anchor_candidates_current group by 1 order by 1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "decision,count_star()" and lines[1].startswith("accepted,") and lines[2].startswith("rejected,")
    assert main(["-w", ws, "anchors", str(target), "--set", "anchors.overrides=/nonexistent.toml"]) == 2
    assert "overrides file /nonexistent.toml does not exist" in capsys.readouterr().err


def test_cli_review_summary_explain_and_diff(store, tmp_path, capsys):
    (tmp_path / "c").mkdir()
    for name, text in (("a.md", STORY), ("b.md", STORY.replace("Vale", "Glen"))):
        (tmp_path / "c" / name).write_text(text)
    target = tmp_path / "t.toml"
    target.write_text('name = "t"\n[ingest]\nsources = ["c"]\n')
    ws = str(store.root)
    assert main(["-w", ws, "run", str(target), "--until", "extract"]) == 0
    assert main(["-w", ws, "anchors", str(target)]) == 0
    err = capsys.readouterr().err
    assert "top 8 anchors by mentions:" in err and "Mirabel" in err and "Professor Pearson" in err and "rejections by rule:" in err
    assert main(["-w", ws, "anchors", str(target), "--set", "anchors.seed=1"]) == 0
    capsys.readouterr()
    assert main(["-w", ws, "explain", "mirabel", str(target)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("Mirabel: accepted as PERSON") and "type votes" in err and "from/to/in the X" in err
    versions = [v for (v,) in store.query("select distinct anchors_version from anchors order by 1")]
    assert main(["-w", ws, "diff", "anchors", versions[0], versions[1], "-t", "t"]) == 0
    assert "replacement" in capsys.readouterr().err
    assert main(["-w", ws, "diff", "blocks", versions[0], versions[1], "-t", "t"]) == 2
