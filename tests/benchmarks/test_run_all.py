"""The suite runner: aggregation, failure reporting and output files, with fake benchmark modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks import run_all  # noqa: E402


def fake(rows=None, error=None) -> types.ModuleType:
    module = types.ModuleType("fake")
    calls = []

    def run(quick: bool = False):
        calls.append(quick)
        if error:
            raise error
        return rows

    module.run, module.calls = run, calls
    return module


GOOD = {"name": "speed", "ours": 200.0, "baseline": 50.0, "ratio": 4.0, "target": ">= 3x", "pass": True,
        "unit": "MB/s", "note": "median of 3", "runs_ours": [1, 2]}
SLOW = {"name": "memory", "ours": 130.0, "baseline": 100.0, "ratio": 1.3, "target": "<= 1.15x", "pass": False}


def test_rows_errors_and_files(tmp_path):
    good, broken, missed = fake([GOOD]), fake(error=RuntimeError("model exploded")), fake([SLOW])
    logged = []
    report = run_all.run_suite(quick=True, modules={"good": good, "broken": broken, "missed": missed},
                               out_dir=tmp_path, log=logged.append)
    assert good.calls == [True] and missed.calls == [True]  # the failure did not stop the later module
    rows = report["results"]
    assert [r["module"] for r in rows] == ["good", "broken", "missed"]
    assert rows[0] == {"module": "good", "name": "speed", "ours": 200.0, "baseline": 50.0, "ratio": 4.0,
                       "target": ">= 3x", "pass": True, "unit": "MB/s", "note": "median of 3"}
    assert rows[1]["pass"] is False and "RuntimeError: model exploded" in rows[1]["error"]
    assert rows[2]["pass"] is False and "1.3" in rows[2]["reason"] and "<= 1.15x" in rows[2]["reason"]

    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["quick"] is True and saved["results"] == rows
    assert saved["machine"]["cpu_count"] == os.cpu_count() and "torch" in saved["machine"]
    md = (tmp_path / "results.md").read_text().splitlines()
    table = [line for line in md if line.startswith("| ")]
    assert table[0] == "| figure | ours | baseline | ratio | target | pass | reason |"
    assert table[1].startswith("| speed (median of 3) | 200 MB/s | 50 MB/s | 4 | >= 3x | pass |")
    assert "| ERROR |" in table[2] and "model exploded" in table[2]
    assert "| MISSED |" in table[3]
    assert any("1 of 3 targets met" in line for line in md)


def test_only_and_unknown_names(tmp_path):
    a, b = fake([GOOD]), fake([SLOW])
    report = run_all.run_suite(only=["b"], modules={"a": a, "b": b}, out_dir=None, log=lambda m: None)
    assert a.calls == [] and b.calls == [False] and [r["name"] for r in report["results"]] == ["memory"]
    with pytest.raises(ValueError, match="unknown benchmark nope"):
        run_all.run_suite(only=["nope"], modules={"a": a}, out_dir=None, log=lambda m: None)


def test_numbers_made_json_safe_and_no_target_rows():
    import numpy as np

    row = run_all.normalise("m", {"name": "x", "ours": np.float64(2.5), "baseline": float("nan"), "ratio": None,
                                  "target": "none (reported)", "pass": None})
    assert row["ours"] == 2.5 and type(row["ours"]) is float and row["baseline"] is None
    assert row["pass"] is None and "reason" not in row and run_all._status(row) == "info"
    assert run_all.normalise("m", {**SLOW, "pass": np.bool_(True)})["pass"] is True


def test_empty_rows_are_an_error():
    report = run_all.run_suite(modules={"empty": fake([])}, out_dir=None, log=lambda m: None)
    assert report["results"][0]["pass"] is False and "no rows" in report["results"][0]["error"]


def test_every_listed_benchmark_exists():
    for name in run_all.BENCHMARKS:
        assert (ROOT / "benchmarks" / f"bench_{name}.py").exists(), name


def test_cli_bench_writes_results(tmp_path, monkeypatch):
    from pipelines import cli_bench
    from pipelines.cli import main

    suite = cli_bench.suite_module()
    real = suite.run_suite
    monkeypatch.setattr(cli_bench, "suite_module", lambda: suite)
    monkeypatch.setattr(suite, "run_suite", lambda **kw: real(**kw, modules={"a": fake([GOOD]), "b": fake([SLOW])}))
    assert main(["bench", "--quick", "--out", str(tmp_path)]) == 1  # a missed target fails the command
    assert [r["name"] for r in json.loads((tmp_path / "results.json").read_text())["results"]] == ["speed", "memory"]
    assert main(["bench", "--only", "a", "--out", str(tmp_path)]) == 0
    assert main(["bench", "--only", "zzz", "--out", str(tmp_path)]) == 2


@pytest.mark.slow
def test_quick_suite_end_to_end(tmp_path):
    """`obliviate bench --quick` runs every real benchmark within the 3-minute budget and writes both files."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "bench", "--quick", "--out", str(tmp_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    report = json.loads((tmp_path / "results.json").read_text())
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert {r["module"] for r in report["results"]} == set(run_all.BENCHMARKS)
    assert not [r for r in report["results"] if r.get("error")], done.stderr[-2000:]
    assert report["seconds"] < 180
