"""Verbs that read a workspace: sql and status."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from pipelines.app import WORKSPACE, app, info, session
from pipelines.output import Format, print_rows


@app.command("sql")
def sql_cmd(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="A read-only SQL query over the workspace tables."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
    limit: int = typer.Option(200, help="At most this many rows in table format (0: all)."),
    workspace: Optional[Path] = WORKSPACE,
) -> None:
    """Run a read-only SQL query over the workspace (`<table>_current`: what each target file resolves to)."""
    from corpus_tools.integrity import damage_summary
    from corpus_tools.sandbox import run_query  # refuses writes and files outside the workspace

    ws = session(ctx).store(workspace)
    columns, rows = run_query(ws, query)
    for line in damage_summary(ws):  # the rows of a damaged artifact would be silently short
        info(line)
    if not columns:
        return
    print_rows(columns, rows, fmt, limit)


@app.command("status")
def status_cmd(
    ctx: typer.Context,
    target_file: Optional[Path] = typer.Argument(None, help="A target file: show the version of every stage it resolves "
                                                            "to and whether it is built (default: every target's current versions)."),
    target: Optional[str] = typer.Option(None, "--target", "-t", help="Only this target (without a target file)."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
    workspace: Optional[Path] = WORKSPACE,
) -> None:
    """Where each stage of each target stands: current versions, newer builds, row counts."""
    from pipelines.status import resolved_rows, status_rows

    ws = session(ctx).store(workspace)
    if target_file is not None:
        from pipelines.target import load_target

        columns, rows = resolved_rows(ws, load_target(target_file))
    else:
        columns, rows = status_rows(ws, target)
    if not rows:
        which = f" for target {target!r}" if target else ""
        info(f"workspace {ws.root} holds no artifacts{which}; start with `obliviate run TARGET_FILE` "
             "(a target file: `obliviate init NAME --from FOLDER`)")
        return
    print_rows(columns, rows, fmt)
