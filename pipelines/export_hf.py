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

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpus_tools.errors import ObliviateError
from corpus_tools.store import Artifact, Store
from pipelines.cards import ancestor, current_artifacts, lineage_section, provenance, write_card
from pipelines.export_model import write_model

WHAT = ("corpus", "dictionary", "labels", "evalsets", "model")
DROP = ("target",)  # the same for every row of an export; the card names the target
SAVED = "saved"  # the save_to_disk folder inside each dataset folder


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
    if blocks is not None and _has_column(blocks, "blocks", "split"):  # the split column of newer blocks versions
        table = store.read("blocks", blocks, columns=["doc_id", "split"])
        split_of = dict(zip(table.column("doc_id").to_pylist(), table.column("split").to_pylist()))
    return {split: pa.Table.from_pylist(group) for split, group in group_by_split(rows, split_of).items()}


def group_by_split(rows: list[dict], split_of: dict[str, str]) -> dict[str, list[dict]]:
    """Documents by the split of their blocks; all in `train` without splits, `dropped` for a document that
    has no block (shorter than a block: blocks dropped it)."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        split = (split_of.get(r["doc_id"]) or "dropped") if split_of else "train"
        groups.setdefault(split, []).append(r)
    return dict(sorted(groups.items()))


def _has_column(art: Artifact, table: str, column: str) -> bool:
    parts = sorted((art.path / table).glob("part-*.parquet"))
    return bool(parts) and column in pq.read_schema(parts[0]).names


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
    meta = {"pretty_name": title, "tags": ["obliviate", "unlearning"]}
    if one_config_per_split:  # different columns: one config each, as the Hub viewer expects
        meta["configs"] = [{"config_name": s, "data_files": [{"split": "train", "path": f"data/{s}-*.parquet"}]}
                           for s in splits]
    # else no `configs`: the Hub and load_dataset find the splits from data/<split>-*.parquet themselves, and
    # (datasets 5.2) a folder with `configs` is cached by its card, not its files (docs/export.md)
    meta["obliviate"] = provenance(store, made_from, target)
    rows = {s: t.num_rows for s, t in splits.items()}
    columns = ", ".join(f"`{c}`" for c in _drop(next(iter(splits.values()))).column_names)
    body = [f"# {title}", "", summary, "",
            f"Made by obliviate from target `{target}`, {made_from.kind} artifact "
            f"`{made_from.version}`.", "",
            "| split | rows |", "|---|---|", *(f"| {s} | {n:,} |" for s, n in rows.items()), "",
            f"Columns: {columns}.", "", "## Loading", "", "```python",
            "import datasets",
            f"ds = datasets.load_from_disk(\"{folder.name}/{SAVED}\")",
            f"ds = datasets.load_dataset(\"parquet\", data_files={{{', '.join(repr(s) + ': ' + repr(f'{folder.name}/data/{s}-00000-of-00001.parquet') for s in splits)}}})",
            "```", "", *lineage_section(meta["obliviate"])]
    write_card(folder / "README.md", meta, body)
    return folder


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
