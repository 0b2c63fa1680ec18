"""benchmarks/books.py reads R's lazy-load database from a .deb with the standard library alone.

A package is built here byte by byte after R's serialization format (XDR, version 3), so the reader
is checked without the network; the real package is read by the slow test of tests/anchors."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zlib

import pytest

from benchmarks import books


def _int(v: int) -> bytes:
    return struct.pack(">i", v)


def _header() -> bytes:
    return b"X\n" + _int(3) + _int(0x040201) + _int(0x030500) + _int(5) + b"UTF-8"


def _chars(s: str) -> bytes:
    raw = s.encode()
    return _int(0x00040009) + _int(len(raw)) + raw


def _strings(items: list[str]) -> bytes:
    return _int(16) + _int(len(items)) + b"".join(_chars(s) for s in items)


def _index(entries: dict[str, tuple[int, int]]) -> bytes:
    """list(variables = list(name = c(offset, length), ...), ...) as R writes the .rdx."""
    body = _int(0x213) + _int(3) + _int(0x213) + _int(len(entries))
    body += b"".join(_int(13) + _int(2) + _int(o) + _int(n) for o, n in entries.values())
    body += _int(0x402) + _int(1) + _chars("names") + _strings(list(entries)) + _int(0xFE)
    return gzip.compress(_header() + body + _int(0xFE) * 4)


def _deb(novels: dict[str, list[str]]) -> bytes:
    rdb, entries = b"", {}
    for name, lines in novels.items():
        raw = _header() + _strings(lines)
        blob = struct.pack(">I", len(raw)) + zlib.compress(raw)
        entries[name] = (len(rdb), len(blob))
        rdb += blob
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w:xz") as tar:
        for suffix, data in ((".rdb", rdb), (".rdx", _index(entries))):
            info = tarfile.TarInfo(books.DATA + suffix)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    out = b"!<arch>\n"
    for name, data in ((b"debian-binary", b"2.0\n"), (b"data.tar.xz", tar_bytes.getvalue())):
        out += name.ljust(16) + b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6) + b"100644".ljust(8)
        out += str(len(data)).encode().ljust(10) + b"`\n" + data + (b"\n" if len(data) % 2 else b"")
    return out


def test_novels_are_read_back_line_for_line():
    novels = {"emma": ["EMMA", "", "Emma Woodhouse, handsome, clever, and rich"], "persuasion": ["Sir Walter Elliot"]}
    assert books.novels(_deb(novels)) == {k: "\n".join(v) for k, v in novels.items()}


def test_a_package_with_another_checksum_is_refused(tmp_path):
    (tmp_path / "pkg.deb").write_bytes(b"!<arch>\nnot the pinned package")
    with pytest.raises(ValueError, match="sha256"):
        books.fetch_deb(tmp_path, url="http://example.invalid/pkg.deb")


def test_check_reports_missing_names_and_wrong_anchors():
    anchors = {t: "x" for t in books.RECURRING[:-3]} | {"Kellynch Hall": "x", "London": "x"}
    found = books.check(anchors, {"London", "Bath"})
    assert found["missing"] == [t for t in books.RECURRING[-3:] if t != "Kellynch"] and found["wrongly_anchored"] == ["London"]
    assert "Bath" not in found["not_candidates"] and "Monday" in found["not_candidates"]
