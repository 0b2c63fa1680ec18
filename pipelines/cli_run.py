"""Verbs that drive whole targets: run (every stage from one target file) and init (a new target file)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from corpus_tools.errors import ObliviateError
from pipelines.app import app, info, progress_reporter, store
from pipelines.cli_core import print_rows

RESULT_METRICS = ["familiarity_completion_test", "familiarity_completion_dev", "familiarity_probability",
                  "general_perplexity", "knowledge_accuracy"]
ROLE_ORDER = {"base": 0, "subject": 1, "reinforced": 2, "unlearned": 3}


@app.command("run")
def run_cmd(
    target_file: Optional[Path] = typer.Argument(None, help="Target TOML file (default: the bundled Harry Potter target)."),
    until: Optional[str] = typer.Option(None, help="Stop after this stage."),
    force: List[str] = typer.Option([], help="Rerun this stage even if its version exists (repeatable)."),
    set_: List[str] = typer.Option([], "--set", help="Override a setting, e.g. --set labels.alpha=2.5 (repeatable)."),
) -> None:
    """Run the whole pipeline of a target; stages already stored are reused."""
    from pipelines.runner import run_pipeline
    from pipelines.target import load_target

    config = load_target(target_file, set_)
    ws = store()
    with ws.writer_lock():
        info(f"target {config.name!r}, workspace {ws.root}")
        with progress_reporter() as progress:
            arts = run_pipeline(ws, config, until=until, force=tuple(force), progress=progress, log=info)
    if "evaluate" in arts:
        print_results(config.name, arts["evaluate"].version)


def results(target: str, evaluate_version: str) -> tuple[list[str], list[tuple]]:
    rows = store().query(
        "select model_role, coalesce(method, ''), model_version, metric, value from metrics"
        " where target = ? and evaluate_version = ?", [target, evaluate_version])
    table: dict[tuple, dict] = {}
    for role, method, version, metric, value in rows:
        table.setdefault((role, method, version), {})[metric] = value
    metrics = [m for m in RESULT_METRICS if any(m in v for v in table.values())]
    out = []
    for (role, method, version), values in sorted(table.items(), key=lambda kv: (ROLE_ORDER.get(kv[0][0], 9), kv[0][1])):
        out.append((role, method, version, *(_fmt(values.get(m)) for m in metrics)))
    return ["model", "method", "version", *metrics], out


def _fmt(value) -> str:
    return "" if value is None else f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"


def print_results(target: str, evaluate_version: str) -> None:
    columns, rows = results(target, evaluate_version)
    info(f"results for {target!r} (evaluate {evaluate_version}):")
    print_rows(columns, rows)


@app.command("init")
def init_cmd(
    name: str = typer.Argument(..., help="Name of the new target."),
    from_: List[str] = typer.Option(..., "--from", help="Files, folders or globs of the target corpus."),
    out: Optional[Path] = typer.Option(None, help="Where to write the target file (default: targets/NAME.toml)."),
    model: str = typer.Option("smollm2-135m", help="Baseline model."),
    implant: bool = typer.Option(False, help="Teach the base model the corpus first (demos only)."),
) -> None:
    """Write a target file for a new corpus: then `obliviate run FILE` and `obliviate report --target NAME`."""
    from corpus_tools.names import target_name
    from pipelines.target import load_target, render_target_file

    target_name(name)  # before the name becomes targets/NAME.toml
    out = out or Path("targets") / f"{name}.toml"
    if out.exists():
        raise ObliviateError(f"{out} already exists; choose another --out or delete it")
    for src in from_:
        if not any(ch in src for ch in "*?[") and not Path(src).exists():
            raise ObliviateError(f"source {src!r} does not exist")
    out.parent.mkdir(parents=True, exist_ok=True)
    sources = [str(Path(s).resolve()) if not any(ch in s for ch in "*?[") else s for s in from_]
    out.write_text(render_target_file(name, sources, model, implant))
    load_target(out)  # the file we wrote must validate
    info(f"wrote {out}; next: obliviate run {out} && obliviate report --target {name}")
