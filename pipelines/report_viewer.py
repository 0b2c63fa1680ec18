"""Report sections over the label tables: label-change counts and the side-by-side block viewer.

The viewer shows a block's original text beside its translation. Substituted terms are highlighted
on both sides (from the `substitutions` table); on the original side, a token whose generic label
differs from it (the label at the previous position) is underlined, with the label in its tooltip.
"""

from __future__ import annotations

from html import escape
from typing import Callable

import polars as pl

from corpus_tools.store import Artifact, Store

Decode = Callable[[int], str]


def token_name(decode: Decode | None, token: int) -> str:
    return repr(decode(token)) if decode else f"#{token}"


def label_changes(store: Store, labels: Artifact, decode: Decode | None, top: int = 20) -> dict:
    """How many trained positions got a label different from the original next token, and the commonest changes."""
    df = pl.from_arrow(store.read("generic_labels", labels, columns=["original_token", "label_token"]))
    changed = df.filter(pl.col("original_token") != pl.col("label_token"))
    counts = (changed.group_by(["original_token", "label_token"]).len()
              .sort(["len", "original_token", "label_token"], descending=[True, False, False]).head(top))
    return {
        "positions": df.height, "changed": changed.height, "share": changed.height / df.height if df.height else 0.0,
        "alpha": labels.settings.get("alpha"), "version": labels.version,
        "top": [(f"{token_name(decode, o)} -> {token_name(decode, l)}", n)
                for o, l, n in counts.iter_rows()],
    }


def sample_blocks(store: Store, blocks: Artifact, translation: Artifact | None, labels: Artifact | None,
                  decode: Decode | None, n: int = 3) -> list[str]:
    """HTML of up to `n` blocks with substitutions, original beside translated."""
    cols = ["block_id", "doc_id", "start_char", "end_char", "t_start_char", "t_end_char", "input_ids", "text",
            "translated_text"]
    bdf = pl.from_arrow(store.read("blocks", blocks, columns=cols)).sort("block_id")
    subs = (pl.from_arrow(store.read("substitutions", translation)) if translation is not None
            else pl.DataFrame(schema={"doc_id": pl.Utf8, "start_char": pl.Int64}))
    chosen = []
    for block in bdf.iter_rows(named=True):
        inside = subs.filter((pl.col("doc_id") == block["doc_id"]) & (pl.col("start_char") >= block["start_char"])
                             & (pl.col("end_char") <= block["end_char"])) if subs.height else subs
        if inside.height or not subs.height:
            chosen.append((block, inside))
        if len(chosen) >= n:
            break
    if labels is not None and chosen:
        ids = [b["block_id"] for b, _ in chosen]
        lab = pl.from_arrow(store.read("generic_labels", labels, columns=["block_id", "position", "original_token",
                                                                          "label_token"]))
        lab = lab.filter(pl.col("block_id").is_in(ids) & (pl.col("original_token") != pl.col("label_token")))
    else:
        lab = pl.DataFrame(schema={"block_id": pl.Int64, "position": pl.Int32, "label_token": pl.Int32})
    out = []
    for block, inside in chosen:
        changes = {p + 1: t for p, t in lab.filter(pl.col("block_id") == block["block_id"])
                   .select("position", "label_token").iter_rows()}
        left = _original_html(block, inside, changes, decode)
        spans = [(s["t_start_char"] - block["t_start_char"], s["t_end_char"] - block["t_start_char"], s["term"])
                 for s in inside.iter_rows(named=True)] if inside.height else []
        right = _highlight(block["translated_text"] or "", spans, "sub", "was")
        out.append(
            f'<div class="block"><div class="block-head">block {block["block_id"]} of {escape(str(block["doc_id"]))}: '
            f'{inside.height} substitution(s), {len(changes)} changed label(s)</div>'
            f'<div class="pair"><div class="side"><h4>original</h4>{left}</div>'
            f'<div class="side"><h4>translated</h4>{right}</div></div></div>')
    return out


def _highlight(text: str, spans: list[tuple[int, int, str]], cls: str, what: str) -> str:
    parts, at = [], 0
    for start, end, note in sorted(spans):
        if start < at or start < 0 or end > len(text):
            continue
        parts.append(escape(text[at:start]))
        parts.append(f'<mark class="{cls}" title="{what}: {escape(note)}">{escape(text[start:end])}</mark>')
        at = end
    parts.append(escape(text[at:]))
    return "<pre>" + "".join(parts) + "</pre>"


def _original_html(block: dict, inside: pl.DataFrame, changes: dict[int, int], decode: Decode | None) -> str:
    """Tokens of the original block: substitutions highlighted, changed labels underlined."""
    text = block["text"] or ""
    spans = [(s["start_char"] - block["start_char"], s["end_char"] - block["start_char"], s["replacement"])
             for s in inside.iter_rows(named=True)] if inside.height else []
    pieces = [decode(t) for t in block["input_ids"]] if decode else []
    if not pieces or "".join(pieces) != text:  # offsets unknown: highlight characters only
        return _highlight(text, spans, "sub", "becomes")
    parts, at = [], 0
    for i, piece in enumerate(pieces):
        end = at + len(piece)
        classes, notes = [], []
        for s, e, rep in spans:
            if s < end and at < e:
                classes.append("sub")
                notes.append(f"becomes: {rep}")
        if i in changes:
            classes.append("changed")
            notes.append(f"label: {decode(changes[i])!r}")
        body = escape(piece)
        parts.append(f'<span class="{" ".join(classes)}" title="{escape("; ".join(notes))}">{body}</span>'
                     if classes else body)
        at = end
    return "<pre>" + "".join(parts) + "</pre>"
