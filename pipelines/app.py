"""The `obliviate` typer app, its global options and the helpers every verb shares.

Verbs live in `pipelines/cli_*.py` modules, one per area. The global options live on typer's context
object (a `Session`), never in module state; `--workspace` is also accepted after any verb.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
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
    rich_markup_mode=None,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # log lines stay whole in pipes and logs

WORKSPACE_HELP = f"Workspace directory (env {WORKSPACE_ENV}; default ./workspace)."
WORKSPACE = typer.Option(None, "--workspace", "-w", metavar="DIR", help=WORKSPACE_HELP)


@dataclass
class Session:
    workspace: Optional[Path]
    progress: bool

    def store(self, workspace: Optional[Path] = None) -> Store:
        """The workspace named after the verb, else before it, else the environment's, else ./workspace."""
        return Store(workspace or self.workspace or default_workspace())

    def reporter(self):
        """Live bars on a terminal, periodic plain lines in logs and pipes, nothing with --no-progress."""
        from corpus_tools.progress import Reporter, rich_reporter

        if not self.progress:
            return contextlib.nullcontext(Reporter())
        live = sys.stderr.isatty() or os.environ.get("OBLIVIATE_FORCE_PROGRESS") == "1"
        return rich_reporter(live)


@app.callback()
def _global(
    ctx: typer.Context,
    workspace: Optional[Path] = typer.Option(None, "--workspace", "-w", metavar="DIR", help=WORKSPACE_HELP),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    no_progress: bool = typer.Option(False, "--no-progress", help="Hide progress bars."),
) -> None:
    ctx.obj = Session(workspace=workspace, progress=not no_progress and os.environ.get("OBLIVIATE_NO_PROGRESS") != "1")


def session(ctx: typer.Context) -> Session:
    return ctx.obj if isinstance(ctx.obj, Session) else Session(None, os.environ.get("OBLIVIATE_NO_PROGRESS") != "1")


def info(message: str) -> None:
    err_console.print(message, highlight=False)
