"""Printing rows as a table, CSV or JSON (sql, status, results)."""

from __future__ import annotations

import csv
import json
import sys
from enum import Enum

from rich.console import Console
from rich.table import Table

from pipelines.app import info


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


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


