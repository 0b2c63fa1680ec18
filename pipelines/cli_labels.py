"""The `labels` verb: generic labels of a target's blocks (or a relabel at a new alpha, without a model)."""

from __future__ import annotations

import contextlib
from typing import Optional

import typer
from pydantic import ValidationError

from corpus_tools.errors import ObliviateError

from corpus_tools.progress import Reporter
from corpus_tools.store import Store
from pipelines.app import app, info, progress_reporter, store


def _subject(ws: Store, target: str, version: Optional[str]):
    """The implanted model if there is one, else the base model (a real user skips implant)."""
    if version or ws.latest("implant", target) is not None:
        return ws.require("implant", target, version)
    return ws.require("base", target)


@app.command("labels")
def labels_cmd(
    target: str = typer.Option(..., "--target", "-t", help="Target name."),
    alpha: float = typer.Option(5.0, help="Weight of the reinforced model's boost in g - alpha*relu(r - g)."),
    top_k: int = typer.Option(32, "--top-k", help="Top-k candidates stored per position (for relabelling at any alpha)."),
    batch_size: int = typer.Option(8, "--batch-size", help="Blocks per forward pass."),
    blocks_per_part: int = typer.Option(64, "--blocks-per-part", help="Blocks per Parquet part (resume and sharding unit)."),
    no_reuse: bool = typer.Option(False, "--no-reuse", help="Run the models even if labels at another alpha could be relabelled."),
    blocks_version: Optional[str] = typer.Option(None, help="Blocks version (default: latest)."),
    subject_version: Optional[str] = typer.Option(None, help="Subject (implant) model version (default: latest implant, else base)."),
    reinforced_version: Optional[str] = typer.Option(None, help="Reinforced model version (default: latest)."),
) -> None:
    """Compute generic labels (run under `accelerate launch` to shard blocks across processes)."""
    from training.labels import LabelSettings, accelerator, compute_labels

    try:
        settings = LabelSettings(alpha=alpha, top_k=top_k, batch_size=batch_size, blocks_per_part=blocks_per_part,
                                 reuse=not no_reuse)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ObliviateError(f"labels --{str(first['loc'][0]).replace('_', '-')}: {first['msg']}") from None
    ws = store()
    main = accelerator().is_main_process
    blocks = ws.require("blocks", target, blocks_version)
    subject = _subject(ws, target, subject_version)
    reinforced = ws.require("reinforce", target, reinforced_version)
    # Only the main process takes the workspace lock: it alone publishes the artifact.
    with ws.writer_lock() if main else contextlib.nullcontext(), progress_reporter() if main else contextlib.nullcontext(Reporter()) as progress:
        art, created = compute_labels(ws, target, settings, blocks=blocks, subject=subject, reinforced=reinforced,
                                      progress=progress)
    if not main:
        return
    s = art.stats
    summary = (f"{s.get('positions', 0):,} positions, {s.get('changed_share', 0):.1%} changed, "
               f"{s.get('exact_share', 0):.1%} exact")
    if not created:
        info(f"labels {art.version} of {target!r} (alpha {art.settings.get('alpha')}) are up to date: {summary}")
    elif s.get("relabelled"):
        info(f"relabelled {s['relabel_of']} at alpha {alpha} without running a model in {s['seconds']}s: "
             f"labels {art.version}, {summary}")
    else:
        info(f"labels {art.version} at alpha {alpha}: {summary} in {s['seconds']}s on {s['processes']} process(es)")
