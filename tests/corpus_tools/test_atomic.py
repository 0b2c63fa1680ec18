"""corpus_tools.atomic.replaced: a file is replaced whole or left as it was."""

import pytest

from corpus_tools.atomic import replaced


def test_a_finished_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text("old\n")
    with replaced(path, fsync=True) as tmp:
        assert tmp.parent == tmp_path and tmp != path
        tmp.write_text("new\n")
        assert path.read_text() == "old\n"  # not replaced before the block ends
    assert path.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["items.jsonl"]


def test_a_failed_write_leaves_the_file_as_it_was_and_removes_the_temporary(tmp_path):
    path = tmp_path / "results.json"
    path.write_text("old\n")
    with pytest.raises(RuntimeError, match="disk full"):
        with replaced(path) as tmp:
            tmp.write_text("half of it")
            raise RuntimeError("disk full")
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_a_new_file_appears_only_when_written_whole(tmp_path):
    path = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt):
        with replaced(path) as tmp:
            tmp.write_text("a,b\n")
            raise KeyboardInterrupt  # a killed writer
    assert not path.exists() and not list(tmp_path.iterdir())
