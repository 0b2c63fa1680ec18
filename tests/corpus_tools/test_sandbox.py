"""`obliviate sql` is read-only in fact: no file written, no file outside the workspace read."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from conftest import ingest_cli

from pipelines.cli import main


@pytest.fixture
def ws(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("the stored text")
    (tmp_path / "secret.txt").write_text("password=hunter2\n")
    ws = tmp_path / "ws"
    assert ingest_cli(ws, "t", str(tmp_path / "a.txt")) == 0
    capsys.readouterr()
    return ws


def _sql(ws, capsys, query, fmt="csv"):
    code = main(["-w", str(ws), "sql", "-f", fmt, "--", query])
    out = capsys.readouterr()
    return code, out.out, out.err


def _part(ws):
    return next((ws / "artifacts" / "ingest" / "t").glob("*/documents/part-00000.parquet"))


def test_views_still_work(ws, capsys):
    assert _sql(ws, capsys, "select text from documents")[:2] == (0, "text\nthe stored text\n")
    assert _sql(ws, capsys, "select count(*) as n from documents_latest join artifacts on true")[:2] == (0, "n\n1\n")
    code, out, _ = _sql(ws, capsys, "describe documents")
    assert code == 0 and "doc_id" in out


@pytest.mark.parametrize("template", [
    "copy (select 1 as x) to '{out}/copied.csv'",
    "copy (select 'hacked' as text) to '{part}'",
    "export database '{out}/exported'",
    "attach '{out}/new.duckdb' as n (READ_WRITE)",
    "install httpfs",
    "load httpfs",
    "set enable_external_access = true",
    "drop view documents",
    "select 1; copy (select 1 as x) to '{out}/second.csv'",
])
def test_writes_are_refused(ws, capsys, template, tmp_path):
    part = _part(ws)
    before = part.read_bytes()
    code, out, err = _sql(ws, capsys, template.format(out=tmp_path, part=part))
    assert code == 2 and err.startswith("error: sql is read-only: only SELECT") and err.count("\n") == 1
    assert part.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "secret.txt", "ws"]
    assert _sql(ws, capsys, "select text from documents")[1] == "text\nthe stored text\n"


@pytest.mark.parametrize("template", [
    "select * from read_text('{secret}')",
    "select * from read_csv('{secret}')",
    "select * from read_blob('/etc/hostname')",
    "select * from glob('{tmp}/*')",
    "select * from read_text('artifacts/../../secret.txt')",
    "select * from read_parquet('https://example.com/x.parquet')",
])
def test_reads_outside_the_workspace_are_refused(ws, capsys, template, tmp_path):
    code, out, err = _sql(ws, capsys, template.format(secret=tmp_path / "secret.txt", tmp=tmp_path))
    assert code == 2 and err.startswith("error: sql can only read the workspace's own tables") and err.count("\n") == 1
    assert "hunter2" not in out


def test_relative_paths_do_not_reach_the_current_folder(ws, capsys, tmp_path, monkeypatch):
    (tmp_path / "cwd" / "artifacts").mkdir(parents=True)
    (tmp_path / "cwd" / "artifacts" / "secret.txt").write_text("leaked")
    monkeypatch.chdir(tmp_path / "cwd")
    code, out, err = _sql(ws, capsys, "select content from read_text('artifacts/secret.txt')")
    assert code == 2 and "leaked" not in out and err.startswith("error: sql can only read the workspace's own tables")
    assert _sql(ws, capsys, "select text from documents")[:2] == (0, "text\nthe stored text\n")


def test_moved_workspace_is_still_readable(ws, capsys, tmp_path):
    moved = tmp_path / "moved"
    ws.rename(moved)
    assert _sql(moved, capsys, "select text from documents_latest")[:2] == (0, "text\nthe stored text\n")


@pytest.mark.parametrize("query", ["", "   ", "-- only a comment", ";"])
def test_empty_query_is_one_line(ws, capsys, query):
    code, _, err = _sql(ws, capsys, query)
    assert code == 2 and err == "error: sql: empty query; give a SELECT statement\n"


def test_export_query_writes_only_the_named_file(ws, capsys, tmp_path):
    out = tmp_path / "docs.jsonl"
    assert main(["-w", str(ws), "export-query", "select doc_id, text from documents", "--out", str(out)]) == 0
    assert [json.loads(line) for line in out.read_text().splitlines()] == [{"doc_id": "a", "text": "the stored text"}]
    assert main(["-w", str(ws), "export-query", "select doc_id from documents", "-o", str(tmp_path / "d.parquet")]) == 0
    assert pq.read_table(tmp_path / "d.parquet").to_pylist() == [{"doc_id": "a"}]
    capsys.readouterr()
    part = _part(ws)
    assert main(["-w", str(ws), "export-query", "select 'x' as text", "--out", str(part)]) == 2
    assert "inside the workspace" in capsys.readouterr().err
    assert main(["-w", str(ws), "export-query", "copy (select 1) to 'x.csv'", "--out", str(tmp_path / "e.csv")]) == 2
    assert not (tmp_path / "e.csv").exists()
