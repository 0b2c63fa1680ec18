"""On a CUDA machine the evaluate stage runs its models (and the relearning attack) on the GPU and measures
what the CPU measures. Skipped where there is no GPU, as in CI; on one: `pytest tests/training/test_gpu.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from corpus_tools.store import Store
from training import evaluate as E
from training import generation as G
from training.models import load_model, load_tokenizer
from training.scoring import device_of

sys.path.insert(0, str(Path(__file__).parent))
from test_evaluate_forgetting import _control, write_facts  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

PROMPTS = ["The castle stood on a hill and", "Once", "She opened the old wooden door of the library to find"]


def test_batched_calls_on_the_gpu_equal_the_cpu(tiny_model_dir):
    tok = load_tokenizer(tiny_model_dir)
    cpu, gpu = load_model(tiny_model_dir), load_model(tiny_model_dir, "cuda")
    assert device_of(gpu).type == "cuda"
    assert G.greedy_complete(gpu, tok, PROMPTS, 6, 3) == G.greedy_complete(cpu, tok, PROMPTS, 6, 3)
    on_gpu = G.next_token_logits(gpu, tok, PROMPTS, 3)
    assert on_gpu.device.type == "cpu"  # results come back to the CPU, as the callers expect
    assert torch.allclose(on_gpu, G.next_token_logits(cpu, tok, PROMPTS, 3), atol=1e-3)
    pieces = G.windows([tok("A river runs to the sea. " * 6)["input_ids"]], size=16)
    g_nll, g_n = G.window_nll(gpu, pieces, tok.pad_token_id, 4)
    c_nll, c_n = G.window_nll(cpu, pieces, tok.pad_token_id, 4)
    assert g_n == c_n and g_nll == pytest.approx(c_nll, rel=1e-4)


def _measured(tmp_path: Path, tiny_model_dir, monkeypatch) -> tuple[dict, set[str]]:
    """{(role, metric): value} of an evaluation with fact files and the base model attacked as a control, and the
    device types its models were measured on."""
    tmp_path.mkdir(parents=True)
    devices: set[str] = set()
    real = E.evaluate_model
    monkeypatch.setattr(E, "evaluate_model",
                        lambda model, *a, **k: devices.add(device_of(model).type) or real(model, *a, **k))
    store = Store(tmp_path / "ws")
    art, base, subject, unlearned = _control(store, tiny_model_dir, tmp_path, fact_files=[write_facts(tmp_path)],
                                             fact_new_tokens=3)
    role = {base.version: "base", subject.version: "subject", unlearned.version: "unlearned"}
    rows = store.read("metrics", art).to_pylist()
    return {(role[r["model_version"]], r["metric"]): r["value"] for r in rows}, devices


def test_the_evaluate_stage_with_the_attack_runs_on_the_gpu_and_agrees_with_the_cpu(tiny_model_dir, tmp_path,
                                                                                   monkeypatch):
    from accelerate.state import AcceleratorState

    on_gpu, devices = _measured(tmp_path / "gpu", tiny_model_dir, monkeypatch)
    assert devices == {"cuda"}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the evaluation and the attack on the CPU
    AcceleratorState._reset_state(True)  # accelerate keeps the device it first found for the process
    on_cpu, devices = _measured(tmp_path / "cpu", tiny_model_dir, monkeypatch)
    assert devices == {"cpu"}
    assert on_gpu.keys() == on_cpu.keys()
    assert [k for k in on_gpu if k[1].startswith("relearn_recovery_facts")]  # the attack followed the fact items
    AcceleratorState._reset_state(True)
    for key, value in on_cpu.items():
        assert on_gpu[key] == pytest.approx(value, rel=2e-2, abs=2e-2, nan_ok=True), key
