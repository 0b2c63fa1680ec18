"""Membership inference: does the model still treat forget documents as seen, compared with holdout ones?

Two per-document scores (higher = "more likely trained on"):
- loss: minus the mean next-token negative log-likelihood;
- Min-K%++ (Zhang et al. 2024): per token t, z_t = (log p(x_t) - mu_t) / sigma_t where mu_t and sigma_t are
  the mean and standard deviation of log p(v) with v drawn from the model's own next-token distribution p;
  the score is the mean of the lowest k% of the z_t (at least one token).
AUC of forget (positives) vs holdout (negatives), rank-based with ties counted half (Mann-Whitney).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from corpus_tools.errors import ObliviateError
from training import intervals
from training.scoring import Scores, device_of, right_padded

SIGMA_FLOOR = 1e-8  # a one-hot next-token distribution has sigma 0: its z is then huge, not undefined


def token_stats(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(log p(target), mu, sigma), each [B, T], from logits [B, T, V] and next-token targets [B, T].

    Three vocabulary-sized tensors, not eight (3x faster on CPU, measured on [4, 255, 49152]): log p is clamped
    in place to the smallest float, so p log p and p (log p)^2 are 0, not 0 * -inf, where p underflows."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    target = logp.gather(-1, targets[..., None])[..., 0]
    logp.clamp_min_(torch.finfo(logp.dtype).min)
    plogp = logp.exp().mul_(logp)
    mu = plogp.sum(-1)
    second = plogp.mul_(logp).sum(-1)  # p (log p)^2, in place of p log p
    sigma = (second - mu * mu).clamp_min(0).sqrt()
    return target, mu, sigma


def mink_pp(target_logp: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor, mask: torch.Tensor,
            k: float = 0.2) -> torch.Tensor:
    """Min-K%++ per row [B]: mean of the lowest max(1, floor(k * n)) z-scores among masked positions."""
    z = (target_logp - mu) / sigma.clamp_min(SIGMA_FLOOR)
    z = z.masked_fill(~mask.bool(), float("inf"))  # padding sorts last and is never chosen
    n = mask.sum(-1)
    keep = (n.float() * k).floor().long().clamp_min(1)
    ranked, _ = z.sort(dim=-1)
    take = torch.arange(z.shape[-1], device=z.device)[None, :] < keep[:, None]
    score = torch.where(take, ranked, torch.zeros_like(ranked)).sum(-1) / keep
    return torch.where(n > 0, score, torch.full_like(score, float("nan")))  # one-token text: nothing predicted


def mean_nll(target_logp: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    n = mask.sum(-1)
    loss = -(target_logp * mask).sum(-1) / n.clamp_min(1)
    return torch.where(n > 0, loss, torch.full_like(loss, float("nan")))


def ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank."""
    order = np.argsort(values, kind="mergesort")
    _, inverse, counts = np.unique(values[order], return_inverse=True, return_counts=True)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = np.empty(len(values))
    out[order] = (starts + (counts + 1) / 2)[inverse]
    return out


def auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    """P(score of a positive > score of a negative) + 0.5 P(tie); nan if a side is empty."""
    p, q = np.asarray(pos, dtype=float), np.asarray(neg, dtype=float)
    if len(p) == 0 or len(q) == 0:
        return float("nan")
    r = ranks(np.concatenate([p, q]))
    return float((r[:len(p)].sum() - len(p) * (len(p) + 1) / 2) / (len(p) * len(q)))


@torch.inference_mode()
def document_scores(model, tok, texts: Sequence[str], batch_size: int = 4, k: float = 0.2,
                    max_tokens: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(mean NLL, Min-K%++) of each text, in order; one forward per batch of texts."""
    ids = [x[:max_tokens] if max_tokens else x for x in tok(list(texts))["input_ids"]] if texts else []
    nll, mkpp = np.full(len(ids), np.nan), np.full(len(ids), np.nan)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        x, mask = right_padded([ids[i] for i in idx], pad)
        x, mask = x.to(device_of(model)), mask.to(device_of(model))
        logits = model(input_ids=x, attention_mask=mask, use_cache=False).logits[:, :-1]
        target_logp, mu, sigma = token_stats(logits, x[:, 1:])
        m = mask[:, 1:]
        nll[idx] = mean_nll(target_logp, m).cpu().numpy()
        mkpp[idx] = mink_pp(target_logp, mu, sigma, m, k).cpu().numpy()
    return nll, mkpp


def score_membership(model, tok, items: Sequence[dict], batch_size: int = 4, k: float = 0.2,
                     max_tokens: int | None = None, prefix: str = "membership") -> Scores:
    """Per-document loss and Min-K%++, and their forget-vs-holdout AUC with a bootstrap interval.

    items: `eval_items` rows of kind "membership" ({"item_id", "split", "text"}). Summaries:
    `{prefix}_auc_loss`, `{prefix}_auc_mink_pp` (flagged below chance under 0.5: forget documents then look
    *less* familiar than unseen ones, itself a trace of unlearning), and the mean score per split.
    """
    nll, mkpp = document_scores(model, tok, [it["text"] for it in items], batch_size, k, max_tokens)
    out = Scores()
    for i, it in enumerate(items):
        out.per_item += [{"item_id": it["item_id"], "split": it["split"], "metric": f"{prefix}_loss",
                          "value": float(nll[i]), "output": None},
                         {"item_id": it["item_id"], "split": it["split"], "metric": f"{prefix}_mink_pp",
                          "value": float(mkpp[i]), "output": None}]
    forget = np.array([it["split"] == "forget" for it in items], dtype=bool)
    for name, member_score in (("loss", -nll), ("mink_pp", mkpp)):
        pos, neg = member_score[forget], member_score[~forget]
        low, high = intervals.bootstrap_auc(pos, neg)
        out.summary[f"{prefix}_auc_{name}"] = {"value": auc(pos, neg), "n": len(items), "ci_low": low,
                                               "ci_high": high, "below_chance": intervals.below_chance(high, 0.5)}
    for split in sorted({it["split"] for it in items}):
        sel = np.array([it["split"] == split for it in items])
        out.summary[f"{prefix}_loss_{split}"] = intervals.mean(nll[sel].tolist())
    return out


def auc_gap(model_scores: Scores, reference_scores: Scores, prefix: str = "membership") -> Scores:
    """The unlearned model's AUC minus a never-trained reference's, on the same items, paired bootstrap interval.

    Also MUSE's PrivLeak = (AUC - AUC_ref) / AUC_ref. Near 0: forget documents look as unseen as to a model that
    never saw them; positive: still recognised; negative: over-unlearned (a detectable trace too).
    """
    out = Scores()
    for name, metric in (("loss", f"{prefix}_loss"), ("mink_pp", f"{prefix}_mink_pp")):
        a, b = _by_item(model_scores, metric), _by_item(reference_scores, metric)
        if set(a) != set(b):
            raise ObliviateError(f"auc_gap: the two models were scored on different {metric} items")
        keys = sorted(a)
        forget = np.array([a[key][0] == "forget" for key in keys])
        sign = -1.0 if name == "loss" else 1.0
        va, vb = sign * np.array([a[key][1] for key in keys]), sign * np.array([b[key][1] for key in keys])
        auc_a, auc_b = auc(va[forget], va[~forget]), auc(vb[forget], vb[~forget])
        low, high = intervals.bootstrap_auc_diff(va[forget], va[~forget], vb[forget], vb[~forget])
        out.summary[f"{prefix}_auc_gap_{name}"] = {"value": auc_a - auc_b, "n": len(keys), "ci_low": low,
                                                   "ci_high": high, "below_chance": None}
        out.summary[f"{prefix}_privleak_{name}"] = {"value": (auc_a - auc_b) / auc_b if auc_b else float("nan"),
                                                    "n": len(keys), "ci_low": None, "ci_high": None,
                                                    "below_chance": None}
    return out


def _by_item(scores: Scores, metric: str) -> dict[str, tuple[str, float]]:
    return {r["item_id"]: (r["split"], r["value"]) for r in scores.per_item if r["metric"] == metric}
