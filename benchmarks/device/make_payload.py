"""Pack a workspace's stored stages for recipe trials on the `device` GPU machine (benchmarks/device/README.md).

That machine has PyTorch, transformers and Accelerate but no spaCy, DuckDB or wordfreq, reaches no network, and
takes at most 64 MiB per call: the GGUF model (98 MB) travels in two halves, and the rest in a third call.

    python -m benchmarks.device.make_payload WORKSPACE TARGET_FILE [--out .dev]

writes OUT/p1 (first half of the GGUF file), OUT/p2 (second half, small wheels, stubs, other-register texts) and
OUT/p3 (DuckDB's wheel, the workspace without model weights, manifest.json, the scripts). Add OUT to
.git/info/exclude. The stubs stand in for what the looked-up stages read at import or to compute a key: spaCy's
stop words and pipeline name, and the wordfreq values of every token of the model's vocabulary and every word of
the target folder's jsonl files (a word outside them is an error there, never a silent 0).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WHEELS = ["pydantic", "pydantic_core", "annotated-types", "typing-inspection", "datasets", "dill", "multiprocess",
          "gguf", "pyahocorasick"]
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_24_x86_64", "manylinux_2_17_x86_64",
             "manylinux2014_x86_64", "manylinux1_x86_64"]


def download(names: list[str], out: Path) -> None:
    """Wheels of this environment's versions of `names`, for the device's Python 3.12."""
    from importlib.metadata import version

    pins = [f"{n}=={version(n)}" for n in names]
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--python-version",
           "3.12", "--implementation", "cp", "-d", str(out)] + [a for p in PLATFORMS for a in ("--platform", p)] + pins
    subprocess.run(cmd, check=True)


def stubs(out: Path, tokenizer_dir: Path, words_from: Path) -> dict:
    """spacy/ (stop words, and the Language class datasets looks for) and wordfreq/ (a table); the pipeline meta."""
    import re

    from spacy.lang.en.stop_words import STOP_WORDS
    from transformers import AutoTokenizer
    from wordfreq import zipf_frequency

    from anchors.nlp import load_pipeline

    en = out / "spacy" / "lang" / "en"
    en.mkdir(parents=True)
    # datasets checks for subclasses of spacy.Language when it pickles
    (out / "spacy" / "__init__.py").write_text("class Language:\n    pass\n")
    (out / "spacy" / "lang" / "__init__.py").write_text("")
    (en / "__init__.py").write_text("")
    (en / "stop_words.py").write_text(f"STOP_WORDS = set({sorted(STOP_WORDS)!r})\n")
    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    keys = {v.lower() for i in range(len(tok)) for v in (tok.decode([i]), tok.decode([i]).strip())}
    for f in words_from.rglob("*.jsonl"):
        text = f.read_text(encoding="utf-8")
        for pattern in (r"[^\W\d_]+(?:['’-][^\W\d_]+)*", r"[^\W\d_]+"):
            keys |= {w.lower() for w in re.findall(pattern, text)}
    (out / "wordfreq").mkdir()
    (out / "wordfreq" / "table.json").write_text(json.dumps({k: zipf_frequency(k, "en") for k in sorted(keys)}))
    (out / "wordfreq" / "__init__.py").write_text(
        "import json, os\n_T = json.load(open(os.path.join(os.path.dirname(__file__), 'table.json')))\n\n\n"
        "def zipf_frequency(word, lang, *a, **k):\n    assert lang == 'en', lang\n    if word not in _T:\n"
        "        raise KeyError(f'wordfreq stub: no value for {word!r}')\n    return _T[word]\n")
    meta = load_pipeline(None).meta
    return {k: meta.get(k) for k in ("lang", "name", "version")}


def tensor_hashes(weights: Path) -> dict[str, str]:
    from safetensors.torch import load_file

    return {k: hashlib.sha256(v.contiguous().numpy().tobytes()).hexdigest() for k, v in load_file(weights).items()}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace", type=Path)
    ap.add_argument("target_file", type=Path)
    ap.add_argument("--out", type=Path, default=Path(".dev"))
    args = ap.parse_args(argv)
    from corpus_tools.integrity import sha256_file
    from pipelines.target import load_target
    from training.models import SMOLLM2_FILE, smollm2_gguf_path

    ws, out = args.workspace.resolve(), args.out
    config = load_target(args.target_file)
    if config.model.base != "smollm2-135m":
        sys.exit("make_payload: only the smollm2-135m alias travels (its GGUF file); this target's model is "
                 f"{config.model.base!r}")
    converted = ws / "cache" / "models" / "smollm2-135m" / "model.safetensors"
    if not converted.is_file():
        sys.exit(f"make_payload: {converted} is missing; run the target's stages up to the labels first")
    if out.exists():
        shutil.rmtree(out)
    p1, p2, p3 = (out / p for p in ("p1", "p2", "p3"))
    for p in (p1, p2 / "whl", p3):
        p.mkdir(parents=True)
    gguf = smollm2_gguf_path().read_bytes()
    half = len(gguf) // 2
    (p1 / "gguf.aa").write_bytes(gguf[:half])
    (p2 / "gguf.ab").write_bytes(gguf[half:])
    shutil.copy(smollm2_gguf_path().parent / "__init__.py", p2 / "llm_init.py")
    download(WHEELS, p2 / "whl")
    download(["duckdb"], p3)
    meta = stubs(p2 / "stubs", converted.parent, args.target_file.resolve().parent)
    (p2 / "tensors.json").write_text(json.dumps(tensor_hashes(converted)))
    if config.evaluate.other_register_texts:
        with tarfile.open(p2 / "books.tar.xz", "w:xz") as tar:
            for f in sorted(Path(config.evaluate.other_register_texts).glob("*.txt")):
                tar.add(f, arcname=f.name)
    # every weight file of the workspace: the base model's (rebuilt there) or another model's (a sparse stand-in of
    # the same size: evaluate reuses those models' rows, and the stage lookups check sizes only)
    weights, base_sha = {}, sha256_file(converted)
    for f in sorted(ws.rglob("*.safetensors")):
        rel = f.relative_to(ws).as_posix()
        if rel.startswith("artifacts/unlearn/"):
            continue  # unlearned models' folders do not travel: only their rows
        base = f.samefile(converted) or (f.stat().st_size == converted.stat().st_size
                                         and sha256_file(f) == base_sha)
        weights[rel] = {"bytes": f.stat().st_size, "base": base}
    manifest = {"target_file": str(args.target_file), "gguf": SMOLLM2_FILE, "spacy_meta": meta, "weights": weights,
                "gguf_sha256": hashlib.sha256(gguf).hexdigest()}
    (p3 / "manifest.json").write_text(json.dumps(manifest, indent=1))
    with tarfile.open(p3 / "ws.tar.xz", "w:xz", preset=1) as tar:
        def keep(info: tarfile.TarInfo):
            parts = info.name.split("/")
            if info.name.endswith(".safetensors") or info.name.startswith(("cache/datasets", "reports", ".staging")):
                return None
            if len(parts) >= 5 and parts[0] == "artifacts" and parts[1] == "unlearn" and parts[4] == "model":
                return None
            return info
        for name in ("obliviate.duckdb", "artifacts", "cache"):
            tar.add(ws / name, arcname=name, filter=keep)
    shutil.copy(HERE / "setup.sh", p2)
    for script in ("trials.sh", "trials.py", "obl.py", "restore.py", *(f.name for f in HERE.glob("*.json"))):
        shutil.copy(HERE / script, p3)
    for p in (p1, p2, p3):
        size = sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        print(f"{p}: {size / 2**20:.1f} MiB (with the repository's own files each call must stay under 64 MiB)")


if __name__ == "__main__":
    main()
