"""`obliviate verify`: re-check every published artifact's files against the sizes and checksums recorded at publish."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from corpus_tools.integrity import DamagedArtifact, problems
from pipelines.app import WORKSPACE, app, info, session
from pipelines.output import print_rows


def verify_rows(ws, target: str | None = None, deep: bool = True) -> tuple[list[tuple], int]:
    """One row per damaged part (or one 'ok' row per intact artifact), and the number of damaged artifacts."""
    arts = ws.artifacts(target=target)
    parts = ws.recorded_parts()
    rows, damaged = [], 0
    for art in arts:
        recorded = parts.get((art.kind, art.target, art.version))
        if recorded is None:
            rows.append((art.target, art.kind, art.version, "not recorded (published before integrity records)"))
            continue
        found = problems(art, recorded, deep=deep)
        damaged += bool(found)
        rows += [(art.target, art.kind, art.version, f"DAMAGED: {p}") for p in found] or [
            (art.target, art.kind, art.version, f"ok ({len(recorded)} files)")]
    return rows, damaged


@app.command("verify")
def verify_cmd(
    ctx: typer.Context,
    target: Optional[str] = typer.Option(None, "--target", "-t", help="Only this target."),
    quick: bool = typer.Option(False, "--quick", help="Sizes only, no checksums (what `status` does)."),
    workspace: Optional[Path] = WORKSPACE,
) -> None:
    """Check that every artifact's files are those recorded when it was published (missing, truncated, altered, added)."""
    ws = session(ctx).store(workspace)
    rows, damaged = verify_rows(ws, target, deep=not quick)
    if not rows:
        info(f"workspace {ws.root} holds no artifacts" + (f" for target {target!r}" if target else ""))
        return
    print_rows(["target", "stage", "version", "state"], rows)
    if damaged:
        raise DamagedArtifact(f"{damaged} of {len({r[:3] for r in rows})} artifacts are damaged; rebuild each with "
                              "`obliviate run TARGET_FILE --force STAGE`")
    intact = sum(1 for r in rows if r[3].startswith("ok"))
    info(f"{intact} artifact{'s' if intact != 1 else ''} intact" + (f", {len(rows) - intact} not recorded" if len(rows) > intact else ""))
