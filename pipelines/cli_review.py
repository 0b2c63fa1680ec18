"""Review verbs: `explain TERM TARGET_FILE` (one term's decision and evidence) and `diff anchors V1 V2` (what changed).

Both read the dictionary the target file resolves to (its current anchors version) unless a version is named.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Optional

import typer

from corpus_tools.errors import ObliviateError
from pipelines.app import WORKSPACE, app, info, session
from pipelines.target import load_target


@app.command("explain")
def explain_cmd(
    ctx: typer.Context,
    term: str = typer.Argument(..., help="The term, in any case (\"skyglass\", \"Professor McGonagall\")."),
    target_file: Path = typer.Argument(..., help="Target TOML file."),
    anchors: Optional[str] = typer.Option(None, "--anchors-version", help="Dictionary version (default: the target's current one)."),
    workspace: Optional[Path] = WORKSPACE,
) -> None:
    """Print one term's decision, reason, replacement and the corpus evidence behind its type."""
    from anchors.build_v3 import rule_level
    from anchors.context import explain_evidence
    from anchors.gender import is_known_name
    from anchors.review import explain_text
    from anchors.terms import normalize

    ws, target = session(ctx).store(workspace), load_target(target_file).name
    art = ws.require("anchors", target, anchors or ws.current(target).get("anchors"))
    rows = ws.read("anchor_candidates", art).to_pylist()
    key = normalize(term) or term
    # The user's case need not be the corpus's: "skyglass" finds "Skyglass" when only that is a candidate.
    key = next((r["term"] for r in sorted(rows, key=lambda r: -r["n_mentions"]) if r["term"].lower() == key.lower()), key)
    documents = ws.get("ingest", target, art.parents.get("documents", ""))
    mentions = ws.get("extract", target, art.parents.get("mentions", ""))
    evidence = None
    if documents is not None and mentions is not None:
        texts = {r["doc_id"]: r["text"] for r in ws.read("documents", documents, ["doc_id", "text"]).to_pylist()}
        labels = Counter(r["label"] for r in ws.read("mentions", mentions, ["text", "label"]).to_pylist()
                         if normalize(r["text"]).lower() == key.lower())
        evidence = explain_evidence(key, texts, labels, is_known_name, level=rule_level(art.settings.get("decision") or ""))
    info(explain_text(key, rows, evidence))


@app.command("diff")
def diff_cmd(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="What to compare: anchors."),
    old: str = typer.Argument(..., help="The older anchors version."),
    new: str = typer.Argument(..., help="The newer anchors version."),
    target: str = typer.Option(..., "--target", "-t", help="Target name."),
    workspace: Optional[Path] = WORKSPACE,
) -> None:
    """Terms added, removed or replaced differently between two dictionary versions."""
    from anchors.review import diff_rows

    if kind != "anchors":
        raise ObliviateError(f"diff compares anchors versions only, not {kind!r}")
    ws = session(ctx).store(workspace)
    before = ws.read("anchors", ws.require("anchors", target, old)).to_pylist()
    after = ws.read("anchors", ws.require("anchors", target, new)).to_pylist()
    changes = diff_rows(before, after)
    counts = Counter(c[1] for c in changes)
    info(f"anchors {old} -> {new}: " + (", ".join(f"{n} {k}" for k, n in counts.items()) or "no change"))
    for term, change, a, b in changes:
        info(f"  {change:<12} {term:<32} {a:<28} -> {b}")
