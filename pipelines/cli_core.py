"""Verbs that every workspace has: ingest, sql, status."""

from __future__ import annotations

import csv
import json
import sys
from enum import Enum
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from corpus_tools.ingest import IngestSettings, ingest
from pipelines.app import app, info, progress_reporter, store


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command("ingest")
def ingest_cmd(
    paths: List[str] = typer.Argument(..., help="Files, folders or globs to ingest."),
    target: str = typer.Option(..., "--target", "-t", help="Target name."),
    max_line_chars: int = typer.Option(100_000, help="Reject files with a longer line (not prose)."),
) -> None:
    """Read text files into the `documents` table of a target."""
    settings = IngestSettings(sources=paths, max_line_chars=max_line_chars)
    ws = store()
    with ws.writer_lock(), progress_reporter() as progress:
        art, created = ingest(ws, target, settings, progress=progress)
    stats = art.stats
    if created:
        info(f"ingested {stats['documents']} documents ({stats['chars']:,} characters) into corpus {art.version}; "
             f"{stats['rejected']} inputs rejected (see the rejected_inputs table)")
    else:
        info(f"corpus {art.version} of {target!r} is up to date ({stats['documents']} documents); nothing to do")


@app.command("sql")
def sql_cmd(
    query: str = typer.Argument(..., help="A read-only SQL query over the workspace tables."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
    limit: int = typer.Option(200, help="At most this many rows in table format (0: all)."),
) -> None:
    """Run a read-only SQL query over the workspace and print the result."""
    from corpus_tools.integrity import damage_summary
    from corpus_tools.sandbox import run_query  # refuses writes and files outside the workspace

    columns, rows = run_query(store(), query)
    for line in damage_summary(store()):  # the rows of a damaged artifact would be silently short
        info(line)
    if not columns:
        return
    print_rows(columns, rows, fmt, limit)


def print_rows(columns: list[str], rows: list[tuple], fmt: Format = Format.table, limit: int = 0) -> None:
    if fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt is Format.json:
        print(json.dumps([dict(zip(columns, r)) for r in rows], default=str, indent=1))
    else:
        table = Table(*columns, show_lines=False)
        shown = rows if not limit else rows[:limit]
        for row in shown:
            table.add_row(*("" if v is None else str(v) for v in row))
        # Piped output keeps whole rows on one line, so grep and diff work on it.
        Console(width=None if sys.stdout.isatty() else 250).print(table)
        if len(shown) < len(rows):
            info(f"({len(rows)} rows, {len(shown)} shown; use --limit 0 or --format csv for all)")


@app.command("status")
def status_cmd(target: Optional[str] = typer.Option(None, "--target", "-t", help="Only this target.")) -> None:
    """The latest version of every stage of each target, with row counts and model paths."""
    from pipelines.status import status_rows

    columns, rows = status_rows(store(), target)
    if not rows:
        info(f"workspace {store().root} holds no artifacts" + (f" for target {target!r}" if target else ""))
        return
    print_rows(columns, rows)
