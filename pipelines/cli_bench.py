"""The `bench` verb: runs the benchmark suite of `benchmarks/` and writes benchmarks/results.{json,md}."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import List, Optional

import typer

from corpus_tools.errors import ObliviateError
from pipelines.app import app, info

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"


def suite_module():
    """benchmarks/run_all.py, loaded from the source tree (benchmarks/ ships beside the packages, not inside them)."""
    path = BENCH_DIR / "run_all.py"
    if not path.exists():
        raise ObliviateError(f"bench needs the source tree: {path} not found (run from a checkout of obliviate)")
    spec = importlib.util.spec_from_file_location("obliviate_run_all", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@app.command("bench")
def bench_cmd(
    quick: bool = typer.Option(False, "--quick", help="Small inputs and the tiny random model (a few minutes)."),
    only: Optional[List[str]] = typer.Option(None, "--only", metavar="NAME", help="Run only this benchmark (repeatable): "
                                             "translate, blocks, extract, labels, unlearn, e2e, scaling."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for results.json and results.md "
                                       "(default: benchmarks/ of the source tree)."),
) -> None:
    """Run the benchmarks against their baselines; exit 1 if a target is missed or a benchmark fails."""
    # One torch thread: on a shared 2-core machine it beats two (measured; docs/benchmarks.md), and figures stay comparable.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    suite = suite_module()
    try:
        report = suite.run_suite(quick=quick, only=only, out_dir=out or BENCH_DIR, log=info)
    except ValueError as exc:  # an unknown --only name
        raise ObliviateError(f"--only: {exc}") from None
    rows = report["results"]
    missed = [r for r in rows if r["pass"] is False]
    info(f"{sum(r['pass'] is True for r in rows)} of {sum(r['pass'] is not None for r in rows)} targets met "
         f"in {report['seconds']} s; results in {out or BENCH_DIR}/results.md")
    for r in missed:
        info(f"missed: {r['name']}: {r.get('reason', '')}")
    if missed:
        raise typer.Exit(1)
