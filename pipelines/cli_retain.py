"""The `self-samples` verb: retain text the target's subject writes itself (training/self_retain.py)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from pipelines.app import WORKSPACE, app, info, session
from pipelines.cli_run import SET, TARGET_FILE, execute


@app.command("self-samples")
def self_samples_cmd(
    ctx: typer.Context,
    target_file: Path = TARGET_FILE,
    out: Path = typer.Argument(..., metavar="OUT_DIR", help="New folder for the samples; name it in [unlearn] retain_corpus."),
    seeds: Path = typer.Option(..., "--seeds", metavar="FILE", help="Openings, one per line (# comments)."),
    per_seed: int = typer.Option(4, "--per-seed", help="Samples per opening."),
    max_new_tokens: int = typer.Option(96, "--max-new-tokens", help="Tokens written after each opening."),
    temperature: float = typer.Option(1.0, help="Sampling temperature (1: the model's own distribution)."),
    seed: int = typer.Option(0, help="Random seed: the same subject, openings and settings give the same files."),
    set_: List[str] = SET,
    workspace: Optional[Path] = WORKSPACE,
) -> None:
    """Write samples of the target's subject from neutral openings, minus those naming a dictionary term."""
    from corpus_tools.progress import task
    from training.models import load_model, load_tokenizer, model_folder
    from training.self_retain import check_new_folder, drop_mentions, read_seeds, sample_texts, write_samples

    openings = read_seeds(seeds)
    check_new_folder(out)  # before minutes of sampling, not after
    arts = execute(ctx, target_file, set_, workspace, until="implant")
    ws = session(ctx).store(workspace)
    terms = ws.read("anchors", arts["anchors"], ["term"]).column("term").to_pylist()
    subject = arts["implant"]
    model, tok = load_model(subject), load_tokenizer(model_folder(subject))
    with session(ctx).reporter() as progress:
        texts = sample_texts(model, tok, openings, per_seed=per_seed, max_new_tokens=max_new_tokens,
                             temperature=temperature, seed=seed,
                             advance=task(progress, "self-samples", len(openings), "openings"))
    kept, dropped = drop_mentions(texts, terms)
    files = write_samples(kept, out)
    info(f"self-samples of {subject.kind} {subject.version}: {len(kept)} kept, {len(dropped)} dropped for naming a "
         f"term of anchors {arts['anchors'].version}; {len(files)} files in {out}")
    for term, text in dropped[:10]:
        info(f"  dropped ({term}): {text[:80]!r}")
