"""Unlearn training throughput (tokens/s) against a bare PyTorch loop over in-memory tensors.

Ours: the `unlearn` stage end to end on a stored blocks + generic_labels artifact; its training
loop's tokens/s (Accelerate, datasets-loaded tensors; optimizer steps timed, model loading, checkpoints
and saving not, as in the baseline). Baseline:
the same model, optimizer, batches and loss in a plain loop. Runs alternate; medians are compared.
Quick mode: the tiny random model; otherwise SmolLM2-135M (batch 4 x 256 tokens), and a second row:
the same stage at `precision = "bf16"` against fp32 (alternated in the same run; two threads, as the
demo trains), whose target needs a processor with native bf16 (a pass is None elsewhere).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

TARGET = "bench"


def _tiny_model(folder: Path) -> Path:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=49152, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         tie_word_embeddings=True)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def _workspace(store, n_blocks: int, length: int, vocab: int):
    """Random blocks and generic labels at ~70% of positions (the share the prototype measured)."""
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(300, vocab, (n_blocks, length), generator=g)
    blocks, labels = [], []
    for b in range(n_blocks):
        row = ids[b].tolist()
        blocks.append(dict(target=TARGET, blocks_version="b", block_id=b, doc_id="d", input_ids=row,
                           translated_ids=row, position_map=list(range(length)), forbidden_tokens=[],
                           forbidden_from=[], n_trained=length - 1))
        keep = torch.rand(length - 1, generator=g) < 0.7
        for p in keep.nonzero().flatten().tolist():
            labels.append(dict(target=TARGET, labels_version="l", block_id=b, position=p, original_token=row[p + 1],
                               label_token=int(torch.randint(300, vocab, (1,), generator=g)), alpha=5.0))
    with store.create("blocks", TARGET, "b", parents={}, settings={}, code_version="bench") as st:
        st.write("blocks", blocks)
    with store.create("labels", TARGET, "l", parents={"blocks": "b"}, settings={"source": {"blocks": "b"}},
                      code_version="bench") as st:
        st.write("generic_labels", labels)
    return store.require("blocks", TARGET, "b"), store.require("labels", TARGET, "l")


def _ours(store, settings, blocks, labels, subject) -> float:
    from training.unlearn import unlearn

    art, created = unlearn(store, TARGET, settings, blocks=blocks, labels=labels, subject=subject)
    assert created
    return art.stats["tokens_per_s"]


def _bare(folder: Path, data, settings) -> float:
    """Model, AdamW and cross-entropy over pre-built tensors: what any training script pays at least."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr)
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(settings.seed))
    tokens, seconds = 0, 0.0
    for start in range(0, len(order), settings.batch_size):
        rows = order[start:start + settings.batch_size]
        ids, labels = data.input_ids[rows], data.labels[rows]
        tick = time.perf_counter()
        logits = model(input_ids=ids, use_cache=False).logits
        loss = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        seconds += time.perf_counter() - tick
        tokens += ids.numel()
    return tokens / seconds


def run(quick: bool = False) -> list[dict]:
    from corpus_tools.store import Store, default_workspace
    from training.data import unlearn_data
    from training.base import base_model
    from training.models import resolve_model
    from training.unlearn import UnlearnSettings

    torch.set_num_threads(1)
    repeats, n_blocks, length = (5, 32, 128) if quick else (3, 8, 256)  # full: 6 SmolLM2 runs, ~2 min
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "ws")
        # SmolLM2's converted folder is cached in the default workspace, so a rerun skips the 20 s conversion
        folder = _tiny_model(Path(tmp) / "tiny") if quick else resolve_model("smollm2-135m", Store(default_workspace()))
        subject, _ = base_model(store, TARGET, str(folder))
        blocks, labels = _workspace(store, n_blocks, length, vocab=49152)
        data = unlearn_data(store, blocks, labels, pad_id=0)
        ours, bare = [], []
        for r in range(repeats):  # alternate, so load drift on a shared machine hits both alike
            settings = UnlearnSettings(epochs=1, batch_size=4, seed=r, warmup_ratio=0.0)
            ours.append(_ours(store, settings, blocks, labels, subject))
            bare.append(_bare(folder, data, settings))
        rows = [_row(f"unlearn training tokens/s ({'tiny model' if quick else 'SmolLM2-135M'}, batch 4 x {length})",
                     ours, bare, 0.9)]
        if not quick:  # a tiny model is all overhead: bf16 shows nothing there
            rows.append(_precision_row(store, blocks, labels, subject, repeats, length))
    return rows


def _row(name: str, ours: list[float], baseline: list[float], target: float, applies: bool = True) -> dict:
    ours_m, base_m = statistics.median(ours), statistics.median(baseline)
    ratio = ours_m / base_m
    return {"name": name, "ours": round(ours_m, 1), "baseline": round(base_m, 1), "ratio": round(ratio, 3),
            "target": target, "pass": ratio >= target if applies else None, "runs_ours": ours,
            "runs_baseline": [round(b, 1) for b in baseline]}


def _precision_row(store, blocks, labels, subject, repeats: int, length: int) -> dict:
    """The unlearn stage at precision bf16 against fp32, alternated (docs/method.md, Precision)."""
    from training.loop import native_bf16
    from training.unlearn import UnlearnSettings

    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        runs: dict[str, list[float]] = {"fp32": [], "bf16": []}
        for r in range(repeats):
            for precision in runs:  # new seeds: a stored version would be reused, not trained
                settings = UnlearnSettings(epochs=1, batch_size=4, seed=100 + r, warmup_ratio=0.0, precision=precision)
                runs[precision].append(_ours(store, settings, blocks, labels, subject))
    finally:
        torch.set_num_threads(threads)
    native = native_bf16()
    row = _row(f"unlearn tokens/s, precision bf16 vs fp32 (SmolLM2-135M, batch 4 x {length}, 2 threads)",
               runs["bf16"], runs["fp32"], 1.5, applies=native)
    if not native:
        row["note"] = "no native bf16 on this processor: the target does not apply"
    return row


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=1))
