"""The command line as a user meets it: exit codes, one-line errors, read-only SQL."""

from __future__ import annotations

import json

from pipelines.cli import main


def test_ingest_then_sql_then_noop(tmp_path, capsys):
    ws = tmp_path / "ws"
    (tmp_path / "c").mkdir()
    for i in range(3):
        (tmp_path / "c" / f"{i}.txt").write_text(f"document {i}")
    assert main(["--workspace", str(ws), "ingest", "--target", "t", str(tmp_path / "c")]) == 0
    assert main(["--workspace", str(ws), "sql", "--format", "csv", "select count(*) as n from documents where target='t'"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == ["n", "3"]
    assert main(["--workspace", str(ws), "ingest", "--target", "t", str(tmp_path / "c")]) == 0
    assert "up to date" in capsys.readouterr().err
    assert main(["-w", str(ws), "sql", "-f", "json", "select kind, target from artifacts"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"kind": "ingest", "target": "t"}]


def test_sql_is_read_only(tmp_path, capsys):
    ws = tmp_path / "ws"
    (tmp_path / "a.txt").write_text("hello")
    main(["-w", str(ws), "ingest", "-t", "t", str(tmp_path / "a.txt")])
    capsys.readouterr()
    assert main(["-w", str(ws), "sql", "drop view documents"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: sql is read-only") and err.count("\n") == 1
    assert main(["-w", str(ws), "sql", "drop table documents"]) == 2
    assert main(["-w", str(ws), "sql", "--format", "csv", "select count(*) from documents"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "1"


def test_user_errors_are_one_line(tmp_path, capsys):
    ws = tmp_path / "ws"
    assert main(["-w", str(ws), "ingest", "-t", "t", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err == f"error: source '{tmp_path / 'missing'}' does not exist\n"
    assert main(["-w", str(ws), "sql", "select * from documents"]) == 2
    assert "run `obliviate ingest` first" in capsys.readouterr().err
    assert main(["-w", str(ws), "sql", "selec 1"]) != 0
    assert "Traceback" not in capsys.readouterr().err


def test_status_lists_latest_versions(tmp_path, capsys):
    ws = tmp_path / "ws"
    (tmp_path / "a.txt").write_text("hello")
    main(["-w", str(ws), "ingest", "-t", "t", str(tmp_path / "a.txt")])
    capsys.readouterr()
    assert main(["-w", str(ws), "status"]) == 0
    out = capsys.readouterr().out
    assert "ingest" in out and "documents=1" in out


def test_status_marks_stale_stages(store):
    from pipelines.status import status_rows

    def publish(kind, version, parents):
        with store.create(kind, "t", version, parents=parents, settings={}, code_version="v1") as st:
            st.stats = {"rows": 1}

    publish("ingest", "i1", [])
    publish("extract", "e1", ["i1"])
    rows = {r[1]: r for r in status_rows(store, "t")[1]}
    assert rows["extract"][3] == "up to date"
    publish("ingest", "i2", [])
    rows = {r[1]: r for r in status_rows(store, "t")[1]}
    assert rows["ingest"][2] == "i2" and rows["ingest"][4] == 2
    assert rows["extract"][3] == "stale: ingest is now i2"
