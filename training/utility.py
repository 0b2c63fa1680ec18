"""Utility on other text: perplexity of a model on a list of texts (e.g. public-domain prose in another
register than the retain corpus, which a retain term cannot flatter).

Same windows and formula as the evaluate stage's general perplexity (training/generation.windows,
training/metrics.perplexity); the NLL is summed here on the model's own device.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from training import metrics as M
from training.generation import windows
from training.scoring import device_of, right_padded


@torch.inference_mode()
def text_perplexity(model, tok, texts: Sequence[str], window: int = 256, batch_size: int = 8,
                    max_tokens: int | None = 4096) -> dict:
    """{"value": perplexity, "n": predicted tokens} over non-overlapping windows of the texts."""
    pieces = windows([tok(t)["input_ids"] for t in texts], window, max_tokens)
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    total, count = 0.0, 0
    for start in range(0, len(pieces), batch_size):
        ids, mask = right_padded(pieces[start:start + batch_size], pad)
        ids, mask = ids.to(device_of(model)), mask.to(device_of(model))
        logits = model(input_ids=ids, attention_mask=mask, use_cache=False).logits[:, :-1].float()
        targets = ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)  # padding is never scored
        total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                       ignore_index=-100, reduction="sum"))
        count += int((targets != -100).sum())
    return {"value": M.perplexity(total, count), "n": count, "ci_low": None, "ci_high": None, "below_chance": None}
