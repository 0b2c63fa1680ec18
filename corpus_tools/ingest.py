"""ingest: files, folders and globs of text become the `documents` table.

Every file that cannot be used becomes a `rejected_inputs` row with its reason; the rest goes on.
The corpus version hashes the sources' contents, so re-ingesting unchanged files is a no-op.
What a source must be (cycles, special files, encodings, line lengths) is in corpus_tools/inputs.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field

from corpus_tools.errors import ObliviateError
from corpus_tools.inputs import Rejected, check_lines, decode, is_dataset_dir, read_regular, resolve_sources
from corpus_tools.progress import Reporter, task
from corpus_tools.stage import Stage, produce
from corpus_tools.store import Artifact, Store

TEXT_SUFFIXES = {".txt", ".md"}
SUFFIXES = TEXT_SUFFIXES | {".jsonl", ".parquet"}

GUTENBERG_START = re.compile(r"^\*\*\*\s*START OF (?:THE|THIS) PROJECT GUTENBERG.*?\*\*\*[^\n]*\n", re.I | re.M)
GUTENBERG_END = re.compile(r"^\*\*\*\s*END OF (?:THE|THIS) PROJECT GUTENBERG", re.I | re.M)


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default
    sources: list[str] = Field(description="Files, folders (recursive) or globs of .txt, .md, .jsonl, .parquet or saved `datasets` folders.")
    max_line_chars: int = Field(100_000, description="A file with a longer line is rejected as not prose.")
    min_chars: int = Field(1, description="Documents shorter than this (after cleaning) are rejected.")
    input_field: str = Field("text", min_length=1, description="The text field of .jsonl rows, Parquet columns and `datasets` folders.")


# v3: NUL anywhere, damaged UTF-8 and non-Latin-1 text are rejected, UTF-16/32 with a byte-order mark
# decoded, the line rule applied to jsonl/parquet/datasets rows: outputs change, so versions must too.
STAGE = Stage("ingest", inputs={}, outputs=("documents", "rejected_inputs"), settings=IngestSettings,
              code_version="ingest_v3", summary="Read the target's text files into the documents table.")


@dataclass
class Record:
    doc_id: str
    source: str
    title: str
    text: str
    encoding: str


def fingerprint(files: list[tuple[Path, Path]]) -> list[tuple[str, str]]:
    """(source name, sha256 of bytes) per file: what the corpus version is computed from."""
    prints = []
    for path, root in files:
        digest = hashlib.sha256()
        for f in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if f.is_dir():
                continue
            try:
                digest.update(read_regular(f))
            except (Rejected, OSError) as exc:  # hashed as what it is; read_source rejects it with the reason
                digest.update(f"unusable: {exc}".encode())
        prints.append((_source_name(path, root), digest.hexdigest()))
    return prints


def _source_name(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def clean_text(text: str) -> str:
    """NFC, Unix line endings, Project Gutenberg header and footer removed, outer blank space trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text).lstrip("\ufeff")
    start = GUTENBERG_START.search(text)
    if start:
        text = text[start.end():]
    end = GUTENBERG_END.search(text)
    if end:
        text = text[: end.start()]
    return text.strip()


def _title_from(text: str, fallback: str) -> str:
    first = text.split("\n", 1)[0].strip().lstrip("#").strip()
    return first[:200] if first else fallback


def read_source(path: Path, name: str, settings: IngestSettings) -> Iterator[Record | tuple[str, str]]:
    """Records of one source, or (source, reason) for parts that must be rejected."""
    stem = name.rsplit(".", 1)[0] if path.is_file() else name
    try:
        if is_dataset_dir(path):
            import datasets

            ds = datasets.load_from_disk(str(path))
            yield from _from_rows(ds.to_list(), stem, name, settings)
            return
        suffix = path.suffix.lower()
        if suffix not in SUFFIXES:
            raise Rejected(f"unsupported file type {suffix or '(none)'!r}; expected one of {sorted(SUFFIXES)}")
        raw = read_regular(path)
        if suffix == ".parquet":
            yield from _from_rows(pq.read_table(pa.BufferReader(raw)).to_pylist(), stem, name, settings)
            return
        text, encoding = decode(raw)
        if suffix == ".jsonl":
            yield from _from_jsonl(text, stem, name, settings)
            return
        check_lines(text, settings.max_line_chars)
        yield Record(stem, name, _title_from(text, stem), text, encoding)
    except Rejected as exc:
        yield (name, str(exc))
    except OSError as exc:
        yield (name, f"unreadable: {exc.strerror or exc}")
    except Exception as exc:  # a corrupt parquet or dataset folder must not stop the other files
        yield (name, f"unreadable: {type(exc).__name__}: {exc}")


def _from_jsonl(text: str, stem: str, name: str, settings: IngestSettings) -> Iterator[Record | tuple[str, str]]:
    rows = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield (f"{name}:{lineno}", f"invalid JSON: {exc.msg}")
            continue
        if not isinstance(row, dict):
            yield (f"{name}:{lineno}", "line is not a JSON object")
            continue
        rows.append((lineno, row))
    for lineno, row in rows:
        yield from _from_rows([row], stem, name, settings, default_key=str(lineno))


def _from_rows(rows: list[dict], stem: str, name: str, settings: IngestSettings,
               default_key: str | None = None) -> Iterator[Record | tuple[str, str]]:
    for i, row in enumerate(rows):
        key = str(row.get("id") if row.get("id") is not None else (default_key or i))
        text = row.get(settings.input_field)
        if not isinstance(text, str):
            hint = "" if settings.input_field != "text" else " (set [ingest] input_field to the field that holds it)"
            yield (f"{name}#{key}", f"no string field {settings.input_field!r}{hint}")
            continue
        try:
            check_lines(text, settings.max_line_chars)
        except Rejected as exc:
            yield (f"{name}#{key}", str(exc))
            continue
        title = row.get("title") if isinstance(row.get("title"), str) else ""
        yield Record(f"{stem}#{key}", f"{name}#{key}", title or _title_from(text, key), text, "utf-8")


def ingest(store: Store, target: str, settings: IngestSettings, base: Path | None = None,
           progress: Reporter | None = None) -> tuple[Artifact, bool]:
    """Ingest the sources; returns (artifact, created). Unchanged sources reuse the stored version."""
    files = resolve_sources(settings.sources, base)
    if not files:
        raise ObliviateError(f"sources {settings.sources} contain no files")
    prints = fingerprint(files)
    # input_field joins the version only when it is not the default, so versions built before it existed hold
    key = settings.model_dump(exclude={"sources"} | ({"input_field"} if settings.input_field == "text" else set()))
    key |= {"files": prints}

    def build(st, version: str) -> None:
        docs, rejected = read_documents(files, prints, target, version, settings, progress)
        st.write("documents", docs)
        st.write("rejected_inputs", rejected)
        st.stats = {"documents": len(docs), "rejected": len(rejected), "chars": sum(d["n_chars"] for d in docs)}

    return produce(store, STAGE, target, key=key, inputs={}, build=build,
                   saved=settings.model_dump() | {"files": prints})


def read_documents(files, prints, target: str, version: str, settings: IngestSettings,
                   progress: Reporter | None) -> tuple[list[dict], list[dict]]:
    """The documents and rejected_inputs rows of the resolved source files."""
    docs, rejected, seen = [], [], {}
    advance = task(progress, "ingest", len(files), "files")
    for (path, root), (name, _) in zip(files, prints):
        for item in read_source(path, name, settings):
            if isinstance(item, tuple):
                rejected.append({"target": target, "corpus_version": version, "source": item[0], "reason": item[1]})
                continue
            text = clean_text(item.text)
            if len(text) < settings.min_chars:
                rejected.append({"target": target, "corpus_version": version, "source": item.source,
                                 "reason": "empty after cleaning" if not text else f"shorter than min_chars={settings.min_chars}"})
                continue
            sha = hashlib.sha256(text.encode()).hexdigest()
            if sha in seen:
                rejected.append({"target": target, "corpus_version": version, "source": item.source,
                                 "reason": f"exact duplicate of {seen[sha]}"})
                continue
            seen[sha] = item.doc_id
            docs.append({"target": target, "corpus_version": version, "doc_id": item.doc_id, "source": item.source,
                         "title": item.title, "text": text, "n_chars": len(text), "sha256": sha, "encoding": item.encoding})
        advance(1)
    if not docs:
        reasons = "; ".join(f"{r['source']}: {r['reason']}" for r in rejected[:3])
        raise ObliviateError(f"no usable document in {settings.sources} ({reasons})")
    _check_unique_ids(docs)
    return docs, rejected


def _check_unique_ids(docs: list[dict]) -> None:
    ids: dict[str, str] = {}
    for d in docs:
        if d["doc_id"] in ids:
            raise ObliviateError(f"two sources give the same doc_id {d['doc_id']!r}: {ids[d['doc_id']]} and {d['source']}; rename one")
        ids[d["doc_id"]] = d["source"]
