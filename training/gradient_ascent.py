"""Reference unlearning baselines GA and GD: their losses and training data.

- GA (gradient ascent): minimise `-CE(forget)`, the negated next-token loss on the target blocks.
- GD (gradient difference): `-CE(forget) + retain_weight * CE(retain)`, the retain blocks cut from the
  retain corpus (training/retain.py) into blocks as wide as the target's.

Forget and retain rows go through ONE forward pass (stacked in the batch, told apart by the
`forget` flag), so the shared training loop, gradient accumulation and DDP work unchanged.
"""

from __future__ import annotations

from pathlib import Path

import torch

from corpus_tools.store import Artifact, Store
from training.data import ForgetData, next_token_data
from training.loop import LossFn, lm_loss
from training.retain import retain_blocks


def ga_loss(logits: torch.Tensor, batch: dict) -> torch.Tensor:
    f = batch["forget"]
    return -lm_loss(logits[f], batch["labels"][f])


def gd_loss(retain_weight: float) -> LossFn:
    def loss(logits: torch.Tensor, batch: dict) -> torch.Tensor:
        f = batch["forget"]
        return -lm_loss(logits[f], batch["labels"][f]) + retain_weight * lm_loss(logits[~f], batch["labels"][~f])
    return loss


def objective(store: Store, settings, blocks: Artifact):
    """(make_data, loss) of GA (settings.method "ga") or GD ("gd") on `blocks`."""
    gd = settings.method == "gd"

    def make_data(model, source: Path) -> ForgetData:
        forget = next_token_data(store, blocks, pad_id=0)
        return ForgetData(forget, retain_blocks(settings, source, forget.input_ids.shape[1]) if gd else None)

    return make_data, gd_loss(settings.retain_weight) if gd else ga_loss
