"""Files written whole or not at all (docs/reliability.md): the writer fills a temporary file beside the target,
which is renamed over the target only when the writer finished; a writer that fails or is killed leaves the target
as it was."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def replaced(path: Path, fsync: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `path` (hidden: `.<name>.tmp`) for the caller to write; when the block ends
    without an error, rename it over `path` (flushed to disk first with `fsync`), else remove it and re-raise."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        if fsync:
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
