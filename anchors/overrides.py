"""The manual overrides file: `term = "replacement"` or `term = "keep"`, in TOML or CSV. It wins over everything."""

from __future__ import annotations

import csv
import hashlib
import io
import tomllib
from pathlib import Path

from corpus_tools.errors import ObliviateError

KEEP = "keep"


def load_overrides(path: Path | None) -> dict[str, str]:
    """term -> replacement (or "keep"). TOML: top-level `term = "value"` pairs (tables are flattened
    as sections for grouping); CSV: two columns term,replacement with an optional header."""
    if path is None:
        return {}
    path = Path(path)
    if not path.exists():
        raise ObliviateError(f"overrides file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ObliviateError(f"overrides file {path}: invalid TOML: {exc}") from None
        pairs = list(_flatten(data, path))
    elif path.suffix.lower() == ".csv":
        pairs = _csv_pairs(text, path)
    else:
        raise ObliviateError(f"overrides file {path}: expected a .toml or .csv file")
    out: dict[str, str] = {}
    for term, value in pairs:
        term, value = " ".join(term.split()), " ".join(value.split())
        if not term or not value:
            raise ObliviateError(f"overrides file {path}: empty term or replacement in {term!r} = {value!r}")
        if term in out and out[term] != value:
            raise ObliviateError(f"overrides file {path}: {term!r} is given twice ({out[term]!r} and {value!r})")
        out[term] = KEEP if value.lower() == KEEP else value
    return out


def _flatten(data: dict, path: Path):
    for key, value in data.items():
        if isinstance(value, dict):  # [people] / [places] sections only group entries
            yield from _flatten(value, path)
        elif isinstance(value, str):
            yield key, value
        else:
            raise ObliviateError(f"overrides file {path}: {key!r} must be a string (a replacement or \"keep\"), not {value!r}")


def _csv_pairs(text: str, path: Path) -> list[tuple[str, str]]:
    rows = [r for r in csv.reader(io.StringIO(text)) if r and any(c.strip() for c in r) and not r[0].startswith("#")]
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["term", "replacement"]:
        rows = rows[1:]
    for i, row in enumerate(rows):
        if len(row) != 2:
            raise ObliviateError(f"overrides file {path}: row {i + 1} has {len(row)} columns, expected term,replacement")
    return [(r[0], r[1]) for r in rows]


def overrides_hash(path: Path | None) -> str | None:
    """Content hash of the overrides file: part of the anchors version, so editing it makes a new dictionary."""
    if path is None:
        return None
    path = Path(path)
    if not path.exists():
        raise ObliviateError(f"overrides file {path} does not exist")
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
