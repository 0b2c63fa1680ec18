"""Target names: one spelling per target, never a path out of the workspace, at every entry point."""

from __future__ import annotations

import pytest

from conftest import ingest_cli, write_target

from corpus_tools.errors import ObliviateError
from corpus_tools.names import target_name
from pipelines.cli import main

BAD = ["../../../x", "/abs/path", "./a", "a/", "a" * 300, "a\nb", "", "A", "-a", "a b", "a.b", "a" * 65]


def test_valid_names_pass_unchanged():
    for name in ["a", "t", "harry_potter", "b1", "0-x", "a" * 64]:
        assert target_name(name) == name


@pytest.mark.parametrize("name", BAD)
def test_invalid_names_are_one_line_errors(name):
    with pytest.raises(ObliviateError) as err:
        target_name(name)
    assert "\n" not in str(err.value) and "invalid target name" in str(err.value)


@pytest.mark.parametrize("name", ["../../../x", "/abs/path", "a/", "./a"])
def test_store_never_builds_a_path_from_a_bad_name(store, name):
    with pytest.raises(ObliviateError, match="invalid target name"):
        with store.create("ingest", name, "v", parents=[], settings={}, code_version="c"):
            pass
    with pytest.raises(ObliviateError, match="invalid target name"):
        store.latest("ingest", name)


def _entries(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.mark.parametrize("name", BAD[:6])
def test_cli_ingest_refuses_and_writes_nothing(tmp_path, capsys, name):
    ws = tmp_path / "deep" / "er" / "ws"
    (tmp_path / "a.txt").write_text("hello")
    before = _entries(tmp_path)
    abs_target = tmp_path / "abs"
    if name == "/abs/path":
        name = str(abs_target)
    assert ingest_cli(ws, name, str(tmp_path / "a.txt")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: target file") and "invalid target name" in err and err.count("\n") == 1
    assert not abs_target.exists()
    # nothing outside the workspace, and no artifact inside it (only its writer lock file)
    assert [e for e in _entries(tmp_path) if not e.startswith("deep")] == before
    assert not (ws / "artifacts").exists() and not (ws / ".staging").exists()


def test_two_spellings_cannot_share_a_folder(tmp_path, capsys):
    ws = tmp_path / "ws"
    (tmp_path / "a.txt").write_text("first target")
    (tmp_path / "b.txt").write_text("second target")
    assert ingest_cli(ws, "a", str(tmp_path / "a.txt")) == 0
    assert ingest_cli(ws, "./a", str(tmp_path / "b.txt")) == 2
    assert ingest_cli(ws, "a/", str(tmp_path / "b.txt")) == 2
    capsys.readouterr()
    assert main(["-w", str(ws), "sql", "-f", "csv", "select target, text from documents"]) == 0
    assert capsys.readouterr().out.splitlines() == ["target,text", "a,first target"]


def test_other_verbs_check_the_name(tmp_path, capsys):
    ws = tmp_path / "ws"
    (tmp_path / "a.txt").write_text("hello")
    assert ingest_cli(ws, "a", str(tmp_path / "a.txt")) == 0
    for argv in (["status", "-t", "a\nb"], ["extract", str(write_target(tmp_path, "../a", tmp_path / "a.txt"))],
                 ["translate", str(write_target(tmp_path, "A", tmp_path / "a.txt"))]):
        capsys.readouterr()
        assert main(["-w", str(ws), *argv]) == 2, argv
        err = capsys.readouterr().err
        assert "invalid target name" in err and err.count("\n") == 1


@pytest.mark.parametrize("name", ["../../../x", "a/", "a\\nb", "a" * 300])
def test_target_file_name_is_checked(tmp_path, name):
    from pipelines.target import load_target

    (tmp_path / "a.txt").write_text("hello")
    path = tmp_path / "t.toml"
    path.write_text(f'name = "{name}"\n[ingest]\nsources = ["a.txt"]\n')
    with pytest.raises(ObliviateError, match=r"t.toml: name: .*invalid target name") as err:
        load_target(path)
    assert "\n" not in str(err.value)


def test_init_checks_the_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("hello")
    assert main(["init", "../../escape", "--from", "a.txt"]) == 2
    assert capsys.readouterr().err.startswith("error: invalid target name")
    assert not (tmp_path.parent / "escape.toml").exists() and not (tmp_path / "targets").exists()
    assert main(["init", "mine", "--from", "a.txt"]) == 0
    assert (tmp_path / "targets" / "mine.toml").exists()
