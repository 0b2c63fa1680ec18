"""Batched model calls of the evaluate stage: greedy completions, next-token logits, windowed NLL.

Prompts are sorted by length so a batch holds similar lengths (little padding), padded on the left
for generation and next-token logits (the last column is then every prompt's last token), and
results are returned in the caller's order. Inputs go to the model's device (a GPU when the evaluate
stage has one) and results come back on the CPU.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from training.scoring import device_of, right_padded


def _batches(texts: Sequence[str], tok, batch_size: int):
    """(original indices, encoded batch with left padding), shortest prompts first."""
    lengths = [len(ids) for ids in tok(list(texts))["input_ids"]]
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    tok.padding_side = "left"
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        yield idx, tok([texts[i] for i in idx], return_tensors="pt", padding=True)


@torch.inference_mode()
def greedy_complete(model, tok, prompts: Sequence[str], max_new_tokens: int, batch_size: int = 16,
                    advance: Callable[[int], None] = lambda n: None) -> list[str]:
    """Greedy continuations (new text only), batched with left padding and the KV cache."""
    out: list[str] = [""] * len(prompts)
    for idx, enc in _batches(prompts, tok, batch_size):
        enc = enc.to(device_of(model))
        gen = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, use_cache=True,
                             pad_token_id=tok.pad_token_id, temperature=None, top_p=None, top_k=None)
        new = gen[:, enc["input_ids"].shape[1]:]
        for i, text in zip(idx, tok.batch_decode(new, skip_special_tokens=True)):
            out[i] = text
        advance(len(idx))
    return out


@torch.inference_mode()
def next_token_logits(model, tok, prompts: Sequence[str], batch_size: int = 16,
                      advance: Callable[[int], None] = lambda n: None) -> torch.Tensor:
    """Logits (P, V) of the token after each prompt."""
    rows: list[torch.Tensor | None] = [None] * len(prompts)
    for idx, enc in _batches(prompts, tok, batch_size):
        enc = enc.to(device_of(model))
        # Position ids from the mask, so a left-padded prompt sees the same positions as alone.
        pos = (enc["attention_mask"].cumsum(-1) - 1).clamp_min(0)
        logits = model(**enc, position_ids=pos, use_cache=False).logits[:, -1].float().cpu()
        for j, i in enumerate(idx):
            rows[i] = logits[j]
        advance(len(idx))
    return torch.stack(rows) if rows else torch.empty(0, 0)


def windows(token_lists: Sequence[Sequence[int]], size: int, max_tokens: int | None = None) -> list[list[int]]:
    """Non-overlapping windows of `size` tokens per document (a last piece of >= 2 tokens is kept).

    Over `max_tokens`, evenly spaced windows are kept, so a capped score still covers every document.
    """
    out = [list(ids[start:start + size]) for ids in token_lists for start in range(0, len(ids), size)]
    out = [piece for piece in out if len(piece) >= 2]
    total = sum(len(p) for p in out)
    if max_tokens is None or total <= max_tokens:
        return out
    keep = max(1, len(out) * max_tokens // total)
    chosen = [out[i * len(out) // keep] for i in range(keep)]
    while len(chosen) > 1 and sum(len(p) for p in chosen) > max_tokens:
        chosen.pop()
    return chosen


@torch.inference_mode()
def window_nll(model, pieces: Sequence[Sequence[int]], pad_id: int, batch_size: int = 8,
               advance: Callable[[int], None] = lambda n: None) -> tuple[float, int]:
    """(sum of next-token NLL, number of predicted tokens) over windows, batched with right padding."""
    total, count = 0.0, 0
    for start in range(0, len(pieces), batch_size):
        batch = pieces[start:start + batch_size]
        ids, mask = right_padded(batch, pad_id)
        device = device_of(model)
        ids, mask = ids.to(device), mask.to(device)
        logits = model(input_ids=ids, attention_mask=mask, use_cache=False).logits[:, :-1].float()
        targets = ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)  # padding is never scored
        total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                       ignore_index=-100, reduction="sum"))
        count += int((targets != -100).sum())
        advance(len(batch))
    return total, count
