"""Review verbs: `explain TERM` (one term's decision and evidence) and `diff anchors V1 V2` (what changed).

Registered by naming this module in pipelines/cli.py's list of verb modules.
"""

from __future__ import annotations

from collections import Counter
from typing import Optional

import typer

from corpus_tools.errors import ObliviateError
from pipelines.app import app, info, store


@app.command("explain")
def explain_cmd(
    term: str = typer.Argument(..., help="The term, in any case (\"skyglass\", \"Professor McGonagall\")."),
    target: str = typer.Option(..., "--target", "-t", help="Target name."),
    anchors: Optional[str] = typer.Option(None, help="Dictionary version (default: the latest anchors)."),
) -> None:
    """Print one term's decision, reason, replacement and the corpus evidence behind its type."""
    from anchors.context import explain_evidence
    from anchors.gender import is_known_name
    from anchors.review import explain_text
    from anchors.terms import normalize

    ws = store()
    art = ws.require("anchors", target, anchors)
    rows = ws.read("anchor_candidates", art).to_pylist()
    key = normalize(term) or term
    # The user's case need not be the corpus's: "skyglass" finds "Skyglass" when only that is a candidate.
    key = next((r["term"] for r in sorted(rows, key=lambda r: -r["n_mentions"]) if r["term"].lower() == key.lower()), key)
    documents = next((ws.require("ingest", target, p) for p in art.parents if ws.get("ingest", target, p)), None)
    mentions = next((ws.require("extract", target, p) for p in art.parents if ws.get("extract", target, p)), None)
    evidence = None
    if documents is not None and mentions is not None:
        texts = {r["doc_id"]: r["text"] for r in ws.read("documents", documents, ["doc_id", "text"]).to_pylist()}
        labels = Counter(r["label"] for r in ws.read("mentions", mentions, ["text", "label"]).to_pylist()
                         if normalize(r["text"]).lower() == key.lower())
        evidence = explain_evidence(key, texts, labels, is_known_name)
    info(explain_text(key, rows, evidence))


@app.command("diff")
def diff_cmd(
    kind: str = typer.Argument(..., help="What to compare: anchors."),
    old: str = typer.Argument(..., help="The older anchors version."),
    new: str = typer.Argument(..., help="The newer anchors version."),
    target: str = typer.Option(..., "--target", "-t", help="Target name."),
) -> None:
    """Terms added, removed or replaced differently between two dictionary versions."""
    from anchors.review import diff_rows

    if kind != "anchors":
        raise ObliviateError(f"diff compares anchors versions only, not {kind!r}")
    ws = store()
    before = ws.read("anchors", ws.require("anchors", target, old)).to_pylist()
    after = ws.read("anchors", ws.require("anchors", target, new)).to_pylist()
    changes = diff_rows(before, after)
    counts = Counter(c[1] for c in changes)
    info(f"anchors {old} -> {new}: " + (", ".join(f"{n} {k}" for k, n in counts.items()) or "no change"))
    for term, change, a, b in changes:
        info(f"  {change:<12} {term:<32} {a:<28} -> {b}")
