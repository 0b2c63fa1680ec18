"""The workspace store: one DuckDB file, Parquet folders, and the `artifacts` lineage table.

Layout under the workspace directory:

    obliviate.duckdb                      artifacts table + one SQL view per table name
    artifacts/<kind>/<target>/<version>/  a finished artifact: <table>/part-*.parquet, files
    .staging/<kind>/<target>/<version>/   an artifact being written (kept after a crash: resume)

`artifacts.parents` names each parent by its role (`{"blocks": "...", "labels": "..."}`), so
lineage reads as `parents->>'blocks'` in SQL. The `current` table records, per target, the version
of each stage that the target file resolves to (written by plain runs, never by `--set` trials);
`<table>_current` views show exactly those artifacts, `<table>_latest` the newest built.

An artifact becomes visible in one step: its staging folder is renamed into `artifacts/`, then
its row and the refreshed views are committed in one DuckDB transaction. A folder under
`artifacts/` without a row is an orphan of a crash between the two and is discarded, so a
reader sees either the old state or the new one.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from corpus_tools import faults
from corpus_tools.atomic import replaced
from corpus_tools.errors import ObliviateError, WorkspaceBusy
from corpus_tools.integrity import PARTS_DDL, Part, check_artifact, describe_parts, read_parts
from corpus_tools.names import target_name
from corpus_tools.tables import SCHEMAS, to_arrow

WORKSPACE_ENV = "OBLIVIATE_WORKSPACE"
DB_NAME = "obliviate.duckdb"

ARTIFACTS_DDL = """
create table if not exists artifacts (
    kind varchar, target varchar, version varchar, parents json, settings json,
    code_version varchar, created_at timestamp, path varchar, tables varchar[], stats json,
    primary key (kind, target, version)
);
create table if not exists current (
    target varchar, stage varchar, version varchar, target_file varchar, updated_at timestamp,
    primary key (target, stage)
)
"""


def artifact_version(kind: str, settings: dict, parents: dict[str, str], code_version: str) -> str:
    """Short content hash of everything an artifact is made from; parents by role, so swapping two differs."""
    payload = json.dumps(
        {"kind": kind, "settings": settings, "parents": parents, "code": code_version},
        sort_keys=True, default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def default_workspace() -> Path:
    return Path(os.environ.get(WORKSPACE_ENV) or "workspace")


@dataclass(frozen=True)
class Artifact:
    kind: str
    target: str
    version: str
    parents: dict[str, str]
    settings: dict
    code_version: str
    created_at: datetime
    path: Path
    tables: list[str]
    stats: dict


class Staging:
    """An artifact being written. Parts are written atomically, so a killed stage can resume."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.stats: dict[str, Any] = {}

    def part_path(self, table: str, index: int) -> Path:
        return self.dir / table / f"part-{index:05d}.parquet"

    def done_parts(self, table: str) -> set[int]:
        folder = self.dir / table
        if not folder.exists():
            return set()
        return {int(p.stem.split("-")[1]) for p in folder.glob("part-*.parquet")}

    def write(self, table: str, rows, index: int = 0) -> int:
        """Write one part of `table`; returns its row count."""
        data = to_arrow(table, rows)
        path = self.part_path(table, index)
        path.parent.mkdir(parents=True, exist_ok=True)
        with replaced(path, fsync=True) as tmp:
            pq.write_table(data, tmp)
        return data.num_rows

    def has_table(self, table: str) -> bool:
        return bool(self.done_parts(table))


class Store:
    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_workspace()
        self.db_path = self.root / DB_NAME
        self._listing: tuple[tuple, list[Artifact]] | None = None  # (database file signature, every artifact)
        self._intact: set[tuple[str, str, str]] = set()  # artifacts this Store has checked (docs/reliability.md)
        self._parts: dict[tuple[str, str, str], list[Part]] = {}  # read with the listing, same cache

    # -- connections ---------------------------------------------------------------------

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        if read_only and not self.db_path.exists():
            raise ObliviateError(f"no workspace database at {self.db_path}; run `obliviate ingest` first")
        self.root.mkdir(parents=True, exist_ok=True)
        for attempt in range(50):
            try:
                con = duckdb.connect(str(self.db_path), read_only=read_only)
                break
            except duckdb.IOException as exc:  # another process holds DuckDB's file lock
                if "lock" not in str(exc).lower() or attempt == 49:
                    raise ObliviateError(f"cannot open {self.db_path}: {exc}") from exc
                time.sleep(0.1)
        con.execute(f"set file_search_path = '{_sql_str(str(self.root.resolve()))}'")
        if not read_only:
            con.execute(ARTIFACTS_DDL)
            con.execute(PARTS_DDL)
            _migrate(con)
        return con

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One writer per workspace: a second one fails at once with a clear message."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / ".lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise WorkspaceBusy(f"workspace {self.root} is busy: another obliviate process is writing to it")
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    # -- reading -------------------------------------------------------------------------

    def artifacts(self, kind: str | None = None, target: str | None = None) -> list[Artifact]:
        if target is not None:
            target_name(target)  # every lookup by name checks it, so a CLI --target never needs its own check
        return [a for a in self._all_artifacts() if (kind is None or a.kind == kind) and (target is None or a.target == target)]

    def _signature(self) -> tuple | None:
        """Changes whenever any process commits to the database (DuckDB rewrites the file or its WAL)."""
        try:
            db = os.stat(self.db_path)
        except FileNotFoundError:
            return None
        try:
            wal = os.stat(f"{self.db_path}.wal")
            wal_sig = (wal.st_ino, wal.st_mtime_ns, wal.st_size)
        except FileNotFoundError:
            wal_sig = None
        return db.st_ino, db.st_mtime_ns, db.st_size, db.st_ctime_ns, wal_sig

    def _all_artifacts(self) -> list[Artifact]:
        """Every registered artifact, oldest first; read again only when the database file has changed, so the
        many lookups of a stage cost one connection instead of one each."""
        signature = self._signature()
        if signature is None:
            self._parts = {}
            return []
        if self._listing is not None and self._listing[0] == signature:
            return self._listing[1]
        with self.connect(read_only=True) as con:
            if not _has_table(con, "artifacts"):
                self._parts = {}
                return []
            found = self._read_listing(con)
        self._listing = (signature, found)
        return found

    def _read_listing(self, con: duckdb.DuckDBPyConnection) -> list[Artifact]:
        rows = con.execute(
            "select kind, target, version, parents, settings, code_version, created_at, path,"
            " tables, stats from artifacts order by created_at").fetchall()
        self._parts = read_parts(con)  # integrity records, so a check costs no connection of its own
        return [
            Artifact(k, t, v, _named(p), json.loads(s or "{}"), c, ts, self.root / path,
                     list(tb or []), json.loads(st or "{}"))
            for k, t, v, p, s, c, ts, path, tb, st in rows
        ]

    def get(self, kind: str, target: str, version: str) -> Artifact | None:
        return next((a for a in self.artifacts(kind, target) if a.version == version), None)

    def latest(self, kind: str, target: str) -> Artifact | None:
        found = self.artifacts(kind, target)
        return found[-1] if found else None

    def require(self, kind: str, target: str, version: str | None = None) -> Artifact:
        """The artifact asked for (or the latest of its kind), or a clear error naming the missing stage."""
        art = self.get(kind, target, version) if version else self.latest(kind, target)
        if art is None:
            which = f"version {version}" if version else "any version"
            raise ObliviateError(f"target {target!r} has no {kind} artifact ({which}); run `obliviate {kind} --target {target}` first")
        return art

    def recorded_parts(self) -> dict[tuple[str, str, str], list[Part]]:
        """(kind, target, version) -> the files recorded when it was published (see corpus_tools/integrity.py)."""
        self._all_artifacts()
        return self._parts

    def check_once(self, art: Artifact) -> None:
        """Cheap integrity check of an artifact a stage is about to read or build on, once per Store."""
        key = (art.kind, art.target, art.version)
        if key not in self._intact:
            check_artifact(self, art)
            self._intact.add(key)

    def read(self, table: str, artifact: Artifact, columns: list[str] | None = None) -> pa.Table:
        self.check_once(artifact)  # integrity: a damaged part is an error naming it, never fewer rows
        files = sorted((artifact.path / table).glob("part-*.parquet"))
        if not files:
            return SCHEMAS[table].empty_table() if table in SCHEMAS else pa.table({})
        return pa.concat_tables(pq.read_table(f, columns=columns) for f in files)

    def iter_batches(self, table: str, artifact: Artifact, batch_size: int = 1024,
                     columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """Stream a table without loading it whole."""
        self.check_once(artifact)
        for f in sorted((artifact.path / table).glob("part-*.parquet")):
            yield from pq.ParquetFile(f).iter_batches(batch_size=batch_size, columns=columns)

    def iter_documents(self, documents: Artifact, part_chars: int) -> Iterator[list[tuple[str, str]]]:
        """(doc_id, text) lists in stored order, about `part_chars` characters each (deterministic, for resume)."""
        part, size = [], 0
        for batch in self.iter_batches("documents", documents, batch_size=256, columns=["doc_id", "text"]):
            for doc_id, text in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
                part.append((doc_id, text))
                size += len(text)
                if size >= part_chars:
                    yield part
                    part, size = [], 0
        if part:
            yield part

    def current(self, target: str) -> dict[str, str]:
        """stage -> version that the target file of `target` resolved to in its last plain run."""
        if self._signature() is None:
            return {}
        with self.connect(read_only=True) as con:
            if not _has_table(con, "current"):
                return {}
            return dict(con.execute("select stage, version from current where target = ?", [target]).fetchall())

    def set_current(self, target: str, versions: dict[str, str], target_file: str) -> None:
        """Record what the target file resolves to and point the `<table>_current` views at it."""
        self._listing = None
        with self.connect() as con:
            con.execute("begin transaction")
            try:
                con.execute("delete from current where target = ?", [target])
                now = datetime.now(timezone.utc).replace(tzinfo=None)
                for stage, version in versions.items():
                    con.execute("insert into current values (?, ?, ?, ?, ?)", [target, stage, version, target_file, now])
                tables = sorted({t for (tb,) in con.execute("select tables from artifacts").fetchall() for t in tb or []})
                _refresh_views(con, tables)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with self.connect(read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    # -- writing -------------------------------------------------------------------------

    def staging_path(self, kind: str, target: str, version: str) -> Path:
        return self.root / ".staging" / kind / target / version

    @contextlib.contextmanager
    def create(self, kind: str, target: str, version: str, *, parents: dict[str, str],
               settings: dict, code_version: str) -> Iterator[Staging]:
        """Write a new artifact. Published only if the block finishes without an exception."""
        final = self.final_path(kind, target, version)
        if self.get(kind, target, version) is not None:
            raise ObliviateError(f"{kind} {version} of {target!r} already exists")
        for parent in (a for a in self._all_artifacts() if a.version in set(parents.values())):
            self.check_once(parent)  # integrity: never build on a damaged parent
        staging = Staging(self.staging_path(kind, target, version))
        if final.exists():  # orphan of a crash between rename and registration: resume from it
            if staging.dir.exists():
                shutil.rmtree(final)
            else:
                staging.dir.parent.mkdir(parents=True, exist_ok=True)
                os.replace(final, staging.dir)
        staging.dir.mkdir(parents=True, exist_ok=True)
        (staging.dir / "settings.json").write_text(json.dumps(settings, indent=2, sort_keys=True, default=str))
        yield staging
        tables = sorted(t for t in SCHEMAS if staging.has_table(t))
        final.parent.mkdir(parents=True, exist_ok=True)
        _fsync_dir(staging.dir)
        parts = describe_parts(staging.dir)  # sizes, row counts, checksums: what `verify` compares against
        os.replace(staging.dir, final)
        faults.reached("publish")
        self._register(kind, target, version, parents, settings, code_version, final, tables, staging.stats, parts)

    def _register(self, kind, target, version, parents, settings, code_version, final, tables, stats, parts=()):
        rel = final.relative_to(self.root).as_posix()
        self._listing = None
        with self.connect() as con:
            con.execute("begin transaction")
            try:
                con.execute(
                    "insert into artifacts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [kind, target, version, json.dumps(parents, sort_keys=True), json.dumps(settings, default=str), code_version,
                     datetime.now(timezone.utc).replace(tzinfo=None), rel, tables,
                     json.dumps(stats, default=str)],
                )
                if parts:
                    con.executemany("insert into artifact_parts values (?, ?, ?, ?, ?, ?, ?, ?)",
                                    [[kind, target, version, p.table_name, p.part, p.rows, p.bytes, p.sha256]
                                     for p in parts])
                _refresh_views(con, tables)
                con.execute("commit")
            except BaseException as exc:
                # A failed commit has already ended the transaction: its rollback error must not hide the cause.
                with contextlib.suppress(duckdb.Error):
                    con.execute("rollback")
                if _is_disk_full(exc):
                    raise ObliviateError(
                        f"disk full while publishing {kind} {version} of {target!r} ({_first_line(exc)}); free space "
                        "and rerun: the finished files are kept and reused") from exc
                raise
            found = self._read_listing(con)  # the new listing, read on this connection instead of a new one
        self._listing = (self._signature(), found)  # one writer per workspace: nobody committed in between

    def final_path(self, kind: str, target: str, version: str) -> Path:
        """Where an artifact's files will live once published (for paths stored inside it)."""
        target_name(target)  # the name becomes a folder: it must not leave the workspace or alias another
        return self.root / "artifacts" / kind / target / version

    def delete(self, kind: str, target: str, version: str) -> None:
        """Forget an artifact (used by `run --force`); its files go after the row does."""
        art = self.require(kind, target, version)
        self._listing = None
        with self.connect() as con:
            con.execute("begin transaction")
            con.execute("delete from artifacts where kind = ? and target = ? and version = ?", [kind, target, version])
            con.execute("delete from artifact_parts where kind = ? and target = ? and version = ?", [kind, target, version])
            _refresh_views(con, art.tables)
            con.execute("commit")
        shutil.rmtree(art.path, ignore_errors=True)
        self._intact.discard((kind, target, version))


def _refresh_views(con: duckdb.DuckDBPyConnection, tables: list[str], absolute_root: str | None = None) -> None:
    """`<table>` shows every version; `<table>_latest` only the newest artifact of each kind and target;
    `<table>_current` the artifacts each target's file resolves to (the `current` table).

    Stored views name their files relative to the workspace, so it can move. With `absolute_root` they are
    made as temporary views with absolute paths instead, for the sandboxed `sql` connection
    (corpus_tools/sandbox.py), which may read nothing but `<root>/artifacts/`."""
    create = "create or replace temp view" if absolute_root else "create or replace view"
    prefix = f"{_sql_str(absolute_root)}/" if absolute_root else ""
    for table in tables:
        rows = con.execute(
            "select a.path, (row_number() over (partition by a.kind, a.target order by a.created_at desc)) = 1,"
            " c.version is not null from artifacts a left join current c"
            " on c.target = a.target and c.stage = a.kind and c.version = a.version"
            " where list_contains(a.tables, ?) order by a.created_at", [table]
        ).fetchall()
        views = ((table, [p for p, _, _ in rows]), (f"{table}_latest", [p for p, newest, _ in rows if newest]),
                 (f"{table}_current", [p for p, _, cur in rows if cur]))
        for name, paths in views:
            if not paths:
                if not absolute_root:
                    con.execute(f"drop view if exists {name}")
                continue
            globs = ", ".join(f"'{prefix}{_sql_str(p)}/{table}/*.parquet'" for p in paths)
            con.execute(f"{create} {name} as select * from read_parquet([{globs}], union_by_name = true)")


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    text = str(exc).lower()
    return "no space left" in text or "disk full" in text or "not enough space" in text


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Workspaces made before parents were named hold them as a list: keep them readable (as a JSON list)."""
    kind = con.execute("select data_type from information_schema.columns where table_name = 'artifacts'"
                       " and column_name = 'parents'").fetchone()
    if kind and kind[0] != "JSON":
        con.execute("alter table artifacts alter parents type json using to_json(parents)")


def _named(parents: str | None) -> dict[str, str]:
    value = json.loads(parents) if parents else {}
    return value if isinstance(value, dict) else {f"parent{i}": v for i, v in enumerate(value)}


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_name = ?", [name]).fetchone()[0])


def _sql_str(text: str) -> str:
    return text.replace("'", "''")


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    for child in path.rglob("*"):
        if child.is_file():
            _fsync(child)
