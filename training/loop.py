"""The training engine every training stage uses: implant, reinforce, WHP and the reference methods.

AdamW (or SGD with momentum, or Lion: `optimizer`), warmup then a linear or cosine schedule, gradient
accumulation, a checkpoint after every epoch but the last (model, optimizer, scheduler, RNG states, step)
inside the staging folder, resumed after a crash. Under `accelerate launch` every process trains its shard of each batch
(DDP); only the main process writes to the store. Methods differ by their data and loss only.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import re
import shutil
import time
from pathlib import Path
from typing import Callable, Literal, Mapping, NamedTuple, Optional

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from corpus_tools import faults
from corpus_tools.progress import Reporter, task
from corpus_tools.stage import Stage, produce
from corpus_tools.store import Artifact, Store
from training.data import IGNORE, TrainData
from training.distributed import accelerator
from training.models import TOKENIZER_FILES, load_model, model_folder, models_row

StepHook = Callable[[int, float], None]
LossFn = Callable[[torch.Tensor, dict], torch.Tensor]


class Adversary(NamedTuple):
    """Sharpness-aware training against an attack (docs/method.md, "Training against the relearning attack"):
    before each optimizer step the weights move `rho` (L2 norm over every trained weight) along the steepest
    descent of `loss(model, batch)`, the loss an attacker would lower; the step's gradient is taken there and
    applied to the unmoved weights. `loss` runs its own forward, on whichever rows of the batch it reads.
    `split(batch)` gives (the rows whose loss is taken at the moved weights, the rows whose loss is taken at the
    unmoved ones, or None); without it every row's loss is taken at the moved weights."""

    rho: float
    loss: Callable[[torch.nn.Module, dict], torch.Tensor]
    split: Optional[Callable[[dict], tuple[dict, Optional[dict]]]] = None


class TrainSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lr: float = Field(3e-5, gt=0, description="Peak learning rate of the optimizer.")
    optimizer: Literal["adamw", "sgd", "lion"] = Field(
        "adamw", description="adamw; sgd (with `momentum`): a step along the gradient itself, where AdamW scales each "
                             "weight's step by its own gradient history; or lion: every weight moves by the learning "
                             "rate, the sign of its momentum's (Chen et al. 2023). Their learning rates are on other "
                             "scales (docs/method.md, \"The optimizer\").")
    momentum: float = Field(0.9, ge=0, lt=1, description="optimizer sgd: its momentum (heavy ball).")
    epochs: int = Field(3, ge=1, description="Passes over the blocks.")
    batch_size: int = Field(4, ge=1, description="Blocks per micro-batch on each process.")
    grad_accum: int = Field(1, ge=1, description="Micro-batches per optimizer step.")
    warmup_ratio: float = Field(0.1, ge=0, le=1, description="Share of the steps spent warming the learning rate up from 0.")
    schedule: Literal["linear", "cosine", "constant"] = Field("linear", description="Learning-rate decay after warmup.")
    weight_decay: float = Field(0.0, ge=0, description="Weight decay (decoupled under AdamW and Lion, L2 under SGD).")
    max_grad_norm: Optional[float] = Field(None, gt=0, description="Clip the gradient norm to this (None: no clipping).")
    seed: int = Field(0, description="Seed of the shuffling and of every random number generator.")
    max_steps: Optional[int] = Field(None, ge=1, description="Stop after this many optimizer steps (None: all epochs).")
    precision: Literal["fp32", "bf16"] = Field(
        "fp32", description="fp32, or bf16: forward and loss under bfloat16 autocast, weights and optimizer in float32 "
                            "(about 2x faster on a CPU with native bf16, docs/method.md).")
    train_only: Optional[str] = Field(
        None, description="Train only the parameters whose names this regular expression finds (re.search), e.g. "
                          "'layers\\.(4|5|6)\\.mlp'; the others stay frozen. None or \"\": every parameter (\"\" lets "
                          "`--set unlearn.train_only=` turn off what a target file sets; docs/method.md).")

    @field_validator("train_only", mode="before")
    @classmethod
    def _empty_is_all(cls, value):
        return None if value == "" else value

    @model_validator(mode="after")
    def _momentum_is_sgds(self):
        if self.optimizer != "sgd" and self.momentum != type(self).model_fields["momentum"].default:
            raise ValueError(f"momentum {self.momentum} is SGD's; set optimizer = \"sgd\" with it")
        return self


def train_key(settings: TrainSettings, **dump) -> dict:
    """The training settings a model's version depends on: `precision` only when not the default, so models
    trained in fp32 before the option keep their versions; `optimizer` only when not AdamW and `momentum` only under
    SGD, likewise."""
    key = settings.model_dump(**dump)
    if key.get("precision") == "fp32":
        del key["precision"]
    if key.get("optimizer") == "adamw":
        key.pop("optimizer")
    if key.get("optimizer") != "sgd":
        key.pop("momentum", None)
    if "train_only" in key and key["train_only"] is None:  # likewise
        del key["train_only"]
    return key


def train_pattern(pattern: str) -> re.Pattern:
    """`train_only` compiled; one error line when it is no regular expression."""
    try:
        return re.compile(pattern)
    except re.error as e:
        from corpus_tools.errors import ObliviateError

        raise ObliviateError(f"train_only {pattern!r} is no regular expression: {e}") from None


def trainable(model, pattern: str | None) -> list:
    """The parameters to train: all, or those whose names `pattern` finds (the rest frozen); an error naming a
    few parameters when it finds none."""
    if pattern is None:
        return list(model.parameters())
    from corpus_tools.errors import ObliviateError

    found = train_pattern(pattern)
    chosen = []
    for name, p in model.named_parameters():
        p.requires_grad_(bool(found.search(name)))
        if p.requires_grad:
            chosen.append(p)
    if not chosen:
        names = [n for n, _ in model.named_parameters()]
        raise ObliviateError(f"train_only {pattern!r} matches no parameter (they are named like {names[0]!r}, "
                             f"{names[len(names) // 2]!r})")
    return chosen


def autocast(precision: str, device: torch.device | str = "cpu"):
    """bfloat16 autocast for `precision` "bf16", else a no-op context."""
    if precision != "bf16":
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)


def native_bf16(device: torch.device | str = "cpu") -> bool:
    """Whether bf16 matrix products run natively here (CUDA with bf16, or a CPU with AVX512-BF16 or AMX)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux: no cheap way to tell
        return True
    return any(f in flags for f in ("avx512_bf16", "amx_bf16"))



def train_model(store: Store, stage: Stage, target: str, settings: TrainSettings, *, key: Mapping,
                inputs: Mapping[str, Artifact], parent: Artifact, method: str,
                make_data: Callable[[torch.nn.Module, Path], TrainData], progress: Reporter | None,
                on_step: StepHook | None = None, loss_fn: LossFn | None = None,
                adversary: Adversary | None = None,
                finish: Callable[[torch.nn.Module], dict] | None = None,
                trained: Artifact | None = None) -> tuple[Artifact, bool]:
    """The model artifact of `stage`: `parent`'s model trained on `make_data(model, folder)` with `loss_fn`
    (default: the token loss), against `adversary` if given, published with its `models` row. `make_data` sees
    the untouched model (NPO computes its reference log-probabilities with it); `finish(model)`, if given, runs on
    the trained model before it is saved and returns stats to record. With `trained` (a stored model of the same
    training), its model is loaded instead of training and only `finish` runs on it."""
    acc = accelerator()
    saved = settings.model_dump()

    def build(st, version: str) -> None:
        started = time.perf_counter()
        out = st.dir / "model"
        stats: dict = {}
        if not (out / "config.json").exists():  # else: killed after the final save, nothing left to train
            source = model_folder(parent)
            if trained is not None:
                model = load_model(trained).to(acc.device)
                # the training's own record (steps, tokens, losses) comes along; where and when this one was made does not
                stats = {k: v for k, v in trained.stats.items() if k not in ("path", "seconds", "base_model", "method")}
                stats["trained_by"] = trained.version
            else:
                model = load_model(source).to(acc.device)
                stats = train(model, make_data(model, source), settings, acc=acc, checkpoints=st.dir / "checkpoints",
                              label=stage.name if method == "causal_lm" else f"{stage.name} {method}",
                              loss_fn=loss_fn or token_loss, progress=progress, on_step=on_step, adversary=adversary)
            if finish is not None:
                stats |= finish(acc.unwrap_model(model))
            if acc.is_main_process:
                save_model(acc.unwrap_model(model), source, out)
            acc.wait_for_everyone()
            acc.free_memory()
        if acc.is_main_process:
            shutil.rmtree(st.dir / "checkpoints", ignore_errors=True)
            base = parent.stats.get("base_model") or parent.settings.get("spec") or parent.version
            row = models_row(store, stage, target, version, parent=parent, method=method, base_model=base, settings=saved)
            st.write("models", [row])
            st.stats = {**stats, "path": row["path"], "base_model": base, "method": method,
                        "seconds": round(time.perf_counter() - started, 2)}

    return produce(store, stage, target, key=key, inputs=inputs, build=build, saved=saved, acc=acc)


def lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy over labelled positions (labels already aligned with logits)."""
    if not bool((labels != IGNORE).any()):
        return logits.sum() * 0.0  # keeps the graph (and DDP's all-reduce) whole
    return F.cross_entropy(logits.flatten(0, 1).float(), labels.flatten(), ignore_index=IGNORE)


def kl_to_teacher(logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor,
                  weights: torch.Tensor | None = None) -> torch.Tensor:
    """Mean over positions with a label of KL(teacher || model) over the whole vocabulary, each position's
    KL times its `weights` entry when given (same shape as `labels`; the mean still divides by the count)."""
    mask = labels != IGNORE
    if not bool(mask.any()):
        return logits.sum() * 0.0
    log_q = F.log_softmax(logits[mask].float(), dim=-1)
    log_p = F.log_softmax(teacher_logits[mask].float(), dim=-1)
    per_position = F.kl_div(log_q, log_p, log_target=True, reduction="none").sum(-1)
    if weights is not None:
        per_position = per_position * weights[mask].to(per_position.dtype)
    return per_position.mean()


def token_loss(logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean loss over labelled positions; logits at position i are scored against labels[:, i] (no shift)."""
    labels = batch["labels"]
    if "soft_ids" not in batch:  # ignore_index over all positions: no copy of the labelled logits
        if not bool((labels != IGNORE).any()):
            return logits.sum() * 0.0  # keeps DDP's gradient all-reduce in step
        return F.cross_entropy(logits.flatten(0, 1).float(), labels.flatten(), ignore_index=IGNORE)
    mask = labels != IGNORE
    if not bool(mask.any()):
        return logits.sum() * 0.0
    log_q = F.log_softmax(logits[mask].float(), dim=-1).gather(1, batch["soft_ids"])
    p = batch["soft_p"]
    return (torch.xlogy(p, p) - p * log_q).sum(-1).mean()  # KL(p || q) over the stored top-k


def _micro_batches(n: int, epoch: int, settings: TrainSettings, acc) -> list[torch.Tensor]:
    """This process's row indices of each micro-batch of an epoch, shuffled by (seed, epoch) alone."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(settings.seed * 100_003 + epoch))
    per, procs = settings.batch_size, acc.num_processes
    if procs > 1:  # wrap around so every process runs the same number of steps (DDP needs it)
        total = math.ceil(n / (per * procs)) * per * procs
        perm = perm.repeat(math.ceil(total / n))[:total]
    glob = per * procs
    return [perm[i + acc.process_index * per: i + (acc.process_index + 1) * per] for i in range(0, len(perm), glob)]


class Lion(torch.optim.Optimizer):
    """Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"): each weight moves by exactly the
    learning rate, in the direction of the sign of `beta1 x momentum + (1 - beta1) x gradient`; the momentum then
    becomes `beta2 x momentum + (1 - beta2) x gradient`. Weight decay is decoupled, as AdamW's."""

    def __init__(self, params, lr: float, betas: tuple[float, float] = (0.9, 0.99), weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None if closure is None else closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                m = state["exp_avg"]
                if group["weight_decay"]:
                    p.mul_(1 - group["lr"] * group["weight_decay"])
                p.add_(torch.sign(m.mul(beta1).add_(p.grad, alpha=1 - beta1)), alpha=-group["lr"])
                m.mul_(beta2).add_(p.grad, alpha=1 - beta2)
        return loss


def make_optimizer(params: list, settings: TrainSettings) -> torch.optim.Optimizer:
    """AdamW, SGD with momentum, or Lion over `params` at `settings.lr`."""
    if settings.optimizer == "sgd":
        return torch.optim.SGD(params, lr=settings.lr, momentum=settings.momentum, weight_decay=settings.weight_decay)
    if settings.optimizer == "lion":
        return Lion(params, lr=settings.lr, weight_decay=settings.weight_decay)
    return torch.optim.AdamW(params, lr=settings.lr, weight_decay=settings.weight_decay)


def train(model, data: TrainData, settings: TrainSettings, *, acc, checkpoints: Path, label: str = "train",
          loss_fn=token_loss, progress: Reporter | None = None, on_step: StepHook | None = None,
          adversary: Adversary | None = None) -> dict:
    """Train `model` in place; resumes from the last checkpoint under `checkpoints`. Returns stats.

    With `adversary`, each step's gradient is taken at the weights the adversary's move reaches (class Adversary)."""
    from transformers import get_scheduler

    torch.manual_seed(settings.seed)
    n_micro = len(_micro_batches(len(data), 0, settings, acc))
    steps_per_epoch = math.ceil(n_micro / settings.grad_accum)
    total = settings.epochs * steps_per_epoch
    total = min(total, settings.max_steps) if settings.max_steps else total
    if settings.precision == "bf16" and progress is not None and acc.is_main_process and not native_bf16(acc.device):
        progress.log(f"{label}: precision bf16 on a processor without native bf16 is emulated and may be slower "
                     "than fp32; set precision = \"fp32\" if so")
    params = trainable(model, settings.train_only)
    optimizer = make_optimizer(params, settings)
    scheduler = get_scheduler(settings.schedule if settings.schedule != "constant" else "constant_with_warmup",
                              optimizer, num_warmup_steps=round(settings.warmup_ratio * total), num_training_steps=total)
    model, optimizer = acc.prepare(model, optimizer)
    acc.register_for_checkpointing(scheduler)
    epoch0, step = _resume(acc, checkpoints)
    advance = task(progress if acc.is_main_process else None, label, data.n_tokens * total // steps_per_epoch, "tokens")
    epoch_losses, first_loss, last_loss, tokens, seconds = [], None, None, 0, 0.0
    model.train()
    for epoch in range(epoch0, settings.epochs):
        if step >= total:
            break
        batches = _micro_batches(len(data), epoch, settings, acc)
        loss_sum, n_steps = torch.zeros((), device=acc.device), 0
        for s in range(0, len(batches), settings.grad_accum):
            if step >= total:
                break
            tick = time.perf_counter()
            micro = [{k: v.to(acc.device) for k, v in data.batch(rows).items()} for rows in batches[s:s + settings.grad_accum]]
            if adversary is None:
                step_loss, step_tokens = _backward(model, micro, functools.partial(model_loss, loss_fn=loss_fn),
                                                   len(micro), settings.precision, acc)
            else:
                step_loss, step_tokens = _adversarial_backward(model, micro, loss_fn, adversary, params,
                                                               settings.precision, acc)
            if settings.max_grad_norm:
                acc.clip_grad_norm_(params, settings.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            loss_sum, n_steps = loss_sum + step_loss, n_steps + 1
            last_loss = float(step_loss)
            first_loss = last_loss if first_loss is None else first_loss
            seconds += time.perf_counter() - tick
            tokens += step_tokens
            advance(step_tokens * acc.num_processes)
            if on_step is not None:
                on_step(step, last_loss)
            faults.reached("train_step")
        epoch_losses.append(round(float(acc.reduce(loss_sum / max(n_steps, 1), "mean")), 5))
        if epoch + 1 < settings.epochs:  # after the last epoch the caller saves the model itself, at once
            _checkpoint(acc, checkpoints, epoch + 1, step)
    tokens = int(acc.reduce(torch.tensor(tokens, device=acc.device), "sum"))
    return {"steps": step, "epoch_losses": epoch_losses, "first_loss": first_loss, "last_loss": last_loss,
            "train_tokens": tokens, "train_seconds": round(seconds, 3),
            "tokens_per_s": round(tokens / seconds, 1) if seconds else None, "processes": acc.num_processes,
            "resumed_from_epoch": epoch0, "trained_positions": _labelled(data)}


def model_loss(model, batch: dict[str, torch.Tensor], loss_fn: LossFn) -> torch.Tensor:
    """`loss_fn` of `model`'s logits on the batch's rows."""
    # without padding, no mask: lets attention take its fastest (causal-only) path
    mask = None if bool(batch["attention_mask"].all()) else batch["attention_mask"]
    return loss_fn(model(input_ids=batch["input_ids"], attention_mask=mask, use_cache=False).logits, batch)


def _backward(model, batches: list[dict], loss_of: Callable[[torch.nn.Module, dict], torch.Tensor], n: int,
              precision: str, acc, sync_last: bool = True):
    """Forward and backward passes of `loss_of(model, batch) / n` over `batches` (the gradients add up); returns
    (loss, tokens). Under DDP only the last batch's backward pass synchronises, and only with `sync_last`."""
    total, tokens = 0.0, 0
    for j, batch in enumerate(batches):
        sync = contextlib.nullcontext() if sync_last and j == len(batches) - 1 else acc.no_sync(model)
        with sync:
            with autocast(precision, acc.device):  # the loss functions score in float32
                loss = loss_of(model, batch)
            acc.backward(loss / n)
        total += loss.detach() / n
        tokens += int(batch["attention_mask"].sum())
    return total, tokens


def _adversarial_backward(model, micro: list[dict], loss_fn, adversary: Adversary, params: list, precision: str, acc):
    """The step's gradient against `adversary` (class Adversary): the rows `adversary.split` leaves at rest are
    differentiated at the weights as they are, the others at the weights the attacker's move reaches; the weights
    end where they started."""
    moves, _ = _attack_move(model, micro, adversary, params, precision, acc)
    parts = [adversary.split(b) if adversary.split else (b, None) for b in micro]
    rest = [r for _, r in parts if r is not None]
    loss_of = functools.partial(model_loss, loss_fn=loss_fn)
    loss, tokens = _backward(model, rest, loss_of, len(micro), precision, acc, sync_last=False)
    with torch.no_grad():
        for p, e in zip(params, moves):
            if e is not None:
                p.add_(e)
    moved_loss, moved_tokens = _backward(model, [m for m, _ in parts], loss_of, len(micro), precision, acc)
    with torch.no_grad():  # back to the unmoved weights, keeping the gradient taken at the moved ones
        for p, e in zip(params, moves):
            if e is not None:
                p.sub_(e)
    return loss + moved_loss, tokens + moved_tokens


def _attack_move(model, micro: list[dict], adversary: Adversary, params: list, precision: str, acc) -> tuple[list, float]:
    """(each parameter's move, None where it got no gradient; the L2 norm of the gradient): `adversary.rho` along the
    steepest descent of the adversary's loss over the step's micro-batches. Leaves the weights as they are and no
    gradient behind."""
    _backward(model, micro, adversary.loss, len(micro), precision, acc)
    grads = [p.grad for p in params]
    norm = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.float()) for g in grads if g is not None])))
    scale = -adversary.rho / max(norm, 1e-12)
    moves = [None if g is None else g * scale for g in grads]
    for p in params:
        p.grad = None
    return moves, norm


def _labelled(data) -> int | None:
    """Positions with a target in the data (the forget side of forget/retain pairs); None when unknown."""
    labels = getattr(getattr(data, "forget", data), "labels", None)
    return int((labels != IGNORE).sum()) if isinstance(labels, torch.Tensor) else None


def _checkpoint(acc, folder: Path, epoch: int, step: int) -> None:
    """Everything needed to continue after `epoch`; written beside the old one, then swapped in."""
    tmp = folder / f"tmp-epoch-{epoch:04d}"
    acc.save_state(str(tmp), safe_serialization=False)  # every process saves its own RNG state
    acc.wait_for_everyone()
    if acc.is_main_process:
        (tmp / "progress.json").write_text(json.dumps({"epoch": epoch, "step": step}))
        final = folder / f"epoch-{epoch:04d}"
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        for old in folder.glob("epoch-*"):
            if old != final:
                shutil.rmtree(old, ignore_errors=True)
    acc.wait_for_everyone()


def _resume(acc, folder: Path) -> tuple[int, int]:
    """(epochs done, steps done) of the last complete checkpoint, loaded into the prepared objects."""
    done = sorted(folder.glob("epoch-*")) if folder.exists() else []
    if not done:
        return 0, 0
    acc.load_state(str(done[-1]))
    state = json.loads((done[-1] / "progress.json").read_text())
    return int(state["epoch"]), int(state["step"])


def save_model(model, source: Path, out: Path) -> None:
    """save_pretrained into a temporary folder, the source's tokenizer files beside it, then rename."""
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    for name in TOKENIZER_FILES:
        if (source / name).exists():
            shutil.copy2(source / name, tmp / name)
    tmp.rename(out)
