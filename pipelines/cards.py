"""Cards and lineage shared by every export: which artifacts are current, where each came from, the YAML header.

A card is a README.md whose YAML header carries, under `obliviate`, the exported artifact and its lineage:
every ancestor down to the corpus, with named parents, settings and code version (docs/export.md).
`huggingface_hub.DatasetCard.load` / `ModelCard.load` read it back.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import yaml

from corpus_tools.errors import ObliviateError
from corpus_tools.store import Artifact, Store


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


def provenance(store: Store, art: Artifact, target: str) -> dict:
    return {"target": target, "stage": art.kind, "version": art.version,
            "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "obliviate_version": _own_version(), "lineage": lineage(store, art)}


def _own_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("obliviate")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "source"


def lineage_section(prov: dict) -> list[str]:
    lines = ["## Lineage", "",
             "Every artifact this was made from, parents first (the full settings are in the YAML header, key "
             "`obliviate.lineage`; the same rows are in the workspace's `artifacts` table).", "",
             "| stage | version | parents | code |", "|---|---|---|---|"]
    for row in prov["lineage"]:
        parents = ", ".join(f"{role}: `{v}`" for role, v in row["parents"].items()) or "—"
        lines.append(f"| {row['stage']} | `{row['version']}` | {parents} | {row['code_version']} |")
    lines += ["", f"Exported {prov['exported_at']} by obliviate {prov['obliviate_version']}."]
    return lines


def write_card(path: Path, meta: dict, body: list[str]) -> None:
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    path.write_text(f"---\n{header}---\n\n" + "\n".join(body) + "\n", encoding="utf-8")
