"""Two processes under `accelerate launch` (CPU, gloo) give the labels of one process (the CLI path end to end)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_tools.store import Store
from test_labels import TARGET, make_workspace, reinforced_dir, synth_blocks  # noqa: F401  (fixture)
from training.labels import LabelSettings, compute_labels

ROOT = Path(__file__).resolve().parents[2]


def _cli(workspace: Path, *args: str, launcher: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", OBLIVIATE_NO_PROGRESS="1", HF_HUB_OFFLINE="1")
    cmd = [*launcher, "-m", "pipelines.cli", "--workspace", str(workspace), "labels", "--target", TARGET, *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.e2e
def test_two_processes_equal_one(tmp_path, tiny_model_dir, reinforced_dir):
    blocks = synth_blocks(9, seed=5)
    one, two = Store(tmp_path / "one"), Store(tmp_path / "two")
    arts = dict(zip(("blocks", "subject", "reinforced"), make_workspace(one, blocks, tiny_model_dir, reinforced_dir)))
    make_workspace(two, blocks, tiny_model_dir, reinforced_dir)
    ref, _ = compute_labels(one, TARGET, LabelSettings(top_k=8, batch_size=2, blocks_per_part=2), **arts)

    # `accelerate launch --cpu --num_processes 2` starts ONE process unless mpirun is set up (accelerate 1.15:
    # simple_launcher); --multi_gpu goes through torchrun and, with no GPU, Accelerator picks MULTI_CPU (gloo).
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
              "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
    done = _cli(tmp_path / "two", "--top-k", "8", "--batch-size", "2", "--blocks-per-part", "2", launcher=launch)
    assert done.returncode == 0, done.stderr[-3000:]
    art = two.require("labels", TARGET)
    assert art.version == ref.version and art.stats["processes"] == 2
    assert two.read("generic_labels", art).to_pylist() == one.read("generic_labels", ref).to_pylist()

    # a new alpha on the same blocks and models is a relabel: no model runs, one line says so
    again = _cli(tmp_path / "two", "--top-k", "8", "--alpha", "2.5", launcher=[sys.executable])
    assert again.returncode == 0, again.stderr[-3000:]
    assert "without running a model" in again.stderr
    relabelled = two.require("labels", TARGET)
    assert relabelled.settings["alpha"] == 2.5 and relabelled.parents == [ref.version]
