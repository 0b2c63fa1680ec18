"""The benchmark suite: runs every `bench_*.py` module, collects its rows, writes results.json and results.md.

Each module exposes `run(quick: bool = False) -> list[dict]` with the keys of `FIELDS` (plus optional
"unit" and "note"). A module that raises becomes one failed row carrying the error; the others still
run. A missed target is reported as missed, with the reason. `python benchmarks/run_all.py [--quick]`
or `obliviate bench [--quick] [--only NAME]`.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import platform
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterable

from corpus_tools.atomic import replaced

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Cheap modules first, so a slow one at the end does not hide the others' results for long.
BENCHMARKS = ("translate", "blocks", "extract", "labels", "unlearn", "e2e", "scaling")
FIELDS = ("name", "ours", "baseline", "ratio", "target", "pass")
OPTIONAL = ("unit", "note")


def load(name: str) -> ModuleType:
    """The module `benchmarks/bench_<name>.py`, loaded from its file (benchmarks/ is not an installed package)."""
    path = HERE / f"bench_{name}.py"
    if not path.exists():
        raise FileNotFoundError(f"no benchmark {name!r}: {path} does not exist")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def machine() -> dict:
    """What the figures were measured on: they mean little without it."""
    import torch

    info = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "cuda": torch.cuda.is_available()}
    try:
        info["load_average_1m"] = round(os.getloadavg()[0], 2)
        info["memory_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (OSError, ValueError, AttributeError):  # not on every platform
        pass
    return info


def normalise(module: str, row: dict) -> dict:
    """One result row with every field present, numbers made JSON-safe, and a reason when the target was missed."""
    out = {"module": module, **{k: row.get(k) for k in FIELDS}}
    for key in OPTIONAL:
        if row.get(key) is not None:
            out[key] = row[key]
    for key in ("ours", "baseline", "ratio"):
        value = out[key]
        if hasattr(value, "item"):  # numpy / torch scalars
            value = value.item()
        out[key] = None if isinstance(value, float) and not math.isfinite(value) else value
    passed = out["pass"]
    out["pass"] = None if passed is None else bool(passed)
    if row.get("error"):
        out["error"] = out["reason"] = row["error"]
    elif out["pass"] is False:
        out["reason"] = f"missed: ratio {_fmt(out['ratio'])} (ours {_fmt(out['ours'])}) vs target {out['target']}"
    return out


def error_row(module: str, exc: BaseException, seconds: float) -> dict:
    last = traceback.extract_tb(exc.__traceback__)[-1:] or None
    where = f" at {Path(last[0].filename).name}:{last[0].lineno}" if last else ""
    return normalise(module, {"name": f"{module}: benchmark raised", "ours": None, "baseline": None, "ratio": None,
                              "target": "runs", "pass": False, "note": f"after {seconds:.1f} s",
                              "error": f"{type(exc).__name__}: {exc}{where}"})


def run_suite(quick: bool = False, only: Iterable[str] | None = None, *,
              modules: dict[str, ModuleType] | None = None, out_dir: Path | None = HERE,
              log: Callable[[str], None] = print) -> dict:
    """Run the benchmarks (all, or those named in `only`), write results.json / results.md into `out_dir`
    (None: write nothing) and return the report {"machine", "quick", "started", "seconds", "results"}."""
    names = list(modules) if modules is not None else list(BENCHMARKS)
    if only:
        wanted = list(only)
        unknown = [n for n in wanted if n not in names]
        if unknown:
            raise ValueError(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(names)}")
        names = [n for n in names if n in wanted]
    started, results, timings = time.perf_counter(), [], {}
    load_before = machine().get("load_average_1m")  # the machine is shared: say how busy it was
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for name in names:
        log(f"bench {name}{' (quick)' if quick else ''} ...")
        tick = time.perf_counter()
        try:
            module = modules[name] if modules is not None else load(name)
            rows = [normalise(name, r) for r in module.run(quick=quick)]
            if not rows:
                raise RuntimeError("run() returned no rows")
        except Exception as exc:  # reported as a failed row: one broken benchmark must not hide the rest
            rows = [error_row(name, exc, time.perf_counter() - tick)]
        timings[name] = round(time.perf_counter() - tick, 1)
        results += rows
        for r in rows:
            log(f"  {_status(r):<6} {r['name']}: ours {_fmt(r['ours'])}, ratio {_fmt(r['ratio'])}, target {r['target']}")
    report = {"machine": {**machine(), "load_average_1m_start": load_before}, "quick": quick, "started": stamp,
              "seconds": round(time.perf_counter() - started, 1), "module_seconds": timings, "results": results}
    if out_dir is not None:
        write(report, Path(out_dir))
    return report


def write(report: dict, out_dir: Path) -> tuple[Path, Path]:
    """results.json and results.md, each written whole then renamed (a killed run leaves the old ones)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = out_dir / "results.json", out_dir / "results.md"
    for path, text in zip(paths, (json.dumps(report, indent=1, default=str) + "\n", markdown(report))):
        with replaced(path) as tmp:
            tmp.write_text(text)
    return paths


def markdown(report: dict) -> str:
    """The results as a Markdown table, with the machine and a pass count above it."""
    rows = report["results"]
    m = report["machine"]
    passed = sum(r["pass"] is True for r in rows)
    scored = sum(r["pass"] is not None for r in rows)
    lines = [f"# Benchmark results ({'quick' if report['quick'] else 'full'} run, {report['started']})", "",
             f"Machine: {m.get('processor')}, {m.get('cpu_count')} CPUs, {m.get('memory_gb', '?')} GB, "
             f"{m.get('platform')}; Python {m.get('python')}, torch {m.get('torch')} "
             f"({m.get('torch_threads')} threads, OMP_NUM_THREADS={m.get('omp_num_threads')}); "
             f"1-minute load average {m.get('load_average_1m_start', '?')} at the start, "
             f"{m.get('load_average_1m', '?')} at the end.", "",
             f"{passed} of {scored} targets met; suite took {report['seconds']} s "
             f"({', '.join(f'{k} {v} s' for k, v in report.get('module_seconds', {}).items())}).", "",
             "| figure | ours | baseline | ratio | target | pass | reason |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        unit = f" {r['unit']}" if r.get("unit") else ""
        name = r["name"] + (f" ({r['note']})" if r.get("note") else "")
        cells = [name, _fmt(r["ours"]) + unit, _fmt(r["baseline"]) + unit, _fmt(r["ratio"]),
                 str(r["target"]), _status(r), r.get("reason", "")]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _status(row: dict) -> str:
    if row.get("error"):
        return "ERROR"
    return {True: "pass", False: "MISSED", None: "info"}[row["pass"]]


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if value == 0 or 0.01 <= abs(value) < 1e6:
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:.3g}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    only = [a.split("=", 1)[1] for a in argv if a.startswith("--only=")]
    report = run_suite(quick="--quick" in argv, only=only or None)
    return 0 if all(r["pass"] is not False for r in report["results"]) else 1


if __name__ == "__main__":
    sys.exit(main())
