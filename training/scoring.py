"""Batched, device-aware model calls shared by the forgetting metrics: greedy continuations and
per-token log-probabilities of given continuations.

One forward (or one `generate`) per batch; everything per position is a tensor operation. Inputs
are moved to the model's device, so the same calls serve a CPU evaluation and a GPU relearning run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch


def device_of(model) -> torch.device:
    return next(model.parameters()).device


def _ensure_pad(tok) -> None:
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token


def _order(lengths: Sequence[int]) -> list[int]:
    """Indices shortest first, so a batch holds similar lengths (little padding)."""
    return sorted(range(len(lengths)), key=lambda i: lengths[i])


@torch.inference_mode()
def greedy_ids(model, tok, prompts: Sequence[str], max_new_tokens: int, batch_size: int = 16) -> list[list[int]]:
    """The greedy continuation of each prompt as token ids (at most `max_new_tokens`, stops at EOS), in order."""
    _ensure_pad(tok)
    tok.padding_side = "left"  # the last column is then every prompt's last token
    lengths = [len(ids) for ids in tok(list(prompts))["input_ids"]] if prompts else []
    order, out = _order(lengths), [[] for _ in prompts]
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        enc = tok([prompts[i] for i in idx], return_tensors="pt", padding=True).to(device_of(model))
        gen = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, use_cache=True,
                             pad_token_id=tok.pad_token_id, temperature=None, top_p=None, top_k=None)
        new = gen[:, enc["input_ids"].shape[1]:].tolist()
        for i, ids in zip(idx, new):
            # generate pads finished rows with the pad token (= EOS here): cut at the first EOS
            out[i] = ids[:ids.index(tok.eos_token_id)] if tok.eos_token_id in ids else ids
    return out


def greedy_texts(model, tok, prompts: Sequence[str], max_new_tokens: int | Sequence[int],
                 batch_size: int = 16) -> list[str]:
    """Greedy continuations as text; a list of lengths gives each prompt its own token budget."""
    per = [max_new_tokens] * len(prompts) if isinstance(max_new_tokens, int) else list(max_new_tokens)
    ids = greedy_ids(model, tok, prompts, max(per, default=1), batch_size)
    return [tok.decode(x[:n], skip_special_tokens=True) for x, n in zip(ids, per)]


def right_padded(seqs: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """[N, T] ids and attention mask of ragged token lists, padded on the right."""
    width = max((len(s) for s in seqs), default=0)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, s in enumerate(seqs):
        ids[row, :len(s)] = torch.as_tensor(list(s), dtype=torch.long)
        mask[row, :len(s)] = 1
    return ids, mask


@torch.inference_mode()
def continuation_logprobs(model, tok, prompts: Sequence[str], continuations: Sequence[str],
                          batch_size: int = 16) -> torch.Tensor:
    """Mean token log-probability of each continuation right after its prompt, shape [N].

    The continuation is tokenised on its own and appended to the prompt's ids (a leading space stays
    part of its first token), so two candidate continuations are scored after identical context ids.
    """
    _ensure_pad(tok)
    p_ids = tok(list(prompts))["input_ids"] if prompts else []
    c_ids = tok(list(continuations), add_special_tokens=False)["input_ids"] if continuations else []
    seqs = [p + c for p, c in zip(p_ids, c_ids)]
    out = torch.full((len(seqs),), float("nan"))
    order = _order([len(s) for s in seqs])
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        ids, mask = right_padded([seqs[i] for i in idx], tok.pad_token_id)
        ids, mask = ids.to(device_of(model)), mask.to(device_of(model))
        logits = model(input_ids=ids, attention_mask=mask, use_cache=False).logits[:, :-1].float()
        target = ids[:, 1:]
        logp = logits.gather(-1, target[..., None])[..., 0] - logits.logsumexp(-1)
        # position t predicts token t+1: the continuation's tokens are targets len(p)-1 .. len(p)+len(c)-2
        pos = torch.arange(target.shape[1], device=ids.device)[None, :]
        first = torch.tensor([len(p_ids[i]) - 1 for i in idx], device=ids.device)[:, None]
        count = torch.tensor([len(c_ids[i]) for i in idx], device=ids.device)[:, None]
        sel = (pos >= first) & (pos < first + count)
        n = sel.sum(-1)
        means = torch.where(n > 0, (logp * sel).sum(-1) / n.clamp_min(1), torch.full_like(n, float("nan"), dtype=logp.dtype))
        out[torch.tensor(idx)] = means.cpu()
    return out


@dataclass
class Scores:
    """What every forgetting metric returns: one row per (item, metric) and one summary per aggregate metric.

    per_item: {"item_id", "split", "metric", "value", "output"} (output: the model's text, if any).
    summary: {metric_name: {"value", "n", "ci_low", "ci_high", "below_chance"}} (see training/intervals.py).
    """

    per_item: list[dict] = field(default_factory=list)
    summary: dict[str, dict] = field(default_factory=dict)

    def update(self, other: "Scores") -> "Scores":
        self.per_item += other.per_item
        self.summary |= other.summary
        return self


def metric_rows(scores: Scores, **ids) -> list[dict]:
    """`metrics` table rows of a summary; `ids` gives target, model_role, model_version, evaluate_version, method."""
    return [{**ids, "metric": name, "value": float(s["value"]), "n": int(s["n"]), "ci_low": s.get("ci_low"),
             "ci_high": s.get("ci_high"), "below_chance": s.get("below_chance")} for name, s in scores.summary.items()]


def score_rows(scores: Scores, **ids) -> list[dict]:
    """`eval_scores` table rows (one per item and metric); `ids` as for metric_rows."""
    return [{**ids, **row} for row in scores.per_item]
