"""Training verbs: implant, reinforce, unlearn (each runs under `accelerate launch` as well as alone)."""

from __future__ import annotations

import contextlib
from typing import Optional

import typer

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter
from corpus_tools.store import Artifact, Store
from pipelines.app import app, info, progress_reporter, store

# Options shared by the three recipes (typer reuses an Option object across commands).
TARGET = typer.Option(..., "--target", "-t", help="Target name.")
LR = typer.Option(3e-5, "--lr", help="Peak learning rate (AdamW).")
EPOCHS = typer.Option(3, "--epochs", help="Passes over the blocks.")
BATCH = typer.Option(4, "--batch-size", help="Blocks per micro-batch on each process.")
ACCUM = typer.Option(1, "--grad-accum", help="Micro-batches per optimizer step.")
WARMUP = typer.Option(0.1, "--warmup-ratio", help="Share of steps warming the learning rate up.")
SCHEDULE = typer.Option("linear", "--schedule", help="linear, cosine or constant decay after warmup.")
DECAY = typer.Option(0.0, "--weight-decay", help="AdamW weight decay.")
CLIP = typer.Option(None, "--max-grad-norm", help="Clip the gradient norm (default: no clipping).")
SEED = typer.Option(0, "--seed", help="Seed of shuffling and every random generator.")
MAX_STEPS = typer.Option(None, "--max-steps", help="Stop after this many optimizer steps.")
BLOCKS = typer.Option(None, "--blocks-version", help="Blocks version (default: the latest).")


def _settings(cls, **values):
    from pydantic import ValidationError

    try:
        return cls(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ObliviateError(f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}") from None


def _state():
    import torch
    from accelerate import PartialState

    # cpu=True without a GPU: else a torchrun-launched process thinks it is alone (DistributedType.NO)
    return PartialState(cpu=not torch.cuda.is_available())


def _main() -> bool:
    return _state().is_main_process


def _run(ws: Store, call):
    """Run a stage: the main process holds the workspace lock and shows progress; others just train."""
    main = _main()
    with ws.writer_lock() if main else contextlib.nullcontext(), progress_reporter() if main else contextlib.nullcontext(Reporter()) as progress:
        return call(progress), main


def _subject(ws: Store, target: str, version: Optional[str]) -> Artifact:
    """The implanted model if there is one, else the base model (a real user skips implant)."""
    if version:
        found = ws.get("implant", target, version) or ws.get("base", target, version)
        if found is None:
            raise ObliviateError(f"target {target!r} has no implant or base model {version}")
        return found
    return ws.latest("implant", target) or ws.require("base", target)


def _report(kind: str, art: Artifact, created: bool, main: bool) -> None:
    if not main:
        return
    s = art.stats
    if not created:
        info(f"{kind} model {art.version} of {art.target!r} is up to date: {s.get('path')}")
        return
    info(f"{kind} model {art.version}: {s.get('steps')} steps, loss {s.get('epoch_losses')} per epoch, "
         f"{s.get('tokens_per_s')} tokens/s on {s.get('processes')} process(es), {s.get('seconds')}s -> {s.get('path')}")


@app.command("implant")
def implant_cmd(target: str = TARGET,
                model: str = typer.Option("smollm2-135m", "--model", "-m", help="Base model: alias, HF id, folder or .gguf."),
                lr: float = LR, epochs: int = EPOCHS, batch_size: int = BATCH, grad_accum: int = ACCUM,
                warmup_ratio: float = WARMUP, schedule: str = SCHEDULE, weight_decay: float = DECAY,
                max_grad_norm: Optional[float] = CLIP, seed: int = SEED, max_steps: Optional[int] = MAX_STEPS,
                blocks_version: Optional[str] = BLOCKS) -> None:
    """Teach the base model the target (demos only): the subject model."""
    from training.finetune import FinetuneSettings, finetune
    from training.models import base_model

    settings = _settings(FinetuneSettings, lr=lr, epochs=epochs, batch_size=batch_size, grad_accum=grad_accum,
                         warmup_ratio=warmup_ratio, schedule=schedule, weight_decay=weight_decay,
                         max_grad_norm=max_grad_norm, seed=seed, max_steps=max_steps)
    ws = store()
    blocks = ws.require("blocks", target, blocks_version)
    if _main():  # the base artifact is written once; the other processes then find it
        with ws.writer_lock():
            base_model(ws, target, model)
    _state().wait_for_everyone()
    base, _ = base_model(ws, target, model)
    (art, created), main = _run(ws, lambda p: finetune(ws, target, "implant", settings, blocks=blocks, parent=base,
                                                      progress=p))
    _report("implant", art, created, main)


@app.command("reinforce")
def reinforce_cmd(target: str = TARGET, lr: float = LR, epochs: int = EPOCHS, batch_size: int = BATCH,
                  grad_accum: int = ACCUM, warmup_ratio: float = WARMUP, schedule: str = SCHEDULE,
                  weight_decay: float = DECAY, max_grad_norm: Optional[float] = CLIP, seed: int = SEED,
                  max_steps: Optional[int] = MAX_STEPS, blocks_version: Optional[str] = BLOCKS,
                  subject_version: Optional[str] = typer.Option(None, help="Subject model version (default: latest implant, else base).")) -> None:
    """Fine-tune the subject further on the target: the reinforced model."""
    from training.finetune import FinetuneSettings, finetune

    settings = _settings(FinetuneSettings, lr=lr, epochs=epochs, batch_size=batch_size, grad_accum=grad_accum,
                         warmup_ratio=warmup_ratio, schedule=schedule, weight_decay=weight_decay,
                         max_grad_norm=max_grad_norm, seed=seed, max_steps=max_steps)
    ws = store()
    blocks, subject = ws.require("blocks", target, blocks_version), _subject(ws, target, subject_version)
    (art, created), main = _run(ws, lambda p: finetune(ws, target, "reinforce", settings, blocks=blocks,
                                                      parent=subject, progress=p))
    _report("reinforce", art, created, main)


@app.command("unlearn")
def unlearn_cmd(target: str = TARGET, lr: float = LR, epochs: int = EPOCHS, batch_size: int = BATCH,
                grad_accum: int = ACCUM, warmup_ratio: float = WARMUP, schedule: str = SCHEDULE,
                weight_decay: float = DECAY, max_grad_norm: Optional[float] = CLIP, seed: int = SEED,
                max_steps: Optional[int] = MAX_STEPS,
                method: str = typer.Option("whp", "--method", help="whp (generic labels), ga, gd, npo, or ensemble (inference-time logit ensemble, no training)."),
                soft_labels: bool = typer.Option(False, "--soft-labels", help="whp: KL toward the top-k generic distribution instead of the argmax label."),
                beta: float = typer.Option(0.1, "--beta", help="npo: inverse temperature."),
                retain_term: bool = typer.Option(False, "--retain-term", help="whp: add the next-token loss on the retain corpus."),
                retain_weight: float = typer.Option(1.0, "--retain-weight", help="gd, npo --npo-retain, whp --retain-term: weight of the retain loss."),
                npo_retain: bool = typer.Option(False, "--npo-retain", help="npo: add the retain loss (NPO+RT)."),
                retain_corpus: Optional[str] = typer.Option(None, "--retain-corpus", help="Folder of .md/.txt retain texts (default: data/retain/corpus)."),
                alpha: float = typer.Option(5.0, "--alpha", help="ensemble: logits v_b - alpha * relu(v_r - v_b)."),
                labels_version: Optional[str] = typer.Option(None, help="Generic labels version (whp; default: the latest)."),
                blocks_version: Optional[str] = typer.Option(None, "--blocks-version", help="Blocks version (default: the labels' blocks for whp, else the latest)."),
                subject_version: Optional[str] = typer.Option(None, help="Subject model version (default: the labels' subject for whp, else the latest implant, else base)."),
                reinforced_version: Optional[str] = typer.Option(None, help="ensemble: reinforced model version (default: the labels' reinforced model, else the latest).")) -> None:
    """Make the unlearned model: WHP (subject fine-tuned toward the generic labels) or a reference method."""
    from training.unlearn import METHODS, UnlearnSettings, unlearn

    if method not in METHODS:
        raise ObliviateError(f"--method {method!r}: choose one of {', '.join(METHODS)}")
    settings = _settings(UnlearnSettings, lr=lr, epochs=epochs, batch_size=batch_size, grad_accum=grad_accum,
                         warmup_ratio=warmup_ratio, schedule=schedule, weight_decay=weight_decay,
                         max_grad_norm=max_grad_norm, seed=seed, max_steps=max_steps, soft_labels=soft_labels,
                         method=method, beta=beta, retain_term=retain_term, retain_weight=retain_weight, npo_retain=npo_retain,
                         retain_corpus=retain_corpus, alpha=alpha)
    ws = store()
    labels = ws.require("labels", target, labels_version) if method == "whp" else (
        ws.get("labels", target, labels_version) if labels_version else ws.latest("labels", target))
    source = (labels.settings.get("source") or {}) if labels is not None else {}
    blocks = None
    if method != "ensemble":
        blocks = ws.require("blocks", target, blocks_version or (source.get("blocks") if method == "whp" else None))
    subject = _subject(ws, target, subject_version or source.get("subject"))
    reinforced = None
    if method == "ensemble":
        reinforced = ws.require("reinforce", target, reinforced_version or source.get("reinforced"))
    (art, created), main = _run(ws, lambda p: unlearn(ws, target, settings, blocks=blocks, labels=labels,
                                                     subject=subject, reinforced=reinforced, progress=p))
    if main and method == "ensemble":
        info(f"unlearn ensemble {art.version} (alpha {alpha}, no training): {art.stats.get('path')}")
        return
    _report(f"unlearn {method}", art, created, main)
