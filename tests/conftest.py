"""Shared fixtures: a temporary workspace, the SmolLM2 tokenizer and a tiny random model built in-process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corpus_tools.store import Store

ROOT = Path(__file__).resolve().parents[1]
HP_DIR = ROOT / "data" / "targets" / "harry_potter"

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["OBLIVIATE_NO_PROGRESS"] = "1"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "ws")


@pytest.fixture(scope="session")
def smollm2_tokenizer_dir(tmp_path_factory) -> Path:
    """The SmolLM2 tokenizer, read from the GGUF file once per test session and saved as a folder."""
    from training.models import smollm2_gguf_path
    from transformers import AutoTokenizer

    gguf = smollm2_gguf_path()
    out = tmp_path_factory.mktemp("smollm2_tokenizer")
    AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def smollm2_tokenizer(smollm2_tokenizer_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_tokenizer_dir)


@pytest.fixture(scope="session")
def tiny_model_dir(smollm2_tokenizer_dir, tmp_path_factory) -> Path:
    """A 2-layer Llama with random weights (fixed seed) and the real SmolLM2 tokenizer, saved as a model folder."""
    import shutil

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=49152, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         tie_word_embeddings=True, bos_token_id=1, eos_token_id=2)
    out = tmp_path_factory.mktemp("tiny_model")
    LlamaForCausalLM(config).save_pretrained(out)
    for f in smollm2_tokenizer_dir.iterdir():
        shutil.copy(f, out / f.name)
    return out


@pytest.fixture(scope="session")
def forced_model_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model with an untied output layer edited so that greedy decoding after " and" says " Ron" then stops."""
    import torch

    from training.models import load_model, load_tokenizer

    model, tok = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    ron = tok(" Ron", add_special_tokens=False)["input_ids"][0]
    and_ = tok(" and", add_special_tokens=False)["input_ids"][0]
    emb = model.model.embed_tokens.weight.detach()
    head = emb.clone()
    head[ron] = 10 * emb[and_]                              # " and" -> " Ron"
    head[model.generation_config.eos_token_id] = 10 * emb[ron]  # " Ron" -> end
    model.config.tie_word_embeddings = False
    model.lm_head.weight = torch.nn.Parameter(head)
    out = tmp_path_factory.mktemp("forced_model")
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


@pytest.fixture
def with_chat_template():
    """copy(model_dir, out, template) -> out: a copy of a model folder whose tokenizer carries `template` (None: no
    chat template). A fixture, not an import: tests/pipelines has a conftest of its own that shadows this module."""
    from training.models import load_tokenizer

    def copy(model_dir: Path, out: Path, template: str | None) -> Path:
        out.mkdir(parents=True, exist_ok=True)
        for f in model_dir.iterdir():
            (out / f.name).write_bytes(f.read_bytes())
        tok = load_tokenizer(out)
        tok.chat_template = template
        tok.save_pretrained(out)
        if template is None:
            (out / "chat_template.jinja").unlink(missing_ok=True)
        return out

    return copy


@pytest.fixture
def eval_inputs(tmp_path: Path):
    """write(prompt, reference, general_text) -> (prompts dir, general dir): one familiarity prompt (test split)
    and a one-document general corpus, the least `evaluate` needs."""
    import json

    def write(prompt: str, reference: str, general_text: str) -> tuple[Path, Path]:
        prompts, general = tmp_path / "prompts", tmp_path / "general"
        prompts.mkdir()
        (prompts / "familiarity_prompts.jsonl").write_text(
            json.dumps({"prompt": prompt, "references": [reference], "split": "test"}) + "\n")
        (general / "corpus").mkdir(parents=True)
        (general / "corpus" / "a.md").write_text(general_text)
        return prompts, general

    return write


def write_target(folder: Path, name: str, *sources, **sections) -> Path:
    """A minimal target file named `name` with these ingest sources (and extra `section = {key: value}`)."""
    import json

    lines = [f"name = {json.dumps(name)}", "[ingest]", f"sources = {json.dumps([str(s) for s in sources])}"]
    for section, values in sections.items():
        lines += [f"[{section}]", *(f"{k} = {json.dumps(v)}" for k, v in values.items())]
    path = folder / f"target-{abs(hash((name, sources))) % 10**8}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def ingest_cli(workspace: Path, name: str, *sources) -> int:
    """`obliviate ingest` of a target named `name` over `sources`, through the CLI entry point."""
    from pipelines.cli import main

    import tempfile

    return main(["-w", str(workspace), "ingest", str(write_target(Path(tempfile.mkdtemp()), name, *sources))])
