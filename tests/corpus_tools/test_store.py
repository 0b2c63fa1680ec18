"""The workspace store: content-addressed versions, atomic publication, read-only SQL."""

from __future__ import annotations

import duckdb
import pytest

from corpus_tools import store as store_mod
from corpus_tools.errors import ObliviateError, WorkspaceBusy
from corpus_tools.store import Store, artifact_version


def _docs(version, n=2):
    return [{"target": "t", "corpus_version": version, "doc_id": f"d{i}", "source": f"s{i}", "title": "x",
             "text": f"text {i}", "n_chars": 6, "sha256": str(i), "encoding": "utf-8"} for i in range(n)]


def _publish(store, version, n=2):
    with store.create("ingest", "t", version, parents={}, settings={"n": n}, code_version="v1") as st:
        st.write("documents", _docs(version, n))
    return store.require("ingest", "t", version)


def test_version_is_content_hash():
    parents = {"documents": "p1", "translation": "p2"}
    a = artifact_version("blocks", {"block_size": 64}, parents, "blocks_v1")
    assert a == artifact_version("blocks", {"block_size": 64}, {"translation": "p2", "documents": "p1"}, "blocks_v1")
    assert len(a) == 12
    assert a != artifact_version("blocks", {"block_size": 65}, parents, "blocks_v1")
    assert a != artifact_version("blocks", {"block_size": 64}, parents, "blocks_v2")
    assert a != artifact_version("blocks", {"block_size": 64}, {"documents": "p1"}, "blocks_v1")
    # parents are named: the same versions in swapped roles are another artifact
    assert a != artifact_version("blocks", {"block_size": 64}, {"documents": "p2", "translation": "p1"}, "blocks_v1")


def test_publish_registers_and_exposes_view(store):
    art = _publish(store, "aaa")
    assert art.tables == ["documents"]
    assert store.query("select count(*) from documents")[0][0] == 2
    _publish(store, "bbb", n=3)
    assert store.query("select corpus_version, count(*) from documents group by 1 order by 1") == [("aaa", 2), ("bbb", 3)]
    assert store.latest("ingest", "t").version == "bbb"


def test_failure_inside_stage_publishes_nothing(store):
    _publish(store, "aaa")
    with pytest.raises(RuntimeError):
        with store.create("ingest", "t", "bbb", parents={}, settings={}, code_version="v1") as st:
            st.write("documents", _docs("bbb"), index=0)
            raise RuntimeError("killed mid-stage")
    assert store.get("ingest", "t", "bbb") is None
    assert store.query("select distinct corpus_version from documents") == [("aaa",)]
    # the finished part survives in staging, so a rerun can resume from it
    with store.create("ingest", "t", "bbb", parents={}, settings={}, code_version="v1") as st:
        assert st.done_parts("documents") == {0}
    assert store.query("select count(*) from documents where corpus_version = 'bbb'")[0][0] == 2


def test_crash_between_rename_and_registration(store, monkeypatch):
    _publish(store, "aaa")

    def crash(*args, **kwargs):
        raise OSError("power cut before the transaction")

    monkeypatch.setattr(Store, "_register", crash)
    with pytest.raises(OSError):
        _publish(store, "bbb")
    monkeypatch.undo()
    # old state only: the orphan folder is not visible in SQL or in the lineage
    assert store.get("ingest", "t", "bbb") is None
    assert store.query("select distinct corpus_version from documents") == [("aaa",)]
    assert (store.root / "artifacts" / "ingest" / "t" / "bbb").exists()
    # the next attempt resumes from the orphan's parts and publishes
    with store.create("ingest", "t", "bbb", parents={}, settings={}, code_version="v1") as st:
        assert st.done_parts("documents") == {0}
    assert store.query("select count(*) from documents where corpus_version = 'bbb'")[0][0] == 2


def test_failed_transaction_rolls_back(store, monkeypatch):
    _publish(store, "aaa")
    real = store_mod._refresh_views

    def broken(con, tables):
        real(con, tables)
        raise RuntimeError("crash inside the transaction")

    monkeypatch.setattr(store_mod, "_refresh_views", broken)
    with pytest.raises(RuntimeError):
        _publish(store, "bbb")
    monkeypatch.undo()
    assert [a.version for a in store.artifacts("ingest", "t")] == ["aaa"]
    assert store.query("select distinct corpus_version from documents") == [("aaa",)]


def test_existing_version_cannot_be_overwritten(store):
    _publish(store, "aaa")
    with pytest.raises(ObliviateError, match="already exists"):
        _publish(store, "aaa")


def test_read_only_connection_refuses_writes(store):
    _publish(store, "aaa")
    with store.connect(read_only=True) as con:
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("drop view documents")
    assert store.query("select count(*) from documents")[0][0] == 2


def test_writer_lock_is_exclusive(store):
    with store.writer_lock():
        with pytest.raises(WorkspaceBusy, match="busy"):
            with Store(store.root).writer_lock():
                pass
    with Store(store.root).writer_lock():  # released
        pass


def test_delete_removes_rows_files_and_view(store):
    art = _publish(store, "aaa")
    _publish(store, "bbb")
    store.delete("ingest", "t", "aaa")
    assert not art.path.exists()
    assert store.query("select distinct corpus_version from documents") == [("bbb",)]


def test_views_survive_moving_the_workspace(store, tmp_path):
    _publish(store, "aaa")
    moved = tmp_path / "moved"
    store.root.rename(moved)
    assert Store(moved).query("select count(*) from documents")[0][0] == 2


def test_latest_views_show_only_the_newest_version_per_target(store):
    _publish(store, "aaa", n=2)
    _publish(store, "bbb", n=3)
    assert store.query("select count(*) from documents")[0][0] == 5
    assert store.query("select distinct corpus_version from documents_latest") == [("bbb",)]
    store.delete("ingest", "t", "bbb")
    assert store.query("select distinct corpus_version from documents_latest") == [("aaa",)]


def test_log_reporter_prints_counts_and_rate():
    import io

    from corpus_tools.progress import LogReporter

    out = io.StringIO()
    advance = LogReporter(every=0.0, stream=out).task("labels", 4, "blocks")
    for _ in range(4):
        advance(1)
    lines = out.getvalue().splitlines()
    assert len(lines) == 4 and lines[-1].startswith("  labels: 4/4 blocks (")
