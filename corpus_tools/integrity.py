"""Integrity of published artifacts: every file's size and sha256 (and a Parquet part's row count)
are recorded when the artifact is published, so a deleted, truncated, altered or added part is
noticed instead of silently changing what `sql`, `status` and the next stage see.

`check_artifact(store, art)` is cheap (existence, sizes, no unexpected part): `status` and every
stage that builds on a parent run it. `deep=True` also re-hashes every file (`obliviate verify`).
See docs/reliability.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq

from corpus_tools.errors import ObliviateError
from corpus_tools.tables import SCHEMAS

if TYPE_CHECKING:
    from corpus_tools.store import Artifact, Store

PARTS_DDL = """
create table if not exists artifact_parts (
    kind varchar, target varchar, version varchar, table_name varchar, part varchar,
    rows bigint, bytes bigint, sha256 varchar,
    primary key (kind, target, version, part)
)
"""


@dataclass(frozen=True)
class Part:
    table_name: str | None  # the table a Parquet part belongs to; None for other files (models, settings)
    part: str               # path inside the artifact folder, e.g. documents/part-00000.parquet
    rows: int | None
    bytes: int
    sha256: str


class DamagedArtifact(ObliviateError):
    """A published artifact's files no longer match what was recorded when it was published."""


def describe_parts(folder: Path) -> list[Part]:
    """The record of every file of an artifact folder about to be published."""
    parts = []
    for f in sorted(folder.rglob("*")):
        if not f.is_file() or f.suffix == ".tmp":  # a .tmp is an interrupted write, never read
            continue
        rel = f.relative_to(folder).as_posix()
        table = rel.split("/", 1)[0] if "/" in rel and rel.endswith(".parquet") else None
        table = table if table in SCHEMAS else None
        rows = pq.ParquetFile(f).metadata.num_rows if table else None
        parts.append(Part(table, rel, rows, f.stat().st_size, sha256_file(f)))
    return parts


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_parts(con) -> dict[tuple[str, str, str], list[Part]]:
    """(kind, target, version) -> recorded parts, read on an open connection (the Store caches it with its
    listing); artifacts published before records existed are absent."""
    if not con.execute("select count(*) from information_schema.tables where table_name = 'artifact_parts'").fetchone()[0]:
        return {}
    rows = con.execute("select kind, target, version, table_name, part, rows, bytes, sha256 from artifact_parts"
                       " order by part").fetchall()
    found: dict[tuple[str, str, str], list[Part]] = {}
    for kind, target, version, *part in rows:
        found.setdefault((kind, target, version), []).append(Part(*part))
    return found


def problems(art: Artifact, parts: list[Part], deep: bool = False) -> list[str]:
    """What is wrong with an artifact's files, one phrase per damaged part (empty when intact)."""
    found = []
    for p in parts:
        path = art.path / p.part
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            found.append(f"{p.part} is missing")
            continue
        if size != p.bytes:
            found.append(f"{p.part} has {size} bytes, {p.bytes} when published")
        elif deep and sha256_file(path) != p.sha256:
            found.append(f"{p.part} was altered (checksum differs)")
    known = {p.part for p in parts}
    for table in {p.table_name for p in parts if p.table_name}:
        for extra in sorted((art.path / table).glob("*.parquet")):  # the SQL views read every *.parquet here
            if extra.relative_to(art.path).as_posix() not in known:
                found.append(f"{extra.relative_to(art.path).as_posix()} was added after publishing")
    return found


def check_artifact(store: Store, art: Artifact, deep: bool = False,
                   parts: list[Part] | None = None) -> None:
    """Raise DamagedArtifact naming the first damaged part and the repair; silent when intact or unrecorded."""
    if parts is None:
        parts = store.recorded_parts().get((art.kind, art.target, art.version), [])
    found = problems(art, parts, deep)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise DamagedArtifact(
            f"{art.kind} {art.version} of {art.target!r} is damaged: {found[0]}{more}; rebuild it with "
            f"`obliviate run TARGET_FILE --force {art.kind}`")


def damage_summary(store: Store) -> list[str]:
    """A one-line warning per damaged artifact (cheap check of every artifact), for readers such as `sql`."""
    parts = store.recorded_parts()
    lines = []
    for art in store.artifacts():
        found = problems(art, parts.get((art.kind, art.target, art.version), []))
        if found:
            lines.append(f"warning: {art.kind} {art.version} of {art.target!r} is damaged ({found[0]}); "
                         "its rows may be missing or wrong, see `obliviate verify`")
    return lines
