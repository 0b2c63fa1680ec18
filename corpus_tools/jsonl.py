"""JSON-lines files of evaluation items: one object a line, each error naming the file and the line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from corpus_tools.errors import ObliviateError


def numbered_rows(path: Path, required: tuple[str, ...] = ()) -> Iterator[tuple[int, dict]]:
    """(line number, object) for every non-blank line, each holding the `required` fields."""
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ObliviateError(f"{path}:{number}: invalid JSON: {exc.msg}") from None
        missing = [k for k in required if k not in row]
        if missing:
            raise ObliviateError(f"{path}:{number}: missing field(s) {', '.join(missing)}")
        yield number, row
