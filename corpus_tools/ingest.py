"""ingest: files, folders and globs of text become the `documents` table.

Every file that cannot be used becomes a `rejected_inputs` row with its reason; the rest goes on.
The corpus version hashes the sources' contents, so re-ingesting unchanged files is a no-op.
Hostile inputs are rules, not accidents (docs/reliability.md): each real file or folder is visited
once (symlink cycles end), only regular files are opened, unreadable or undecodable files and
NUL characters are rejections with a reason, and the line-length rule holds for every format.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter, task
from corpus_tools.store import Artifact, Store, artifact_version

# v2: NUL anywhere, damaged UTF-8 and non-Latin-1 text are rejected, UTF-16/32 with a byte-order mark
# decoded, the line rule applied to jsonl/parquet/datasets rows: outputs change, so versions must too.
CODE_VERSION = "ingest_v2"
TEXT_SUFFIXES = {".txt", ".md"}
SUFFIXES = TEXT_SUFFIXES | {".jsonl", ".parquet"}

GUTENBERG_START = re.compile(r"^\*\*\*\s*START OF (?:THE|THIS) PROJECT GUTENBERG.*?\*\*\*[^\n]*\n", re.I | re.M)
GUTENBERG_END = re.compile(r"^\*\*\*\s*END OF (?:THE|THIS) PROJECT GUTENBERG", re.I | re.M)


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default
    sources: list[str] = Field(description="Files, folders (recursive) or globs of .txt, .md, .jsonl, .parquet or saved `datasets` folders.")
    max_line_chars: int = Field(100_000, description="A file with a longer line is rejected as not prose.")
    min_chars: int = Field(1, description="Documents shorter than this (after cleaning) are rejected.")


@dataclass
class Record:
    doc_id: str
    source: str
    title: str
    text: str
    encoding: str


class Rejected(Exception):
    """A source that cannot be used; becomes a rejected_inputs row."""


def resolve_sources(sources: list[str], base: Path | None = None) -> list[tuple[Path, Path]]:
    """(file-or-dataset-folder, root it was named under) for every source; missing paths are errors.

    A path that exists is taken literally even if its name has glob characters (`chapter[1].txt`).
    Each real file and folder is used once, however many links or sources lead to it.
    """
    found: list[tuple[Path, Path]] = []
    seen: set[str] = set()

    def add(path: Path, root: Path) -> None:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            found.append((path, root))

    for raw in sources:
        path = Path(raw) if base is None or Path(raw).is_absolute() else base / raw
        if not os.path.lexists(path) and any(ch in raw for ch in "*?["):
            matches = _glob(path)
            if not matches:
                raise ObliviateError(f"source {raw!r} matches no file")
            for m in matches:
                if not m.is_dir():
                    add(m, m.parent)
        elif not os.path.lexists(path):
            raise ObliviateError(f"source {raw!r} does not exist")
        elif path.is_dir() and not _is_dataset_dir(path):
            for f in _walk(path, seen):
                add(f, path)
        else:
            add(path, path.parent)
    return found


def _glob(pattern: Path) -> list[Path]:
    """Matches of a glob; `**` does not descend into symlinked folders (pathlib's rule), so cycles end.
    Hidden names are skipped, as in a folder walk."""
    parts = pattern.parts
    first = next(i for i, part in enumerate(parts) if any(ch in part for ch in "*?["))
    anchor = Path(*parts[:first]) if first else Path(".")
    return sorted(m for m in anchor.glob("/".join(parts[first:]))
                  if not any(p.startswith(".") for p in m.relative_to(anchor).parts))


def _walk(folder: Path, seen: set[str]) -> Iterator[Path]:
    """Files and dataset folders under `folder`, each real folder entered once (a symlink cycle ends)."""
    real = os.path.realpath(folder)
    if real in seen:
        return
    seen.add(real)
    try:
        children = sorted(folder.iterdir(), key=lambda c: (c.is_symlink(), c.name))  # a file's own name beats a link's
    except OSError:  # an unreadable folder: nothing to list (its files cannot be named either)
        return
    for child in children:
        if child.name.startswith("."):
            continue
        if child.is_dir() and _is_dataset_dir(child):
            yield child
        elif child.is_dir():
            yield from _walk(child, seen)
        else:
            yield child


def _is_dataset_dir(path: Path) -> bool:
    return path.is_dir() and (path / "state.json").exists() and (path / "dataset_info.json").exists()


def read_regular(path: Path) -> bytes:
    """The bytes of a regular file. Anything else (FIFO, device, socket) is Rejected without being opened
    for reading: opening a FIFO would wait for a writer forever."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise Rejected(f"not a regular file ({_file_kind(mode)})")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # non-blocking even if a FIFO replaced it since the stat
    with open(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Rejected(f"not a regular file ({_file_kind(os.fstat(fd).st_mode)})")
        return f.read()


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a file"


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


BOMS = [(codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),  # before UTF-16: FF FE 00 00 starts with FF FE
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]
UTF8_SEQUENCE = re.compile(rb"[\xC2-\xDF][\x80-\xBF]|[\xE0-\xEF][\x80-\xBF]{2}|[\xF0-\xF4][\x80-\xBF]{3}")
ASCII = bytes(range(128))
WORD = re.compile(r"[^\W\d_]+")
MAX_FOREIGN_WORDS = 0.25


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding) of a text file: UTF-16/32 with a byte-order mark, UTF-8, or Latin-1 (cp1252) text.
    Anything else is Rejected with the reason, never stored garbled."""
    for bom, codec in BOMS:
        if raw.startswith(bom):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise Rejected(f"starts with a {codec} byte-order mark but is not {codec} ({exc.reason} at byte {exc.start})")
            if "\x00" in text:
                raise Rejected(f"binary file (NUL character at {codec} character {text.index(chr(0))})")
            return text, codec
    if b"\x00" in raw:
        raise Rejected(f"binary file (NUL byte at offset {raw.index(0)}; UTF-16/32 text needs a byte-order mark)")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        return _latin1(raw, f"not UTF-8 ({exc.reason} at byte {exc.start})"), "cp1252"


def _latin1(raw: bytes, not_utf8: str) -> str:
    """Latin-1 (cp1252) decodes any bytes, so accept it only if the result looks like Latin-1 text."""
    text = raw.decode("cp1252", errors="replace")
    if "\ufffd" in text:
        raise Rejected(f"{not_utf8} and not Latin-1 text (bytes cp1252 does not define)")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if controls > len(text) // 1000:
        raise Rejected(f"{not_utf8} and not Latin-1 text ({controls} control characters)")
    high = len(raw.translate(None, ASCII))
    as_utf8 = sum(len(m) for m in UTF8_SEQUENCE.findall(raw))
    if as_utf8 * 2 >= high:  # most high bytes form UTF-8 characters: a damaged UTF-8 file, not Latin-1
        raise Rejected(f"{not_utf8}: damaged UTF-8 ({as_utf8} of {high} non-ASCII bytes are valid UTF-8)")
    # Latin-1 languages mix accented and plain letters inside words (café, brûlée); Cyrillic, Greek or CJK
    # bytes read as cp1252 make whole words of accented letters (Ïðèâåò).
    accented = [w for w in WORD.findall(text) if max(w) >= "\x80"]
    foreign = [w for w in accented if len(w) > 1 and min(w) >= "\x80"]
    if len(foreign) > MAX_FOREIGN_WORDS * len(accented):
        raise Rejected(f"{not_utf8} and not Latin-1 text ({len(foreign)} of {len(accented)} accented words have no "
                       "ASCII letter: another encoding; convert it to UTF-8)")
    return text


def check_lines(text: str, settings: IngestSettings) -> None:
    """The prose rules every format shares: no NUL character, no line longer than max_line_chars."""
    if "\x00" in text:
        raise Rejected(f"NUL character at character {text.index(chr(0))}: binary data, not prose")
    longest = max((len(line) for line in text.split("\n")), default=0)
    if longest > settings.max_line_chars:
        raise Rejected(f"a line of {longest} characters (max_line_chars={settings.max_line_chars}): not prose")


def _title_from(text: str, fallback: str) -> str:
    first = text.split("\n", 1)[0].strip().lstrip("#").strip()
    return first[:200] if first else fallback


def read_source(path: Path, name: str, settings: IngestSettings) -> Iterator[Record | tuple[str, str]]:
    """Records of one source, or (source, reason) for parts that must be rejected."""
    stem = name.rsplit(".", 1)[0] if path.is_file() else name
    try:
        if _is_dataset_dir(path):
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
        check_lines(text, settings)
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
        text = row.get("text")
        if not isinstance(text, str):
            yield (f"{name}#{key}", "no string field 'text'")
            continue
        try:
            check_lines(text, settings)
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
    version = artifact_version("ingest", settings.model_dump(exclude={"sources"}) | {"files": prints}, [], CODE_VERSION)
    existing = store.get("ingest", target, version)
    if existing is not None:
        return existing, False

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
    with store.create("ingest", target, version, parents=[], settings=settings.model_dump() | {"files": prints},
                      code_version=CODE_VERSION) as st:
        st.write("documents", docs)
        st.write("rejected_inputs", rejected)
        st.stats = {"documents": len(docs), "rejected": len(rejected), "chars": sum(d["n_chars"] for d in docs)}
    return store.require("ingest", target, version), True


def _check_unique_ids(docs: list[dict]) -> None:
    ids: dict[str, str] = {}
    for d in docs:
        if d["doc_id"] in ids:
            raise ObliviateError(f"two sources give the same doc_id {d['doc_id']!r}: {ids[d['doc_id']]} and {d['source']}; rename one")
        ids[d["doc_id"]] = d["source"]
