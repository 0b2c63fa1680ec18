"""One full tiny run, built once per session (copied with test_run_e2e.copy_of_clean_run by the tests that
start from a finished workspace)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_run_e2e import _run, _target  # noqa: E402


@pytest.fixture(scope="session")
def tiny_clean_run(tmp_path_factory, tiny_model_dir) -> tuple[Path, Path]:
    """(workspace, target file) of an uninterrupted `obliviate run` of the tiny target (about 30 s on one core).

    Read it, never write to it: `test_run_e2e.copy_of_clean_run` gives a test its own copy."""
    root = tmp_path_factory.mktemp("clean_run")
    target = _target(root, tiny_model_dir)
    done = _run(root / "ws", target)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "results for 'tiny'" in done.stderr
    return root / "ws", target
