"""Reference unlearning baselines GA and GD, and the training recipe every loss-based baseline shares.

- GA (gradient ascent): minimise `-CE(forget)`, the negated next-token loss on the target blocks.
- GD (gradient difference): `-CE(forget) + retain_weight * CE(retain)`, the retain blocks cut from the
  retain corpus (`data/retain/corpus/*.md` by default, disjoint from the evaluation's general corpus)
  into blocks as wide as the target's.

Forget and retain rows go through ONE forward pass (stacked in the batch, told apart by the
`forget` flag), so the shared `train` loop, gradient accumulation and DDP work unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter
from corpus_tools.store import Artifact, Store, artifact_version
from training.data import IGNORE, TrainData, next_token_data
from training.finetune import StepHook, run_recipe

CODE_VERSION = "ga_v1"
DEFAULT_RETAIN = Path(__file__).resolve().parents[1] / "data" / "retain" / "corpus"
LossFn = Callable[[torch.Tensor, dict], torch.Tensor]


# -- losses ------------------------------------------------------------------------------------

def lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy over labelled positions (labels already aligned with logits)."""
    if not bool((labels != IGNORE).any()):
        return logits.sum() * 0.0  # keeps the graph (and DDP's all-reduce) whole
    return F.cross_entropy(logits.flatten(0, 1).float(), labels.flatten(), ignore_index=IGNORE)


def sequence_logp(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[B] sum of the log-probabilities of each row's labelled tokens (padding and IGNORE excluded)."""
    nll = F.cross_entropy(logits.float().transpose(1, 2), labels.clamp_min(0), reduction="none")
    return -(nll * (labels != IGNORE)).sum(-1)


def ga_loss(logits: torch.Tensor, batch: dict) -> torch.Tensor:
    f = batch["forget"]
    return -lm_loss(logits[f], batch["labels"][f])


def gd_loss(retain_weight: float) -> LossFn:
    def loss(logits: torch.Tensor, batch: dict) -> torch.Tensor:
        f = batch["forget"]
        return -lm_loss(logits[f], batch["labels"][f]) + retain_weight * lm_loss(logits[~f], batch["labels"][~f])
    return loss


# -- data --------------------------------------------------------------------------------------

@dataclass
class ForgetData:
    """Forget blocks, optionally paired with retain blocks (one per forget row, drawn in turn)."""

    forget: TrainData
    retain: TrainData | None = None
    ref_logp: torch.Tensor | None = None  # [N] sequence log-prob of each forget block under the frozen subject
    drawn: int = 0

    def __len__(self) -> int:
        return len(self.forget)

    @property
    def n_tokens(self) -> int:
        extra = 0 if self.retain is None else self.retain.n_tokens * len(self.forget) // max(len(self.retain), 1)
        return self.forget.n_tokens + extra

    def batch(self, rows: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.forget.batch(rows)
        out["forget"] = torch.ones(len(rows), dtype=torch.bool)
        if self.ref_logp is not None:
            out["ref_logp"] = self.ref_logp[rows]
        if self.retain is not None:
            idx = (torch.arange(len(rows)) + self.drawn) % len(self.retain)
            self.drawn += len(rows)
            kept = self.retain.batch(idx)
            out |= {k: torch.cat([out[k], kept[k]]) for k in ("input_ids", "attention_mask", "labels")}
            out["forget"] = torch.cat([out["forget"], torch.zeros(len(idx), dtype=torch.bool)])
        return out


def retain_files(folder: str | Path | None) -> list[Path]:
    folder = Path(folder) if folder else DEFAULT_RETAIN
    files = sorted(p for p in folder.glob("*") if p.suffix in (".md", ".txt")) if folder.is_dir() else []
    if not files:
        raise ObliviateError(f"retain corpus {folder}: no .md or .txt files")
    return files


def retain_fingerprint(folder: str | Path | None) -> str:
    """Content hash of the retain corpus: it enters the version, never its path."""
    h = hashlib.sha256()
    for f in retain_files(folder):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


def retain_data(folder: str | Path | None, tokenizer, width: int, pad_id: int = 0) -> TrainData:
    """Each retain document tokenised and cut into blocks of `width` tokens (no block straddles two)."""
    pieces = []
    for f in retain_files(folder):
        ids = tokenizer(f.read_text(encoding="utf-8"), add_special_tokens=False)["input_ids"]
        pieces += [ids[s:s + width] for s in range(0, len(ids), width) if len(ids[s:s + width]) >= 2]
    lengths = torch.tensor([len(p) for p in pieces])
    ids = torch.full((len(pieces), width), pad_id, dtype=torch.long)
    mask = torch.arange(width)[None, :] < lengths[:, None]
    ids[mask] = torch.tensor([t for p in pieces for t in p], dtype=torch.long)
    labels = torch.full_like(ids, IGNORE)
    labels[:, :-1] = ids[:, 1:]
    labels[torch.arange(width)[None, :] >= (lengths[:, None] - 1)] = IGNORE
    return TrainData(ids, mask.long(), labels)


def load_tokenizer_of(folder: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(folder))


def retain_blocks(settings, source: Path, width: int) -> TrainData:
    """The retain corpus of `settings` cut with the tokenizer of the model folder `source`."""
    return retain_data(settings.retain_corpus, load_tokenizer_of(source), width)


# -- recipes -----------------------------------------------------------------------------------

def unlearn_ga(store: Store, target: str, settings, key: dict, *, blocks: Artifact, subject: Artifact,
               progress: Reporter | None = None, on_step: StepHook | None = None) -> tuple[Artifact, bool]:
    """GA (settings.method "ga") or GD ("gd") on `blocks`, starting from `subject`."""
    gd = settings.method == "gd"

    def make_data(model, source: Path) -> ForgetData:
        forget = next_token_data(store, blocks, pad_id=0)
        return ForgetData(forget, retain_blocks(settings, source, forget.input_ids.shape[1]) if gd else None)

    loss = gd_loss(settings.retain_weight) if gd else ga_loss
    return run_objective(store, target, key, settings, parents=[blocks.version, subject.version], parent=subject,
                         method=settings.method, make_data=make_data, loss_fn=loss, progress=progress, on_step=on_step)


def run_objective(store: Store, target: str, key: dict, settings, *, parents: list[str], parent: Artifact,
                  method: str, make_data: Callable, loss_fn: LossFn | None, progress: Reporter | None,
                  on_step: StepHook | None = None, code_version: str = CODE_VERSION) -> tuple[Artifact, bool]:
    """The `unlearn` artifact of (key, parents, code_version): the stored one if it exists, else trained from
    `parent` with the shared recipe of `finetune.run_recipe` (loss_fn None: the generic-label token loss)."""
    version = artifact_version("unlearn", key, parents, code_version)
    if (found := store.get("unlearn", target, version)) is not None:
        return found, False
    return run_recipe(store, target, "unlearn", version, settings, parents=parents, parent=parent, method=method,
                      make_data=make_data, loss_fn=loss_fn, progress=progress, on_step=on_step,
                      code_version=code_version)
