"""The command line as a user meets it: exit codes, one-line errors, read-only SQL, status."""

from __future__ import annotations

import json
import re

from pipelines.cli import main


def _target(tmp_path, sources: str, name: str = "t"):
    path = tmp_path / f"{name}.toml"
    path.write_text(f'name = "{name}"\n[ingest]\nsources = ["{sources}"]\n')
    return path


def test_ingest_then_sql_then_noop(tmp_path, capsys):
    ws = tmp_path / "ws"
    (tmp_path / "c").mkdir()
    for i in range(3):
        (tmp_path / "c" / f"{i}.txt").write_text(f"document {i}")
    target = _target(tmp_path, "c")
    assert main(["--workspace", str(ws), "ingest", str(target)]) == 0
    assert main(["--workspace", str(ws), "sql", "--format", "csv", "select count(*) as n from documents_current"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == ["n", "3"]
    assert main(["ingest", str(target), "--workspace", str(ws)]) == 0  # the workspace after the verb
    assert "up to date" in capsys.readouterr().err
    assert main(["-w", str(ws), "sql", "-f", "json", "select kind, target, parents from artifacts"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"kind": "ingest", "target": "t", "parents": "{}"}]


def test_sql_is_read_only(tmp_path, capsys):
    ws = tmp_path / "ws"
    (tmp_path / "a.txt").write_text("hello")
    main(["-w", str(ws), "ingest", str(_target(tmp_path, "a.txt"))])
    capsys.readouterr()
    assert main(["-w", str(ws), "sql", "drop view documents"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: sql is read-only") and err.count("\n") == 1
    assert main(["-w", str(ws), "sql", "drop table documents"]) == 2
    assert main(["-w", str(ws), "sql", "--format", "csv", "select count(*) from documents"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "1"


def test_user_errors_are_one_line(tmp_path, capsys):
    ws = tmp_path / "ws"
    assert main(["-w", str(ws), "ingest", str(_target(tmp_path, "missing"))]) == 2
    err = capsys.readouterr().err
    assert err == f"error: source '{tmp_path / 'missing'}' does not exist\n"
    assert main(["-w", str(ws), "ingest", str(tmp_path / "nowhere.toml")]) == 2
    assert capsys.readouterr().err == f"error: target file {tmp_path / 'nowhere.toml'} does not exist\n"
    assert main(["-w", str(ws), "sql", "select * from documents"]) == 2
    assert "run `obliviate ingest` first" in capsys.readouterr().err
    assert main(["-w", str(ws), "sql", "selec 1"]) != 0
    assert "Traceback" not in capsys.readouterr().err
    assert main(["-w", str(ws), "blocks", str(_target(tmp_path, "a.txt")), "--set", "blocks.stride=999"]) == 2
    assert "stride 999 > block_size 512" in capsys.readouterr().err


def test_status_shows_current_and_trial_builds(tmp_path, capsys):
    ws = tmp_path / "ws"
    (tmp_path / "a.txt").write_text("hello there")
    target = _target(tmp_path, "a.txt")
    assert main(["-w", str(ws), "status"]) == 0
    assert "holds no artifacts" in capsys.readouterr().err
    main(["-w", str(ws), "ingest", str(target)])
    main(["-w", str(ws), "ingest", str(target), "--set", "ingest.min_chars=2"])  # a trial: not current
    capsys.readouterr()
    assert main(["-w", str(ws), "status"]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if "ingest" in l)
    assert "current; newer trial build" in line and "documents=1" in line
    assert main(["-w", str(ws), "status", str(target)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("ingest" in l and "built" in l and "yes" in l for l in lines)
    assert any("extract" in l and "not built" in l for l in lines)
    # status builds nothing: the default model's GGUF is not converted (30 s) just to say the base is not built
    assert any(re.search(r"\bbase\s.*\bnot built\b", l) for l in lines)
    assert not (ws / "cache" / "models").exists()


def test_a_wrong_split_is_one_error_line_before_any_stage(tmp_path, capsys):
    ws = tmp_path / "ws"
    (tmp_path / "a.txt").write_text("hello")
    target = _target(tmp_path, "a.txt")
    for verb in ("run", "evaluate"):
        assert main(["-w", str(ws), verb, str(target), "--split", "train"]) == 2
        err = capsys.readouterr().err
        assert err == "error: --split 'train': choose one of test, dev\n", verb
    assert not (ws / "obliviate.duckdb").exists()  # nothing ran, nothing was stored
