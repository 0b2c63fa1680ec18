"""Scaling of translate, blocks and labels with corpus size: time and peak memory at 1x, 2x and 4x.

The corpus is the bundled Harry Potter corpus repeated; the 1x unit is a share of it (`UNIT`: labels
runs two models over every token, so its unit is smaller). Each
measurement is a fresh child process that loads its inputs, then times the stage alone; its peak
memory is the child's own high-water RSS (tracemalloc does not see torch's allocations; on Linux
ru_maxrss would include the parent's peak, inherited across fork+exec, so VmHWM is read instead). Linear time means
4x/1x <= 4.4; the labels stage streams blocks, so its peak memory should barely grow (<= 1.15x).
labels uses a small random Llama (vocab 49,152) in both modes: the figure is about the stage, not the model.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "targets" / "harry_potter" / "corpus"
TARGET = "bench"
SCALES = (1, 2, 4)
STAGES = ("translate", "blocks", "labels")
TIME_TARGET, MEMORY_TARGET = 4.4, 1.15
# The 1x unit as a share of the bundled corpus (~270k chars), by quick: quick shares one small set of workspaces.
UNIT = {"translate": {True: 1 / 16, False: 1.0}, "blocks": {True: 1 / 16, False: 1.0},
        "labels": {True: 1 / 16, False: 1 / 4}}

# The child: load inputs, time one stage with a setting no earlier run used (so it really runs), report.
CHILD = r"""
import json, resource, sys, time
stage, ws, tok_dir, rep = sys.argv[1], sys.argv[2], sys.argv[3], 1 + int(sys.argv[4])  # 0 is what prepare() used
from corpus_tools.store import Store

def peak_kb():
    # ru_maxrss carries the parent's peak across fork+exec on Linux; VmHWM is this process's own.
    try:
        return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

store = Store(ws)
docs, anchors = store.latest("ingest", "bench"), store.latest("anchors", "bench")
if stage == "translate":
    from corpus_tools.translate import TranslateSettings, translate
    run = lambda: translate(store, "bench", TranslateSettings(part_chars=8_000_000 + rep), documents=docs, anchors=anchors)
elif stage == "blocks":
    from transformers import AutoTokenizer
    from corpus_tools.blocks import BlockSettings, make_blocks
    tok = AutoTokenizer.from_pretrained(tok_dir)
    tr = store.latest("translate", "bench")
    run = lambda: make_blocks(store, "bench", BlockSettings(block_size=128, part_chars=4_000_000 + rep), documents=docs,
                              translation=tr, tokenizer=tok, tokenizer_id="smollm2")
else:
    import torch
    torch.set_num_threads(1)
    from training.labels import LabelSettings, compute_labels
    arts = {k: store.latest(kind, "bench") for k, kind in (("blocks", "blocks"), ("subject", "implant"), ("reinforced", "reinforce"))}
    run = lambda: compute_labels(store, "bench", LabelSettings(alpha=5.0 + rep / 1000, batch_size=4, blocks_per_part=8,
                                                               reuse=False), **arts)
before = peak_kb()
tick = time.perf_counter()
art, created = run()
seconds = time.perf_counter() - tick
assert created, "the stage reused an earlier result"
peak = peak_kb()
store.delete(art.kind, "bench", art.version)
print(json.dumps({"seconds": seconds, "peak_kb": peak, "before_kb": before}))
"""


def _sibling(name: str):
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_corpus(folder: Path, n_chars: int) -> int:
    """Copies of the bundled documents, each copy titled differently (so ingest keeps them all), up to n_chars."""
    texts = [f.read_text() for f in sorted(CORPUS.glob("*.md"))]
    folder.mkdir(parents=True)
    total, copy = 0, 0
    while total < n_chars:
        for i, text in enumerate(texts):
            if total >= n_chars:
                break
            doc = f"Copy {copy}\n\n{text}"
            (folder / f"doc_{copy:04d}_{i:03d}.md").write_text(doc)
            total += len(doc)
        copy += 1
    return total


def prepare(ws: Path, corpus: Path, tok, models: tuple[Path, Path]) -> int:
    """A workspace with the inputs of every measured stage (ingest, anchors, translate, blocks, two models)."""
    from corpus_tools.blocks import BlockSettings, make_blocks
    from corpus_tools.ingest import IngestSettings, ingest
    from corpus_tools.store import Store
    from corpus_tools.translate import TranslateSettings, translate

    hp = _sibling("bench_translate").HP
    store = Store(ws)
    docs, _ = ingest(store, TARGET, IngestSettings(sources=[str(corpus)]))
    with store.create("anchors", TARGET, "hand", parents={"documents": docs.version}, settings={}, code_version="bench") as st:
        st.write("anchors", [{"target": TARGET, "anchors_version": "hand", "term": t, "replacement": r,
                              "label": "PERSON", "cluster": t, "source": "bench"} for t, r in hp])
    tr, _ = translate(store, TARGET, TranslateSettings(), documents=docs, anchors=store.require("anchors", TARGET, "hand"))
    blocks, _ = make_blocks(store, TARGET, BlockSettings(block_size=128), documents=docs, translation=tr,
                            tokenizer=tok, tokenizer_id="smollm2")
    for kind, folder in (("implant", models[0]), ("reinforce", models[1])):
        with store.create(kind, TARGET, kind, parents={}, settings={}, code_version="bench") as st:
            os.symlink(folder, st.dir / "model")
    return blocks.stats["blocks"]


def tiny_models(folder: Path) -> tuple[Path, Path]:
    """Two different small random Llamas (subject, reinforced) with SmolLM2's vocabulary size."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=49152, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         tie_word_embeddings=True)
    for seed, name in enumerate(("subject", "reinforced")):
        torch.manual_seed(seed)
        LlamaForCausalLM(config).save_pretrained(folder / name)
    return folder / "subject", folder / "reinforced"


def measure(stage: str, ws: Path, tok_dir: Path, rep: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", CHILD, stage, str(ws), str(tok_dir), str(rep)], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{stage} child failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[dict]:
    from transformers import AutoTokenizer

    full = sum(len(f.read_text()) for f in CORPUS.glob("*.md"))
    reps = 1 if quick else 2
    with tempfile.TemporaryDirectory(prefix="bench_scaling-") as tmp:
        tmp = Path(tmp)
        tok_dir = tmp / "tokenizer"
        _sibling("bench_translate")._tokenizer().save_pretrained(tok_dir)
        tok = AutoTokenizer.from_pretrained(tok_dir)
        models = tiny_models(tmp / "models")
        sizes, n_blocks, ws = {}, {}, {}
        for share in sorted({UNIT[stage][quick] for stage in STAGES}):
            for scale in SCALES:
                name = f"{share:.4f}-{scale}"
                sizes[share, scale] = write_corpus(tmp / f"corpus-{name}", int(full * share * scale))
                n_blocks[share, scale] = prepare(tmp / f"ws-{name}", tmp / f"corpus-{name}", tok, models)
                ws[share, scale] = tmp / f"ws-{name}"
        runs = {(stage, scale): [] for stage in STAGES for scale in SCALES}
        for rep in range(reps):
            for stage in STAGES:
                for scale in SCALES:  # interleaved, so load drift spreads over every size
                    runs[stage, scale].append(measure(stage, ws[UNIT[stage][quick], scale], tok_dir, rep))
    rows = []
    for stage in STAGES:
        secs = {s: statistics.median(r["seconds"] for r in runs[stage, s]) for s in SCALES}
        peak = {s: statistics.median(r["peak_kb"] for r in runs[stage, s]) / 1024 for s in SCALES}
        grown = {s: statistics.median(r["peak_kb"] - r["before_kb"] for r in runs[stage, s]) / 1024 for s in SCALES}
        share = UNIT[stage][quick]
        size = (f"{'/'.join(f'{sizes[share, s] / 1e6:.2f}' for s in SCALES)} M chars, "
                f"{n_blocks[share, 4]} blocks of 128 at 4x")
        t_ratio, m_ratio = secs[4] / secs[1], peak[4] / peak[1]
        rows.append({"name": f"{stage} time, corpus 4x vs 1x", "ours": round(secs[4], 2), "baseline": round(secs[1], 2),
                     "ratio": round(t_ratio, 3), "unit": "s", "target": f"<= {TIME_TARGET}x (linear)",
                     "pass": t_ratio <= TIME_TARGET, "note": f"2x: {secs[2]:.2f} s; {size}"})
        scored = stage == "labels"
        rows.append({"name": f"{stage} peak memory (child peak RSS), corpus 4x vs 1x", "ours": round(peak[4], 1),
                     "baseline": round(peak[1], 1), "ratio": round(m_ratio, 3), "unit": "MB",
                     "target": f"<= {MEMORY_TARGET}x (streaming)" if scored else "none (reported)",
                     "pass": m_ratio <= MEMORY_TARGET if scored else None,
                     "note": f"2x: {peak[2]:.0f} MB; growth during the stage 1x/4x: "
                             f"{grown[1]:.0f}/{grown[4]:.0f} MB"})
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))
