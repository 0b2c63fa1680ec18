"""A private copy of the session's clean tiny run (the `tiny_clean_run` fixture of this folder's conftest)."""

from __future__ import annotations

import shutil
from pathlib import Path


def copy_of_clean_run(clean: tuple[Path, Path], where: Path) -> Path:
    """A private copy of the clean run's workspace (a workspace is relocatable: artifacts are stored by relative path)."""
    shutil.copytree(clean[0], where)
    return where
