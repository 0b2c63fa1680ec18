"""Corpus verbs: translate (documents + anchors -> translated text) and blocks (aligned token blocks)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from corpus_tools.errors import ObliviateError
from pipelines.app import app, info, progress_reporter, store


def load_tokenizer(spec: str):
    """The tokenizer of a model spec: a local tokenizer folder directly, else training.models.load_tokenizer."""
    path = Path(spec)
    if path.is_dir() and (path / "tokenizer.json").exists():
        from transformers import AutoTokenizer

        try:
            return AutoTokenizer.from_pretrained(str(path))
        except (OSError, ValueError) as exc:
            raise ObliviateError(f"--model {spec!r}: cannot load a tokenizer from it: {exc}") from None
    try:
        from training.models import load_tokenizer as from_models
    except (ImportError, AttributeError):
        raise ObliviateError(f"--model {spec!r}: not a folder with a tokenizer.json") from None
    return from_models(spec, store())


@app.command("translate")
def translate_cmd(
    target: str = typer.Option(..., "--target", "-t", help="Target name."),
    documents: Optional[str] = typer.Option(None, help="Corpus version (default: the latest ingest)."),
    anchors: Optional[str] = typer.Option(None, help="Dictionary version (default: the latest anchors)."),
    plural_labels: List[str] = typer.Option(["PERSON"], "--plural-label", help="Labels whose terms also match their plural (repeatable)."),
) -> None:
    """Rewrite every document with the anchor dictionary (translated_documents, substitutions)."""
    from corpus_tools.translate import TranslateSettings, translate

    ws = store()
    docs, anc = ws.require("ingest", target, documents), ws.require("anchors", target, anchors)
    with ws.writer_lock(), progress_reporter() as progress:
        art, created = translate(ws, target, TranslateSettings(plural_labels=plural_labels), documents=docs,
                                 anchors=anc, progress=progress)
    s = art.stats
    verb = "translated" if created else "is up to date:"
    info(f"translation {art.version} {verb} {s['documents']} documents, {s['substitutions']:,} substitutions "
         f"of {s['terms']} dictionary keys")


@app.command("blocks")
def blocks_cmd(
    target: str = typer.Option(..., "--target", "-t", help="Target name."),
    model: str = typer.Option("smollm2-135m", "--model", "-m", help="Model whose tokenizer cuts the blocks (alias, folder)."),
    block_size: int = typer.Option(512, "--block-size", help="Tokens per block."),
    stride: Optional[int] = typer.Option(None, help="Tokens between block starts (default: block size, no overlap)."),
    min_block_tokens: int = typer.Option(16, help="Drop a document's last block if shorter."),
    translation: Optional[str] = typer.Option(None, help="Translation version (default: the latest)."),
) -> None:
    """Cut documents and their translation into aligned token blocks (the blocks table)."""
    from pydantic import ValidationError

    from corpus_tools.blocks import BlockSettings, make_blocks, tokenizer_fingerprint

    try:
        settings = BlockSettings(block_size=block_size, stride=stride, min_block_tokens=min_block_tokens)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "blocks settings"
        raise ObliviateError(f"{where}: {first['msg']}") from None
    ws = store()
    tr = ws.require("translate", target, translation)
    docs = next((a for a in ws.artifacts("ingest", target) if a.version in tr.parents), None)
    if docs is None:
        raise ObliviateError(f"the corpus of translation {tr.version} is gone; run `obliviate translate --target {target}`")
    tokenizer = load_tokenizer(model)
    with ws.writer_lock(), progress_reporter() as progress:
        art, created = make_blocks(ws, target, settings, documents=docs, translation=tr, tokenizer=tokenizer,
                                   tokenizer_id=tokenizer_fingerprint(tokenizer), progress=progress)
    s = art.stats
    verb = "made" if created else "are up to date:"
    info(f"blocks {art.version} {verb} {s['blocks']:,} blocks of <= {block_size} tokens from {s['documents']} documents, "
         f"{s['trained_positions']:,} of {s['tokens']:,} positions trained")
