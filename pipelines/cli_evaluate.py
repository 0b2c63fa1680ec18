"""Verbs `evaluate` (metrics of a target's models) and `report` (report.md + report.html)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from corpus_tools.errors import ObliviateError
from corpus_tools.store import Artifact, Store
from pipelines.app import app, info, progress_reporter, store

ROOT = Path(__file__).resolve().parents[1]
MODEL_KINDS = ("base", "implant", "reinforce", "unlearn")


def default_models(ws: Store, target: str, versions: list[str]) -> list[Artifact]:
    """The named model versions; by default the latest base, subject and reinforced model and every unlearned one."""
    every = [a for kind in MODEL_KINDS for a in ws.artifacts(kind, target)]
    if versions:
        by_version = {a.version: a for a in every}
        missing = [v for v in versions if v not in by_version]
        if missing:
            raise ObliviateError(f"no model artifact of {target!r} has version(s) {', '.join(missing)}")
        return [by_version[v] for v in versions]
    chosen = [a for kind in MODEL_KINDS[:3] if (a := ws.latest(kind, target)) is not None]
    chosen += ws.artifacts("unlearn", target)  # every method and alpha, for the comparisons of the report
    if not chosen:
        raise ObliviateError(f"target {target!r} has no model yet; run `obliviate run` or `obliviate base` first")
    return chosen


@app.command("evaluate")
def evaluate_cmd(
    target: str = typer.Option(..., "--target", "-t", help="Target name."),
    model: List[str] = typer.Option([], "--model", help="Model artifact version to evaluate (repeatable; default: latest base, subject, reinforced and every unlearned model)."),
    prompts_dir: Optional[Path] = typer.Option(None, help="Folder of familiarity_prompts.jsonl and probability_prompts.jsonl (default: data/targets/TARGET)."),
    general_dir: Path = typer.Option(ROOT / "data" / "general", help="Folder of the general corpus/ and knowledge_prompts.jsonl."),
    max_new_tokens: int = typer.Option(24, help="Greedy tokens per familiarity prompt."),
    batch_size: int = typer.Option(32, "--batch-size", help="Prompts per batched generation."),
    ppl_window: int = typer.Option(256, help="Tokens per perplexity window."),
    max_ppl_tokens: int = typer.Option(4096, help="Cap on tokens scored per perplexity corpus (0: all)."),
    lm_eval: Optional[str] = typer.Option(None, "--lm-eval", help="Comma-separated lm-eval tasks (needs obliviate[eval])."),
    lm_eval_include: Optional[Path] = typer.Option(None, help="Folder of extra lm-eval task YAML files."),
    lm_eval_limit: Optional[int] = typer.Option(None, help="At most this many examples per lm-eval task."),
) -> None:
    """Measure familiarity and retention of a target's models into the `metrics` table."""
    from pipelines.cli_run import print_results
    from training.evaluate import EvalSettings, evaluate

    settings = EvalSettings(max_new_tokens=max_new_tokens, batch_size=batch_size, ppl_window=ppl_window,
                            max_ppl_tokens=max_ppl_tokens or None,
                            lm_eval_tasks=[t.strip() for t in (lm_eval or "").split(",") if t.strip()],
                            lm_eval_include=str(lm_eval_include.resolve()) if lm_eval_include else None,
                            lm_eval_limit=lm_eval_limit)
    prompts_dir = prompts_dir or ROOT / "data" / "targets" / target
    for folder, what in ((prompts_dir, "--prompts-dir"), (general_dir, "--general-dir")):
        if not folder.is_dir():
            raise ObliviateError(f"{what} {folder} is not a folder")
    ws = store()
    models = default_models(ws, target, model)
    with ws.writer_lock(), progress_reporter() as progress:
        art, created = evaluate(ws, target, settings, models=models, prompts_dir=prompts_dir, general_dir=general_dir,
                                anchors=ws.latest("anchors", target), translation=ws.latest("translate", target),
                                progress=progress)
    info(f"evaluate {art.version}: " + (f"{len(models)} model(s) in {art.stats.get('seconds')}s" if created
                                        else "up to date, reused"))
    print_results(target, art.version)


@app.command("report")
def report_cmd(
    target: str = typer.Option(..., "--target", "-t", help="Target name."),
    evaluate_version: Optional[str] = typer.Option(None, help="Evaluate artifact whose metrics to show (default: latest)."),
    out: Optional[Path] = typer.Option(None, help="Output folder (default: <workspace>/reports/<target>)."),
) -> None:
    """Write report.md and a self-contained report.html (plots, label changes, block viewer, lineage)."""
    from pipelines.report import build_report

    folder = build_report(store(), target, evaluate_version=evaluate_version, out_dir=out)
    info(f"wrote {folder / 'report.md'} and {folder / 'report.html'}")
