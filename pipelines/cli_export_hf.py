"""`obliviate export TARGET_FILE --out DIR`: the target's current artifacts as Hugging Face datasets and model.

The logic is in pipelines/export_hf.py; this module only parses the verb. docs/export.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from corpus_tools.errors import ObliviateError
from pipelines.app import WORKSPACE, app, info, session
from pipelines.target import load_target


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    target_file: Path = typer.Argument(..., help="Target TOML file: its current versions are exported."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write (outside the workspace)."),
    what: str = typer.Option("corpus,dictionary,labels,evalsets,model", "--what",
                             help="Comma-separated parts: corpus, dictionary, labels, evalsets, model."),
    push_to_hub: Optional[str] = typer.Option(None, "--push-to-hub", metavar="REPO",
                                              help="Also upload: the model to REPO, each dataset to REPO-<part> "
                                                   "(needs a Hugging Face token: HF_TOKEN or `hf auth login`)."),
    public: bool = typer.Option(False, "--public", help="Create the Hub repositories public (default private)."),
    workspace: Optional[Path] = WORKSPACE,
) -> None:
    """Export the target's current corpus, dictionary, labels, evaluation sets and unlearned model, with cards."""
    from pipelines.export_hf import export, push_to_hub as push

    config = load_target(target_file)
    ws = session(ctx).store(workspace)
    if out.resolve().is_relative_to(ws.root.resolve()):
        raise ObliviateError(f"--out {out} is inside the workspace {ws.root}; export somewhere else")
    token = None
    if push_to_hub:  # before the export: a missing token should not cost a long copy first
        from huggingface_hub import get_token

        token = os.environ.get("HF_TOKEN") or get_token()
        if not token:
            raise ObliviateError("--push-to-hub needs a Hugging Face token: set HF_TOKEN or run `hf auth login`")
    parts = tuple(p.strip() for p in what.split(",") if p.strip())
    written, told = export(ws, config.name, out, parts)
    for line in told:
        info(line)
    for folder in written:
        info(f"wrote {folder}")
    if push_to_hub:
        for repo in push(written, push_to_hub, token=token, private=not public):
            info(f"pushed {repo}")
