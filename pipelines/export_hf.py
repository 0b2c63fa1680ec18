"""A target's current artifacts as Hugging Face datasets and a `from_pretrained` model folder, with cards.

Every export is made from the versions the target file resolved to in its last plain run
(`store.current(target)`), never from "the newest": what is exported is what `status` and the
report call current. Each folder carries a README.md card whose YAML front matter holds the
lineage (every artifact the export was made from, down to the corpus, with its named parents,
settings and code version), so the provenance travels with a folder copied away. docs/export.md
describes the layout and how to load each part back.

Layout under OUT:

    corpus/      README.md, data/<split>-00000-of-00001.parquet, saved/ (datasets.save_to_disk)
    dictionary/  the same, splits anchors and candidates (two configs on the Hub: their columns differ)
    labels/      the generic labels (WHP only)
    evalsets/    the evaluation items, when an artifact holds an `eval_items` table
    model/       the unlearned model (config, weights, tokenizer) and its card
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from corpus_tools.errors import ObliviateError
from corpus_tools.store import Artifact, Store

WHAT = ("corpus", "dictionary", "labels", "evalsets", "model")
DROP = ("target",)  # the same for every row of an export; the card names the target
SAVED = "saved"  # the save_to_disk folder inside each dataset folder


class EnsembleExport(ObliviateError):
    """The ensemble method has no weights of its own; raised only when a caller asks for one folder."""


def current_artifacts(store: Store, target: str) -> dict[str, Artifact]:
    """stage -> the target's current artifact; an error naming the verb to run when the target has none."""
    versions = store.current(target)
    if not versions:
        raise ObliviateError(f"target {target!r} has no current versions in {store.root}; "
                             "run `obliviate run TARGET_FILE` (a plain run, without --set) first")
    out = {}
    for stage, version in versions.items():
        art = store.get(stage, target, version)
        if art is not None:
            out[stage] = art
    return out


def lineage(store: Store, art: Artifact) -> list[dict]:
    """The artifact and every ancestor, parents before children: stage, version, named parents, settings, code."""
    by_version = {a.version: a for a in store.artifacts(target=art.target)}
    order: list[dict] = []
    seen: set[str] = set()

    def visit(a: Artifact) -> None:
        if a.version in seen:
            return
        seen.add(a.version)
        for parent in a.parents.values():
            if parent in by_version:
                visit(by_version[parent])
        order.append({"stage": a.kind, "version": a.version, "parents": dict(a.parents),
                      "code_version": a.code_version, "created_at": a.created_at.isoformat(timespec="seconds"),
                      "settings": json.loads(json.dumps(a.settings, default=str))})

    visit(art)
    return order


def ancestor(store: Store, art: Artifact, stage: str) -> Artifact | None:
    """The nearest ancestor of `art` made by `stage` (itself included)."""
    for row in reversed(lineage(store, art)):
        if row["stage"] == stage:
            return store.get(stage, art.target, row["version"])
    return None


# -- datasets -----------------------------------------------------------------------------------

def corpus_splits(store: Store, translate: Artifact, blocks: Artifact | None) -> dict[str, pa.Table]:
    """Original and translated text per document; split by the blocks table's `split` column when it has one."""
    docs_art = ancestor(store, translate, "ingest")
    if docs_art is None:
        raise ObliviateError(f"translate {translate.version}: its documents artifact is missing from the workspace")
    docs = store.read("documents", docs_art, columns=["doc_id", "title", "source", "text", "corpus_version"])
    translated = {r["doc_id"]: r["text"] for r in
                  store.read("translated_documents", translate, columns=["doc_id", "text"]).to_pylist()}
    rows = [{**d, "translated_text": translated.get(d["doc_id"]), "translation_version": translate.version}
            for d in docs.to_pylist()]
    split_of: dict[str, str] = {}
    if blocks is not None:
        table = store.read("blocks", blocks)
        if "split" in table.column_names:
            for doc_id, split in zip(table.column("doc_id").to_pylist(), table.column("split").to_pylist()):
                split_of.setdefault(doc_id, split or "train")
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(split_of.get(r["doc_id"], "train") if split_of else "train", []).append(r)
    return {split: pa.Table.from_pylist(group) for split, group in sorted(groups.items())}


def _drop(table: pa.Table) -> pa.Table:
    return table.drop_columns([c for c in DROP if c in table.column_names])


def _by_split(table: pa.Table, column: str = "split") -> dict[str, pa.Table]:
    if column not in table.column_names:
        return {"train": table}
    values = table.column(column).to_pylist()
    names = sorted({v or "train" for v in values})
    return {n: table.filter(pa.array([(v or "train") == n for v in values])) for n in names}


def write_dataset(folder: Path, splits: dict[str, pa.Table], *, title: str, summary: str, target: str,
                  made_from: Artifact, store: Store, one_config_per_split: bool = False) -> Path:
    """Parquet files the Hub and `load_dataset("parquet", ...)` read, a save_to_disk copy, and the card."""
    import datasets

    if folder.exists():
        shutil.rmtree(folder)
    (folder / "data").mkdir(parents=True)
    saved = {}
    for split, table in splits.items():
        table = _drop(table)
        pq.write_table(table, folder / "data" / f"{split}-00000-of-00001.parquet")
        saved[split] = datasets.Dataset(table)
    datasets.DatasetDict(saved).save_to_disk(str(folder / SAVED))
    if one_config_per_split:  # different columns: one config each, as the Hub viewer expects
        configs = [{"config_name": s, "data_files": [{"split": "train", "path": f"data/{s}-*.parquet"}]} for s in splits]
    else:
        configs = [{"config_name": "default",
                    "data_files": [{"split": s, "path": f"data/{s}-*.parquet"} for s in splits]}]
    rows = {s: t.num_rows for s, t in splits.items()}
    meta = {"pretty_name": title, "tags": ["obliviate", "unlearning"], "configs": configs,
            "obliviate": _provenance(store, made_from, target)}
    columns = ", ".join(f"`{c}`" for c in _drop(next(iter(splits.values()))).column_names)
    body = [f"# {title}", "", summary, "",
            f"Made by obliviate from target `{target}`, {made_from.kind} artifact "
            f"`{made_from.version}`.", "",
            "| split | rows |", "|---|---|", *(f"| {s} | {n:,} |" for s, n in rows.items()), "",
            f"Columns: {columns}.", "", "## Loading", "", "```python",
            "import datasets",
            f"ds = datasets.load_from_disk(\"{folder.name}/{SAVED}\")",
            f"ds = datasets.load_dataset(\"parquet\", data_files={{{', '.join(repr(s) + ': ' + repr(f'{folder.name}/data/{s}-00000-of-00001.parquet') for s in splits)}}})",
            "```", "", *_lineage_section(meta["obliviate"])]
    _write_card(folder / "README.md", meta, body)
    return folder


def _provenance(store: Store, art: Artifact, target: str) -> dict:
    return {"target": target, "stage": art.kind, "version": art.version,
            "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "obliviate_version": _own_version(), "lineage": lineage(store, art)}


def _own_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("obliviate")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "source"


def _lineage_section(prov: dict) -> list[str]:
    lines = ["## Lineage", "",
             "Every artifact this was made from, parents first (the full settings are in the YAML header, key "
             "`obliviate.lineage`; the same rows are in the workspace's `artifacts` table).", "",
             "| stage | version | parents | code |", "|---|---|---|---|"]
    for row in prov["lineage"]:
        parents = ", ".join(f"{role}: `{v}`" for role, v in row["parents"].items()) or "—"
        lines.append(f"| {row['stage']} | `{row['version']}` | {parents} | {row['code_version']} |")
    lines += ["", f"Exported {prov['exported_at']} by obliviate {prov['obliviate_version']}."]
    return lines


def _write_card(path: Path, meta: dict, body: list[str]) -> None:
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    path.write_text(f"---\n{header}---\n\n" + "\n".join(body) + "\n", encoding="utf-8")


def read_card(path: Path) -> dict:
    """The YAML front matter of a card written here (what `huggingface_hub.DatasetCard.load(...).data` holds)."""
    text = Path(path).read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ObliviateError(f"{path}: no YAML header")
    return yaml.safe_load(text[4:text.index("\n---\n", 4)])


# -- the model ----------------------------------------------------------------------------------

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
            "obliviate": {**_provenance(store, unlearn, unlearn.target), "method": method,
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
    body += _lineage_section(meta["obliviate"])
    _write_card(folder / "README.md", meta, body)
    return told


def _raw_metrics(store: Store, evaluate: Artifact) -> list[dict]:
    """Every metric row of the evaluate artifact, unrounded, for programs reading the card."""
    keep = ("model_role", "model_version", "method", "metric", "value", "n", "ci_low", "ci_high")
    rows = store.read("metrics", evaluate).to_pylist()
    return [{k: r.get(k) for k in keep if r.get(k) is not None} for r in rows]


def _base_spec(store: Store, art: Artifact) -> str | None:
    base = ancestor(store, art, "base")
    return base.settings.get("spec") if base is not None else None


# -- the whole export ---------------------------------------------------------------------------

def export(store: Store, target: str, out: Path, what: tuple[str, ...] = WHAT) -> tuple[list[Path], list[str]]:
    """Write the parts asked for; returns (folders written, lines to tell the user)."""
    unknown = [w for w in what if w not in WHAT]
    if unknown:
        raise ObliviateError(f"--what {','.join(unknown)}: choose from {','.join(WHAT)}")
    arts = current_artifacts(store, target)
    written: list[Path] = []
    told: list[str] = []

    def need(stage: str, part: str) -> Artifact | None:
        if stage not in arts:
            told.append(f"skipped {part}: target {target!r} has no current {stage} artifact")
        return arts.get(stage)

    out.mkdir(parents=True, exist_ok=True)
    if "corpus" in what and (tr := need("translate", "corpus")):
        written.append(write_dataset(
            out / "corpus", corpus_splits(store, tr, arts.get("blocks")), title=f"{target}: translated corpus",
            summary="Each document of the target corpus (`text`) beside its translation (`translated_text`): "
                    "every anchor term replaced by its generic counterpart from the dictionary.",
            target=target, made_from=tr, store=store))
    if "dictionary" in what and (an := need("anchors", "dictionary")):
        written.append(write_dataset(
            out / "dictionary", {"anchors": store.read("anchors", an), "candidates": store.read("anchor_candidates", an)},
            title=f"{target}: anchor dictionary",
            summary="`anchors`: each anchor term and its generic replacement. `candidates`: every term considered, "
                    "with its counts, specificity and the decision taken (and why).",
            target=target, made_from=an, store=store, one_config_per_split=True))
    if "labels" in what:
        lab = arts.get("labels")
        if lab is None:
            told.append(f"skipped labels: target {target!r} has no current labels artifact (only WHP makes them)")
        else:
            written.append(write_dataset(
                out / "labels", {"train": store.read("generic_labels", lab)}, title=f"{target}: generic labels",
                summary="The generic-prediction label of every changed token position of the blocks "
                        "(`block_id`, `position`): the original token, the label the model is trained towards, "
                        "the top-k of the generic and reinforced distributions.",
                target=target, made_from=lab, store=store))
    if "evalsets" in what:
        holder = next((a for a in arts.values() if "eval_items" in a.tables), None)
        if holder is None:
            told.append(f"skipped evalsets: no current artifact of {target!r} holds an eval_items table")
        else:
            written.append(write_dataset(
                out / "evalsets", _by_split(store.read("eval_items", holder)), title=f"{target}: evaluation items",
                summary="Verbatim, cloze and membership items built from the corpus and dictionary, split into "
                        "forget (documents unlearning saw) and holdout (documents it never saw).",
                target=target, made_from=holder, store=store))
    if "model" in what and (un := need("unlearn", "model")):
        ev = arts.get("evaluate")
        metrics = None
        if ev is not None:
            from pipelines.cli_run import results

            metrics = results(store, ev)
        told += write_model(out / "model", store, un, ev, metrics)
        written.append(out / "model")
    return written, told


def push_to_hub(written: list[Path], repo: str, token: str | None = None, private: bool = True) -> list[str]:
    """Upload each folder: the model to `repo`, each dataset to `repo-<name>` (dataset repos). Returns the repo ids."""
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    pushed = []
    for folder in written:
        is_model = folder.name == "model"
        repo_id = repo if is_model else f"{repo}-{folder.name}"
        kind = "model" if is_model else "dataset"
        api.create_repo(repo_id, repo_type=kind, private=private, exist_ok=True)
        api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type=kind,
                          ignore_patterns=[f"{SAVED}/**"],  # the Hub reads the Parquet files and the card
                          commit_message="obliviate export")
        pushed.append(f"{kind} {repo_id}")
    return pushed
