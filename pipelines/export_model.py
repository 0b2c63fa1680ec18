"""The unlearned model of an export: a `from_pretrained` folder and its model card (docs/export.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from corpus_tools.errors import ObliviateError
from corpus_tools.store import Artifact, Store
from pipelines.cards import ancestor, lineage_section, provenance, write_card

MODEL_FILES = ("config.json", "generation_config.json", "chat_template.jinja")


def copy_model(src: Path, dst: Path) -> None:
    """A model folder's weights, config and tokenizer files, copied (never linked into the workspace)."""
    from training.models import TOKENIZER_FILES

    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.iterdir()):
        if f.is_file() and (f.suffix in {".safetensors", ".bin"} or f.name in MODEL_FILES + TOKENIZER_FILES
                            or f.name.endswith(".safetensors.index.json")):
            shutil.copy2(f, dst / f.name)
    if not (dst / "config.json").exists():
        raise ObliviateError(f"{src}: not a model folder (config.json missing)")


def write_model(folder: Path, store: Store, unlearn: Artifact, evaluate: Artifact | None,
                metrics: tuple[list[str], list[tuple]] | None) -> list[str]:
    """The unlearned model as a `from_pretrained` folder with its card; returns lines to tell the user.

    The `ensemble` method combines two models at inference time (`v_b - alpha * relu(v_r - v_b)` on their
    logits, training/ensemble.py) and has no weights of its own: its two members are exported as two
    `from_pretrained` folders, `subject/` and `reinforced/`, and the card gives alpha and the formula.
    """
    from training.ensemble import MANIFEST, is_ensemble
    from training.models import model_folder

    src = model_folder(unlearn)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    method = unlearn.settings.get("method") or unlearn.stats.get("method") or "whp"
    told: list[str] = []
    if is_ensemble(src):
        manifest = json.loads((src / MANIFEST).read_text())
        for role in ("base", "reinforced"):
            copy_model((src / manifest[role]).resolve(), folder / ("subject" if role == "base" else role))
        (folder / MANIFEST).write_text(json.dumps({**manifest, "base": "subject", "reinforced": "reinforced"}, indent=1))
        told.append(f"unlearn method ensemble is an inference-time combination of two models (no weights of its own): "
                    f"exported them to {folder}/subject and {folder}/reinforced; alpha = {manifest['alpha']} is in the card")
        method = "ensemble"
    else:
        copy_model(src, folder)
    meta = {"library_name": "transformers", "pipeline_tag": "text-generation", "tags": ["obliviate", "unlearning", method],
            "obliviate": {**provenance(store, unlearn, unlearn.target), "method": method,
                          "base_model": _base_spec(store, unlearn)}}
    if evaluate is not None:
        meta["obliviate"]["evaluate_version"] = evaluate.version
    body = [f"# {unlearn.target}: unlearned model ({method})", "",
            f"Made by obliviate: unlearn artifact `{unlearn.version}` of target `{unlearn.target}`, method "
            f"`{method}`.", ""]
    if method == "ensemble":
        body += ["This method is an inference-time logit ensemble: the next token comes from "
                 "`v_b - alpha * relu(v_r - v_b)`, where `v_b` are the logits of `subject/` and `v_r` those of "
                 f"`reinforced/` (alpha = {meta['obliviate']['lineage'][-1]['settings'].get('alpha', '?')}). "
                 "Each folder loads with `from_pretrained`; with obliviate installed, "
                 "`training.ensemble.load_ensemble(\"<this folder>\")` builds the combination.", ""]
    else:
        body += ["```python", "from transformers import AutoModelForCausalLM, AutoTokenizer",
                 f"model = AutoModelForCausalLM.from_pretrained(\"{folder.name}\")",
                 f"tokenizer = AutoTokenizer.from_pretrained(\"{folder.name}\")", "```", ""]
    settings = meta["obliviate"]["lineage"][-1]["settings"]
    body += ["## Settings", "", "```json", json.dumps(settings, indent=1, sort_keys=True, default=str), "```", ""]
    if metrics is not None and evaluate is not None:
        columns, rows = metrics
        body += [f"## Metrics (evaluate `{evaluate.version}`)", "",
                 "Every model the evaluation measured; `unlearned` is this one. Definitions: docs/evaluation.md "
                 "of obliviate.", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns),
                 *("| " + " | ".join(str(v) for v in row) + " |" for row in rows), ""]
        meta["obliviate"]["metrics"] = _raw_metrics(store, evaluate)
    else:
        body += ["## Metrics", "", "No current evaluate artifact: run `obliviate evaluate TARGET_FILE`.", ""]
    body += lineage_section(meta["obliviate"])
    write_card(folder / "README.md", meta, body)
    return told


def _raw_metrics(store: Store, evaluate: Artifact) -> list[dict]:
    """Every metric row of the evaluate artifact, unrounded, for programs reading the card."""
    keep = ("model_role", "model_version", "method", "metric", "value", "n", "ci_low", "ci_high")
    rows = store.read("metrics", evaluate).to_pylist()
    return [{k: r.get(k) for k in keep if r.get(k) is not None} for r in rows]


def _base_spec(store: Store, art: Artifact) -> str | None:
    base = ancestor(store, art, "base")
    return base.settings.get("spec") if base is not None else None
