"""The `report` verb: report.md and a self-contained report.html of a target."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from pipelines.app import WORKSPACE, app, info, session
from pipelines.target import load_target


@app.command("report")
def report_cmd(
    ctx: typer.Context,
    target_file: Path = typer.Argument(..., help="Target TOML file: the report describes what it resolves to."),
    evaluate_version: Optional[str] = typer.Option(None, "--evaluate-version", help="Describe this evaluate artifact instead of the current one."),
    out: Optional[Path] = typer.Option(None, help="Output folder (default: <workspace>/reports/<target>)."),
    workspace: Optional[Path] = WORKSPACE,
) -> None:
    """Write report.md and report.html (plots, label changes, block viewer, lineage) for a target."""
    from pipelines.report import build_report

    config = load_target(target_file)
    folder = build_report(session(ctx).store(workspace), config.name, evaluate_version=evaluate_version, out_dir=out)
    info(f"wrote {folder / 'report.md'} and {folder / 'report.html'}")
