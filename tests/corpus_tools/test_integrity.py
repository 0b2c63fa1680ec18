"""Integrity: parts recorded at publish; deleted, truncated, altered or added parts are caught by name."""

from __future__ import annotations

import hashlib

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ingest_cli

from corpus_tools.errors import ObliviateError
from corpus_tools.integrity import DamagedArtifact, check_artifact
from corpus_tools.store import Store
from pipelines.cli import main


def _docs(version, n, start=0):
    return [{"target": "t", "corpus_version": version, "doc_id": f"d{i}", "source": f"s{i}", "title": "x",
             "text": f"text {i}", "n_chars": 6, "sha256": str(i), "encoding": "utf-8"} for i in range(start, start + n)]


def _publish(store, version="aaa", parts=(2, 3), parents=(), kind="ingest"):
    with store.create(kind, "t", version, parents={"documents": v for v in parents}, settings={}, code_version="v1") as st:
        start = 0
        for i, n in enumerate(parts):
            st.write("documents", _docs(version, n, start), index=i)
            start += n
    return store.require(kind, "t", version)


def _part(art, i=1):
    return art.path / "documents" / f"part-{i:05d}.parquet"


def test_publish_records_every_file(store):
    art = _publish(store)
    parts = {p.part: p for p in store.recorded_parts()[("ingest", "t", "aaa")]}
    assert set(parts) == {"settings.json", "documents/part-00000.parquet", "documents/part-00001.parquet"}
    p1 = parts["documents/part-00001.parquet"]
    assert (p1.table_name, p1.rows, p1.bytes) == ("documents", 3, _part(art).stat().st_size)
    assert p1.sha256 == hashlib.sha256(_part(art).read_bytes()).hexdigest()
    assert parts["settings.json"].table_name is None and parts["settings.json"].rows is None
    check_artifact(store, art, deep=True)  # intact: silent


def _expect_damage(store, art, phrase, deep=False):
    with pytest.raises(DamagedArtifact) as err:
        check_artifact(store, art, deep=deep)
    message = str(err.value)
    assert phrase in message and "\n" not in message
    assert message.endswith("rebuild it with `obliviate run TARGET_FILE --force ingest`")
    return message


def test_deleted_part_is_named_and_reads_refuse(store):
    art = _publish(store)
    _part(art).unlink()
    _expect_damage(store, art, "ingest aaa of 't' is damaged: documents/part-00001.parquet is missing")
    # a fresh Store (a new command) reading the table gets the error, never 2 rows instead of 5
    with pytest.raises(DamagedArtifact, match="part-00001.parquet is missing"):
        Store(store.root).read("documents", art)
    with pytest.raises(DamagedArtifact):
        next(Store(store.root).iter_batches("documents", art))


def test_truncated_part_is_caught_before_arrow_sees_it(store):
    art = _publish(store)
    data = _part(art).read_bytes()
    _part(art).write_bytes(data[: len(data) // 2])
    _expect_damage(store, art, f"documents/part-00001.parquet has {len(data) // 2} bytes, {len(data)} when published")
    with pytest.raises(DamagedArtifact):
        Store(store.root).read("documents", art)


def test_altered_part_of_the_same_size_needs_the_deep_check(store):
    art = _publish(store)
    data = bytearray(_part(art).read_bytes())
    data[len(data) // 2] ^= 0xFF
    _part(art).write_bytes(bytes(data))
    check_artifact(store, art)  # same size: the cheap check cannot tell
    _expect_damage(store, art, "documents/part-00001.parquet was altered (checksum differs)", deep=True)


def test_added_part_is_caught(store):
    art = _publish(store)
    pq.write_table(pa.Table.from_pylist(_docs("aaa", 1, start=9)), art.path / "documents" / "part-00009.parquet")
    _expect_damage(store, art, "documents/part-00009.parquet was added after publishing")


def test_no_build_on_a_damaged_parent(store):
    parent = _publish(store)
    _part(parent, 0).unlink()
    with pytest.raises(DamagedArtifact, match="ingest aaa of 't' is damaged: documents/part-00000.parquet is missing"):
        _publish(Store(store.root), "bbb", parents=["aaa"], kind="extract")
    assert store.get("extract", "t", "bbb") is None


def test_delete_forgets_the_records_and_force_rebuild_is_intact(store):
    art = _publish(store)
    _part(art).unlink()
    store.delete("ingest", "t", "aaa")  # what `run --force ingest` does
    assert ("ingest", "t", "aaa") not in store.recorded_parts()
    art = _publish(store)
    check_artifact(store, art, deep=True)
    assert store.read("documents", art).num_rows == 5


def test_status_sql_and_verify_report_damage(tmp_path, capsys):
    ws = tmp_path / "ws"
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(f"document {i}")
    assert ingest_cli(ws, "t", str(tmp_path / "0.txt"), str(tmp_path / "1.txt")) == 0
    assert ingest_cli(ws, "u", str(tmp_path / "2.txt")) == 0
    assert main(["-w", str(ws), "verify"]) == 0
    capsys.readouterr()
    part = next(ws.glob("artifacts/ingest/t/*/documents/part-00000.parquet"))
    # a part overwritten by another valid Parquet file with other text (what `COPY ... TO` used to do)
    rows = pq.read_table(part).to_pylist()
    pq.write_table(pa.Table.from_pylist([r | {"text": "replaced"} for r in rows], schema=pq.read_schema(part)), part)
    assert main(["-w", str(ws), "status"]) == 0
    out = capsys.readouterr().out
    assert "DAMAGED: documents/part-00000.parquet has" in out and "│ current" in out  # u is intact
    assert main(["-w", str(ws), "sql", "-f", "csv", "select count(*) as n from documents"]) == 0
    captured = capsys.readouterr()
    assert "warning: ingest" in captured.err and "of 't' is damaged" in captured.err
    assert main(["-w", str(ws), "verify", "--target", "u"]) == 0
    assert main(["-w", str(ws), "verify"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines()[-1] == (
        "error: 1 of 2 artifacts are damaged; rebuild each with `obliviate run TARGET_FILE --force STAGE`")
    assert "DAMAGED: documents/part-00000.parquet" in captured.out


class _FullDiskConnection:
    """A DuckDB connection whose COMMIT fails as it does on a full disk: the transaction is over, the error is I/O."""

    message = 'Could not write file "obliviate.duckdb.wal": No space left on device'

    def __init__(self, con):
        self._con = con

    def execute(self, sql, *args):
        if sql.strip().lower() == "commit":
            self._con.execute("rollback")
            raise duckdb.IOException(self.message)
        return self._con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._con.close()


def test_disk_full_at_commit_says_disk_full(store, monkeypatch):
    _publish(store)
    real = Store.connect
    monkeypatch.setattr(Store, "connect", lambda self, read_only=False: (
        real(self, read_only) if read_only else _FullDiskConnection(real(self, read_only))))
    with pytest.raises(ObliviateError) as err:
        _publish(store, "bbb")
    assert str(err.value).startswith("disk full while publishing ingest bbb of 't' (Could not write file")
    assert "No space left on device" in str(err.value) and "rollback" not in str(err.value)
    monkeypatch.undo()
    assert [a.version for a in store.artifacts("ingest", "t")] == ["aaa"]
    art = _publish(store, "bbb")  # once there is space, the rerun publishes from the kept files
    check_artifact(store, art, deep=True)


def test_other_commit_failures_keep_their_own_message(store, monkeypatch):
    real = Store.connect
    monkeypatch.setattr(_FullDiskConnection, "message", "Could not fsync: Input/output error")
    monkeypatch.setattr(Store, "connect", lambda self, read_only=False: (
        real(self, read_only) if read_only else _FullDiskConnection(real(self, read_only))))
    with pytest.raises(duckdb.IOException, match="^Could not fsync: Input/output error$"):
        _publish(store, "bbb")


def test_workspace_from_before_the_records_still_works(tmp_path, capsys):
    ws = tmp_path / "ws"
    (tmp_path / "a.txt").write_text("old text")
    assert ingest_cli(ws, "t", str(tmp_path / "a.txt")) == 0
    with Store(ws).connect() as con:
        con.execute("drop table artifact_parts")  # as an older obliviate left it
    store = Store(ws)
    check_artifact(store, store.latest("ingest", "t"), deep=True)  # nothing recorded: nothing to compare
    capsys.readouterr()
    assert main(["-w", str(ws), "verify"]) == 0
    captured = capsys.readouterr()
    assert "not recorded (published before integrity records)" in captured.out
    assert "0 artifacts intact, 1 not recorded" in captured.err
    assert main(["-w", str(ws), "status"]) == 0 and "│ current" in capsys.readouterr().out
