"""The `obliviate` typer app, its global options and the helpers every verb shares.

Verbs live in `pipelines/cli_*.py` modules, one per area, each decorating functions with `@app.command()`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from corpus_tools.store import WORKSPACE_ENV, Store, default_workspace

app = typer.Typer(
    name="obliviate",
    help="Make a language model forget a body of text (Who's Harry Potter? unlearning), auditable in SQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

STATE: dict = {"workspace": None, "debug": False, "progress": True}


@app.callback()
def _global(
    workspace: Optional[Path] = typer.Option(
        None, "--workspace", "-w", help=f"Workspace directory (env {WORKSPACE_ENV}; default ./workspace)."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    no_progress: bool = typer.Option(False, "--no-progress", help="Hide progress bars."),
) -> None:
    STATE["workspace"] = workspace or default_workspace()
    STATE["debug"] = debug
    STATE["progress"] = not no_progress and os.environ.get("OBLIVIATE_NO_PROGRESS") != "1"


def store() -> Store:
    return Store(STATE["workspace"] or default_workspace())


def progress_enabled() -> bool:
    return STATE["progress"] and sys.stderr.isatty() or os.environ.get("OBLIVIATE_FORCE_PROGRESS") == "1"


def progress_reporter():
    """Live bars on a terminal, periodic plain lines in logs and pipes, nothing with --no-progress."""
    import contextlib

    from corpus_tools.progress import Reporter, rich_reporter

    if not STATE["progress"]:
        return contextlib.nullcontext(Reporter())
    return rich_reporter(progress_enabled())


def info(message: str) -> None:
    err_console.print(message)
