"""base: register the baseline model of a target, the model every other model starts from.

A GGUF file (the `smollm2-135m` alias is one) is converted once into a model folder under the
workspace cache (training/models.py); the artifact's `model/` folder links that folder's files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from corpus_tools.stage import Stage, produce
from corpus_tools.store import Artifact, Store
from training.models import models_row, resolve_model


class ModelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base: str = Field("smollm2-135m", description="Baseline model: alias, Hugging Face id, local folder or .gguf file.")


STAGE = Stage("base", inputs={}, outputs=("models",), settings=ModelSettings, code_version="base_v2", model_role="base",
              summary="Register the baseline model (a GGUF file is converted once into a model folder).")


def base_model(store: Store, target: str, spec: str) -> tuple[Artifact, bool]:
    """Register the base model of a target: a `base` artifact whose `model/` links the resolved folder's files."""
    folder = resolve_model(spec, store)
    key = {"spec": spec, "fingerprint": _folder_key(folder)}

    def build(st, version: str) -> None:
        _link_tree(folder, st.dir / "model")
        row = models_row(store, STAGE, target, version, parent=None, method="base", base_model=spec, settings=key)
        st.write("models", [row])
        st.stats = {"path": row["path"], "source": str(folder), "base_model": spec}

    return produce(store, STAGE, target, key=key, inputs={}, build=build)


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
