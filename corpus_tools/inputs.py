"""What a source must be to be ingested: the rules for hostile and careless inputs (docs/reliability.md).

- each real file and folder is visited once (symlink cycles end); a path that exists is literal, even
  `chapter[1].txt`; only a path that does not exist is a glob;
- only regular files are opened (a FIFO, device or socket is rejected unopened);
- text is UTF-8, UTF-16/32 with a byte-order mark, or Latin-1 that looks like Latin-1; anything else,
  and NUL anywhere, is rejected with the reason, never stored garbled;
- no line longer than max_line_chars, in any format.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import Iterator

from corpus_tools.errors import ObliviateError


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
        elif path.is_dir() and not is_dataset_dir(path):
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
        if child.is_dir() and is_dataset_dir(child):
            yield child
        elif child.is_dir():
            yield from _walk(child, seen)
        else:
            yield child


def is_dataset_dir(path: Path) -> bool:
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


def check_lines(text: str, max_line_chars: int) -> None:
    """The prose rules every format shares: no NUL character, no line longer than max_line_chars."""
    if "\x00" in text:
        raise Rejected(f"NUL character at character {text.index(chr(0))}: binary data, not prose")
    longest = max((len(line) for line in text.split("\n")), default=0)
    if longest > max_line_chars:
        raise Rejected(f"a line of {longest} characters (max_line_chars={max_line_chars}): not prose")
