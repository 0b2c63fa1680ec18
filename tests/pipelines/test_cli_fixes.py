"""The CLI papercuts of issue 20, one test each: what a new user types first must answer clearly."""

from __future__ import annotations

import re

import pytest

from pipelines.cli import main
from pipelines.stages import STAGES


def _help(capsys, *argv) -> str:
    assert main([*argv, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("verb", ["run", "labels", "report", "export"])
def test_a_verb_without_its_target_file_says_what_to_pass(verb, capsys):
    assert main([verb]) == 2  # never a default target: `run` alone once started the 21-minute demo
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: `obliviate {verb}` needs a TARGET_FILE, e.g. `obliviate {verb} "
                   "data/targets/harry_potter/target.toml`; `obliviate init NAME --from FOLDER` writes one"]


def test_other_usage_errors_keep_clicks_message(capsys):
    assert main(["run", "x.toml", "--bogus"]) == 2
    assert "No such option: --bogus" in capsys.readouterr().err


def test_help_shows_no_type_placeholders_and_keeps_the_extra(capsys):
    verbs = ["init", "run", *STAGES, "report", "sql", "status", "verify", "export-query", "export", "bench"]
    for verb in verbs:
        text = _help(capsys, verb)
        assert "<bool>" not in text and "<list" not in text, (verb, text)
    assert "pip install 'obliviate[eval]'" in " ".join(_help(capsys, "evaluate").split())
    assert "--implant / --no-implant" in _help(capsys, "init")


def test_help_lists_verbs_in_pipeline_order(capsys):
    listed = re.findall(r"^  (\S+)\s", _help(capsys).split("Commands:")[1], flags=re.M)
    assert listed[:2] == ["init", "run"] and listed[2:2 + len(STAGES)] == STAGES


def test_init_next_hint_keeps_the_workspace(tmp_path, monkeypatch, capsys):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "a.txt").write_text("Chapter one.")
    monkeypatch.chdir(tmp_path)
    assert main(["init", "b1", "--from", "book", "-w", "myws"]) == 0
    assert "next: obliviate run targets/b1.toml -w myws && obliviate report targets/b1.toml -w myws" \
        in capsys.readouterr().err
    assert main(["-w", "other", "init", "b2", "--from", "book"]) == 0  # before the verb too
    assert "obliviate run targets/b2.toml -w other" in capsys.readouterr().err


def test_empty_workspace_status_gives_the_next_step(tmp_path, capsys):
    assert main(["-w", str(tmp_path / "empty"), "status"]) == 0
    err = capsys.readouterr().err
    assert "holds no artifacts; start with `obliviate run TARGET_FILE`" in err and "obliviate init" in err
    assert "workspace workspace" not in err
