"""NPO, Negative Preference Optimization (Zhang et al. 2024), as a reference unlearning baseline.

    loss = mean over forget blocks of  -(2 / beta) * log sigmoid(-beta * (log p_theta(x) - log p_ref(x)))

with SEQUENCE log-probabilities (the sum of a block's token log-probs, padding excluded) and the
reference = the frozen subject. The reference values never change, so they are computed once with
the subject before its first update instead of keeping a second model in memory. Optional retain
term (NPO+RT): `+ retain_weight * CE(retain blocks)`, as in GD. At step 0 the loss is
`(2 / beta) * ln 2` exactly; it falls as the model's probability of the forget blocks falls, and,
unlike gradient ascent, its gradient vanishes once they are improbable (bounded loss).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from corpus_tools.progress import Reporter, task
from corpus_tools.store import Artifact, Store
from training.data import IGNORE, ForgetData, TrainData, next_token_data
from training.loop import LossFn, lm_loss
from training.retain import retain_blocks

def npo_loss(beta: float, retain_weight: float = 0.0) -> LossFn:
    def loss(logits: torch.Tensor, batch: dict) -> torch.Tensor:
        f = batch["forget"]
        out = npo_term(sequence_logp(logits[f], batch["labels"][f]) - batch["ref_logp"], beta).mean()
        if retain_weight and bool((~f).any()):
            out = out + retain_weight * lm_loss(logits[~f], batch["labels"][~f])
        return out
    return loss


def token_npo_loss(logits: torch.Tensor, targets: torch.Tensor, ref: torch.Tensor, beta: float) -> torch.Tensor:
    """NPO per token: the mean over positions with a target of -(2 / beta) * log sigmoid(-beta * (log p_theta
    - log p_ref)) of that one token. WHP's forget-side term on anchored tokens (training/unlearn.py)."""
    mask = targets != IGNORE
    if not bool(mask.any()):
        return logits.sum() * 0.0  # keeps the graph (and DDP's all-reduce) whole
    logp = -F.cross_entropy(logits[mask].float(), targets[mask], reduction="none")
    return npo_term(logp - ref[mask], beta).mean()


def npo_term(ratio: torch.Tensor, beta: float) -> torch.Tensor:
    """-(2 / beta) * log sigmoid(-beta * ratio), ratio = log p_theta - log p_ref, elementwise."""
    return -2.0 / beta * F.logsigmoid(-beta * ratio)


@torch.no_grad()
def reference_logp(model, data: TrainData, batch_size: int, per_token: bool = False,
                   progress: Reporter | None = None) -> torch.Tensor:
    """[N] sequence log-prob of every block under `model` (the subject, before any update); with
    `per_token`, [N, T] log-prob of each labelled token (0 where there is none)."""
    device = next(model.parameters()).device
    advance = task(progress, "reference log-probs", data.n_tokens, "tokens")
    out = []
    for start in range(0, len(data), batch_size):
        b = {k: v.to(device) for k, v in data.batch(torch.arange(start, min(start + batch_size, len(data)))).items()}
        mask = None if bool(b["attention_mask"].all()) else b["attention_mask"]  # as in training
        logits = model(input_ids=b["input_ids"], attention_mask=mask, use_cache=False).logits
        logp = token_logp(logits, b["labels"])
        out.append((logp if per_token else logp.sum(-1)).cpu())
        advance(int(b["attention_mask"].sum()))
    return torch.cat(out)


def token_logp(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[B, T] log-probability of each labelled token, 0 at padding and IGNORE."""
    nll = F.cross_entropy(logits.float().transpose(1, 2), labels.clamp_min(0), reduction="none")
    return -(nll * (labels != IGNORE))


def sequence_logp(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[B] sum of the log-probabilities of each row's labelled tokens (padding and IGNORE excluded)."""
    return token_logp(logits, labels).sum(-1)


def objective(store: Store, settings, blocks: Artifact):
    """(make_data, loss) of NPO (optionally NPO+RT) on `blocks`, referenced to the untouched subject."""

    def make_data(model, source: Path) -> ForgetData:
        forget = next_token_data(store, blocks, pad_id=0)
        ref = reference_logp(model, forget, settings.batch_size)
        retain = retain_blocks(settings, source, forget.input_ids.shape[1]) if settings.npo_retain else None
        return ForgetData(forget, retain, ref_logp=ref)

    return make_data, npo_loss(settings.beta, settings.retain_weight if settings.npo_retain else 0.0)
