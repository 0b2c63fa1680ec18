"""A real public-domain novel collection for the held-out anchors check: Jane Austen's six novels (4.0 MB).

The texts come from Debian's `r-cran-janeaustenr` package (Project Gutenberg transcriptions, public
domain), fetched from the Debian archive -- a package registry, reachable where PyPI is -- and checked
against a pinned SHA-256. Nothing is committed: `data/` holds only text we wrote. The package stores the
novels as an R lazy-load database; `novels()` reads it with the standard library alone (ar archive,
tar.xz, zlib, R's XDR serialization of a character vector), so no R is needed.

    python benchmarks/books.py [DIR]     # writes DIR/<novel>.txt (default benchmarks/out/books)
"""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import sys
import tarfile
import urllib.request
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / "out" / "books"
DEB_URL = "http://deb.debian.org/debian/pool/main/r/r-cran-janeaustenr/r-cran-janeaustenr_1.0.0-1_all.deb"
DEB_SHA256 = "df6bddf211906d1ff404f8ff662c21b34e6660e7f54a311084e749050c019c95"
DATA = "./usr/lib/R/site-library/janeaustenr/data/Rdata"
NOVELS = ("emma", "mansfieldpark", "northangerabbey", "persuasion", "prideprejudice", "sensesensibility")


def fetch_deb(cache: Path = CACHE, url: str = DEB_URL) -> bytes:
    """The package file, from the cache or the Debian archive; raises if its checksum differs."""
    path = cache / Path(url).name
    if path.exists():
        data = path.read_bytes()
    else:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != DEB_SHA256:
        raise ValueError(f"{url}: sha256 {digest} is not the pinned {DEB_SHA256}")
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def ar_members(data: bytes) -> dict[str, bytes]:
    """The members of a Unix ar archive (a .deb is one)."""
    if not data.startswith(b"!<arch>\n"):
        raise ValueError("not an ar archive")
    members, pos = {}, 8
    while pos + 60 <= len(data):
        header = data[pos:pos + 60]
        name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
        members[name] = data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size % 2)
    return members


class _Reader:
    """Reads R's XDR serialization (format 2 or 3) far enough for a list of offsets and character vectors."""

    def __init__(self, raw: bytes):
        if raw[:2] != b"X\n":
            raise ValueError("not an R XDR serialization")
        self.raw, self.pos = raw, 2
        version = self.int()
        self.pos += 8  # writer's and minimal reader's R versions
        if version == 3:
            length = self.int()  # native encoding name
            self.pos += length

    def int(self) -> int:
        (value,) = struct.unpack_from(">i", self.raw, self.pos)
        self.pos += 4
        return value

    def strings(self) -> list[str]:
        """A character vector (STRSXP) at the current position; attributes after it are not read."""
        flags = self.int()
        if flags & 0xFF != 16:
            raise ValueError(f"expected a character vector, found SEXP type {flags & 0xFF}")
        out = []
        for _ in range(self.int()):
            self.int()  # CHARSXP flags (encoding bits)
            length = self.int()
            out.append("" if length < 0 else self.raw[self.pos:self.pos + length].decode("utf-8", "replace"))
            self.pos += max(length, 0)
        return out


def _index(rdx: bytes) -> dict[str, tuple[int, int]]:
    """name -> (offset, length) in the .rdb, from the .rdx index (a gzipped serialized list whose first
    element, `variables`, is a named list of integer pairs; the names come after the values)."""
    r = _Reader(gzip.decompress(rdx))
    r.int()  # VECSXP flags of the index list
    r.int()  # its length
    r.int()  # VECSXP flags of `variables`
    pairs = []
    for _ in range(r.int()):
        r.int()  # INTSXP flags
        if r.int() != 2:
            raise ValueError("unexpected index entry")
        pairs.append((r.int(), r.int()))
    r.int()  # attribute pairlist flags
    r.int()  # the tag: a symbol ...
    r.int()  # ... whose name is a CHARSXP
    if r.int() != 5 or r.raw[r.pos:r.pos + 5] != b"names":
        raise ValueError("unexpected index attributes")
    r.pos += 5
    return dict(zip(r.strings(), pairs))


def novels(deb: bytes) -> dict[str, str]:
    """name -> full text of each novel in the package (lines joined with newlines)."""
    members = ar_members(deb)
    tar_name = next(n for n in members if n.startswith("data.tar"))
    with tarfile.open(fileobj=io.BytesIO(members[tar_name])) as tar:
        rdx = tar.extractfile(DATA + ".rdx").read()
        rdb = tar.extractfile(DATA + ".rdb").read()
    out = {}
    for name, (offset, length) in _index(rdx).items():
        chunk = rdb[offset:offset + length]
        (size,) = struct.unpack(">I", chunk[:4])
        raw = zlib.decompress(chunk[4:])
        if len(raw) != size:
            raise ValueError(f"{name}: {len(raw)} bytes decompressed, the header says {size}")
        out[name] = "\n".join(_Reader(raw).strings())
    return out


def austen(directory: Path = CACHE) -> Path:
    """A directory holding the six novels as `<name>.txt`, written on first use."""
    directory = Path(directory)
    if all((directory / f"{n}.txt").exists() for n in NOVELS):
        return directory
    texts = novels(fetch_deb(directory))
    missing = set(NOVELS) - set(texts)
    if missing:
        raise ValueError(f"the package lacks {sorted(missing)}")
    for name in NOVELS:
        (directory / f"{name}.txt").write_text(texts[name])
    return directory


if __name__ == "__main__":
    where = austen(Path(sys.argv[1]) if len(sys.argv) > 1 else CACHE)
    for f in sorted(where.glob("*.txt")):
        print(f"{f.name:<24} {f.stat().st_size:>9,} bytes")


# The held-out check (issue #4): recurring invented characters and places of the six novels, written down
# from the books' plots before the v2 rules were tuned, and words that must not be anchored (general
# English, real places, titles, interjections).
RECURRING = """Elizabeth Darcy Bennet Bingley Wickham Collins Lydia Kitty Jane Gardiner Lucas Charlotte Emma Woodhouse
Knightley Harriet Elton Weston Churchill Fairfax Bates Elinor Marianne Dashwood Willoughby Brandon Ferrars Jennings
Middleton Fanny Bertram Crawford Edmund Norris Rushworth Anne Elliot Wentworth Musgrove Croft Russell Benwick Harville
Catherine Morland Tilney Thorpe Allen Isabella Eleanor Henry Louisa Henrietta Mary Julia Maria Pemberley Longbourn
Netherfield Meryton Rosings Hunsford Highbury Hartfield Randalls Donwell Norland Barton Delaford Mansfield Sotherton
Kellynch Uppercross Lyme Northanger Fullerton Woodston Bourgh Lambton Cleveland Combe Enscombe Everingham
Thornton""".split()
NOT_ANCHORS = ["London", "Bath", "Monday", "English", "Brighton", "Portsmouth", "Ireland", "Kent", "Oxford", "Sunday", "Christmas", "God",
               "Admiral", "Nay", "Parsonage", "Derbyshire", "Devonshire", "Psha", "Humph"]


def check(anchors: dict[str, str], candidates: set[str]) -> dict:
    """How the dictionary (term -> replacement) fares: recurring names covered (as a term or a word of one),
    words that must not be anchored but are, and which of those were candidates at all."""
    words = {w for t in anchors for w in t.split()}
    missing = [t for t in RECURRING if t not in anchors and t not in words]
    return {"recall": round(1 - len(missing) / len(RECURRING), 3), "missing": missing, "n": len(RECURRING),
            "wrongly_anchored": [t for t in NOT_ANCHORS if t in anchors],
            "not_candidates": [t for t in NOT_ANCHORS if t not in candidates]}


def run_check(store) -> dict:
    """Ingest the novels into `store`, extract (2 processes) and build the anchors with default settings, timed,
    then `check` the dictionary: what the full benchmark reports and the slow test asserts."""
    import time

    from anchors.build import AnchorSettings, build_anchors
    from anchors.extract import ExtractSettings, extract
    from corpus_tools.ingest import IngestSettings, ingest

    documents, _ = ingest(store, "austen", IngestSettings(sources=[str(austen())]))
    started = time.perf_counter()
    mentions, _ = extract(store, "austen", ExtractSettings(n_process=2), documents=documents)
    mid = time.perf_counter()
    art, _ = build_anchors(store, "austen", AnchorSettings(), documents=documents, mentions=mentions)
    done = time.perf_counter()
    anchors = dict(store.query("select term, replacement from anchors where anchors_version = ?", [art.version]))
    candidates = dict(store.query("select term, zipf from anchor_candidates where anchors_version = ? and "
                                  "decision = 'accepted'", [art.version]))
    reasons = dict(store.query("select term, reason from anchor_candidates where anchors_version = ? and "
                               "decision = 'accepted'", [art.version]))
    every = {r[0] for r in store.query("select term from anchor_candidates where anchors_version = ?", [art.version])}
    size = sum(len(r[0].encode()) for r in store.query("select text from documents where target = 'austen'"))
    return {"extract_s": mid - started, "anchors_s": done - mid, "seconds": done - started, "megabytes": size / 1e6,
            "anchors": anchors, "accepted_zipf": candidates, "accepted_reason": reasons} | check(anchors, every)
