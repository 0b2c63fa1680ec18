"""Model resolution: folders, errors, the base stage, and (slow) the GGUF alias conversion."""

from __future__ import annotations


import pytest
import torch

from corpus_tools.errors import ObliviateError
from training.base import base_model
from training.models import load_model, load_tokenizer, model_folder, resolve_model

TARGET = "hp"


def test_local_folder_resolves_to_itself(store, tiny_model_dir):
    assert resolve_model(str(tiny_model_dir), store) == tiny_model_dir
    tok = load_tokenizer(str(tiny_model_dir), store)
    assert tok.is_fast and tok("Harry Potter", return_offsets_mapping=True)["offset_mapping"][-1][1] == 12


def test_unknown_model_names_itself_and_says_no_download(store):
    with pytest.raises(ObliviateError, match=r"'nobody/no-such-model-xyz'.*cannot be downloaded"):
        resolve_model("nobody/no-such-model-xyz", store)
    with pytest.raises(ObliviateError, match="GGUF file not found"):
        resolve_model(str(store.root / "missing.gguf"), store)


def test_folder_without_config_is_refused(store, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ObliviateError, match="no config.json"):
        resolve_model(str(tmp_path / "empty"), store)


class SlowTokenizer:
    """Stands for a Python-only tokenizer (transformers 5 makes even GPT2Tokenizer fast)."""

    is_fast = False


def test_slow_tokenizer_is_refused(store, tiny_model_dir, monkeypatch):
    import transformers

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", lambda *a, **k: SlowTokenizer())
    with pytest.raises(ObliviateError, match="SlowTokenizer is not a fast tokenizer"):
        load_tokenizer(str(tiny_model_dir), store)


def test_base_model_registers_a_linked_folder(store, tiny_model_dir):
    art, created = base_model(store, TARGET, str(tiny_model_dir))
    assert created and art.kind == "base"
    folder = model_folder(art)
    assert (folder / "model.safetensors").stat().st_ino == (tiny_model_dir / "model.safetensors").stat().st_ino
    assert store.query("select role, path, base_model from models") == \
        [("base", f"artifacts/base/{TARGET}/{art.version}/model", str(tiny_model_dir))]
    assert art.stats["path"] == f"artifacts/base/{TARGET}/{art.version}/model"
    assert load_model(folder).dtype == torch.float32


@pytest.mark.slow
def test_smollm2_alias_converts_once_with_identical_logits(store):
    import time

    from transformers import AutoModelForCausalLM

    from training.models import smollm2_gguf_path

    folder = resolve_model("smollm2-135m", store)
    assert folder == store.root / "cache" / "models" / "smollm2-135m" and (folder / "model.safetensors").exists()
    started = time.perf_counter()
    assert resolve_model("smollm2-135m", store) == folder and time.perf_counter() - started < 0.5  # cached
    gguf = smollm2_gguf_path()
    ref = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32).eval()
    tok = load_tokenizer("smollm2-135m", store)
    ids = torch.tensor([tok("Harry went up the stairs to the Gryffindor common room")["input_ids"]])
    with torch.no_grad():
        assert torch.equal(ref(ids).logits, load_model(folder)(ids).logits)
