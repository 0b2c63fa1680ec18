"""Weight saliency: train only the weights that carry the target more than they carry the retain text.

WHP moves every trainable weight toward the generic labels; what the labels teach at the anchored positions
("after 'Harry' comes anything but ' Potter'") then spreads to every famous name the model completes
(docs/pretrained.md). `[unlearn] salient_share` restricts the update to the weights that matter for the
target's own tokens and little for other text, measured before training by two diagonal Fisher estimates
(mean squared gradient of the next-token loss, one per batch of blocks):

    F_forget   on the original forget blocks, loss only where the original continues with an anchored term
               (the tokens the model would have to forget: " Potter" after "Harry", " Hog" after " at");
    F_retain   on the retain blocks, loss at every position;
    score      F_forget / (F_retain + mean(F_retain)).

The mean in the denominator keeps a weight that matters to neither side from scoring high by a ratio of
two tiny numbers. The `salient_share` of trainable weights with the highest score are trained; the
gradients of the others are zeroed by a hook, so AdamW (without weight decay) leaves them exactly as they
were. Related work: SalUn (Fan et al. 2024, gradient saliency masks) and selective synaptic dampening
(Foster et al. 2024, forget- vs retain-Fisher ratios); here the ratio picks the weights and the generic
labels still decide what they learn. docs/method.md, "Weight saliency".
"""

from __future__ import annotations

import torch

from corpus_tools.progress import Reporter, task
from training.data import IGNORE, TrainData
from training.loop import lm_loss


def fisher(model, data: TrainData, params: list, *, blocks: int, batch_size: int,
           progress: Reporter | None = None, label: str = "importance") -> list[torch.Tensor]:
    """Diagonal empirical Fisher of `params`: the mean over batches of the squared gradient of the mean
    next-token loss (labels already aligned with the logits) over the first `blocks` rows that have a label."""
    rows = torch.nonzero((data.labels != IGNORE).any(1)).flatten()[:blocks]
    acc = [torch.zeros_like(p, dtype=torch.float32) for p in params]
    device = next(model.parameters()).device
    advance = task(progress, label, int(data.attention_mask[rows].sum()), "tokens")
    n = 0
    for start in range(0, len(rows), batch_size):
        b = {k: v.to(device) for k, v in data.batch(rows[start:start + batch_size]).items()}
        mask = None if bool(b["attention_mask"].all()) else b["attention_mask"]
        model.zero_grad(set_to_none=True)
        logits = model(input_ids=b["input_ids"], attention_mask=mask, use_cache=False).logits
        lm_loss(logits, b["labels"]).backward()
        for a, p in zip(acc, params):
            if p.grad is not None:
                a += p.grad.float() ** 2
        n += 1
        advance(int(b["attention_mask"].sum()))
    model.zero_grad(set_to_none=True)
    return [a / max(n, 1) for a in acc]


def salient_masks(forget: list[torch.Tensor], retain: list[torch.Tensor], share: float) -> list[torch.Tensor]:
    """Boolean masks (one per parameter) of the `share` of all entries with the highest
    F_forget / (F_retain + mean(F_retain)); ties at the threshold are kept."""
    floor = torch.cat([r.flatten() for r in retain]).mean().clamp_min(torch.finfo(torch.float32).tiny)  # no 0/0
    scores = [f / (r + floor) for f, r in zip(forget, retain)]
    flat = torch.cat([s.flatten() for s in scores])
    keep = max(1, round(share * flat.numel()))
    if keep >= flat.numel():
        return [torch.ones_like(s, dtype=torch.bool) for s in scores]
    threshold = torch.kthvalue(flat, flat.numel() - keep + 1).values  # the keep-th largest
    return [s >= threshold for s in scores]


def mask_gradients(params: list, masks: list[torch.Tensor]) -> list:
    """Zero, at every backward pass, the gradient entries of `params` outside `masks`; returns the hook handles.
    Each mask is converted to its parameter's dtype once, not at every step."""
    return [p.register_hook(lambda g, m=m.to(p.dtype): g * m) for p, m in zip(params, masks)]
