"""`obliviate export-query QUERY --out FILE`: save a read-only query's result where the user names, and nowhere else.

`sql` cannot write files (its connection is sandboxed); this verb writes the one file named by
`--out`, from Python, never inside the workspace, so a stored artifact cannot be overwritten.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import typer

from corpus_tools.atomic import replaced
from corpus_tools.errors import ObliviateError
from corpus_tools.integrity import damage_summary
from corpus_tools.sandbox import query_arrow
from pipelines.app import WORKSPACE, app, info, session

FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl"}


@app.command("export-query")
def export_query_cmd(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="A read-only SQL query over the workspace tables."),
    out: Path = typer.Option(..., "--out", "-o", help="File to write: .csv, .parquet or .jsonl (outside the workspace)."),
    workspace: Optional[Path] = WORKSPACE,
) -> None:
    """Write the result of a read-only SQL query to one file."""
    ws = session(ctx).store(workspace)
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ObliviateError(f"--out {out}: expected a file ending in {', '.join(FORMATS)}")
    target = out.resolve()
    if target.is_relative_to(ws.root.resolve()):
        raise ObliviateError(f"--out {out} is inside the workspace {ws.root}; write the export somewhere else")
    if not target.parent.is_dir():
        raise ObliviateError(f"--out {out}: folder {out.parent} does not exist")
    table = query_arrow(ws, query)
    for line in damage_summary(ws):  # the rows of a damaged artifact would be silently short
        info(line)
    with replaced(target) as tmp:
        if fmt == "parquet":
            pq.write_table(table, tmp)
        elif fmt == "csv":
            pacsv.write_csv(table, tmp)
        else:
            with open(tmp, "w") as f:
                for row in table.to_pylist():
                    f.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
    info(f"wrote {table.num_rows} rows to {out}")

# `obliviate export` (Hugging Face datasets and models) registers here, right after export-query in --help.
from pipelines import cli_export_hf  # noqa: F401,E402  (imported for its verb)
