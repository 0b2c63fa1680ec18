"""The generic-label math (docs/method.md) on tensors: no model, no store, no Python loop over positions.

Rows are trained original positions. `g` holds the subject's logits on the translated block at the
mapped position, `r` the reinforced model's logits on the original block at the same position.

Why the stored top-k decides the label for any alpha (`exact`): let T be the top-k of g (after the
forbidden rule) and t the (k+1)-th largest g value. For alpha >= 0 every adjusted value
v_j = g_j - alpha*relu(r_j - g_j) <= g_j, and g_j <= t for j outside T; so if max_T v >= t, no token
outside T beats the best of T, and the top-k argmax is a full-vocabulary argmax (ties aside).
Lowering alpha only raises v, so a position exact at alpha is exact at every smaller alpha.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

FROM_NEVER = 2**31 - 1  # forbidden_from of padding entries: never reached


@dataclass
class Batch:
    """Blocks padded into tensors (right padding; masks say what is real)."""

    block_id: torch.Tensor        # (B,)
    input_ids: torch.Tensor       # (B, T)
    attention_mask: torch.Tensor  # (B, T)
    translated_ids: torch.Tensor  # (B, Tt)
    translated_mask: torch.Tensor  # (B, Tt)
    position_map: torch.Tensor    # (B, T), -1 on padding
    forbidden_tokens: torch.Tensor  # (B, F), 0 on padding
    forbidden_from: torch.Tensor  # (B, F), FROM_NEVER on padding


def _pad(seqs: list[list[int]], fill: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max((len(s) for s in seqs), default=0)
    out = torch.full((len(seqs), max(width, 1)), fill, dtype=torch.long)
    mask = torch.zeros_like(out)
    for row, seq in enumerate(seqs):  # one copy per block, not per position
        if seq:
            out[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
            mask[row, : len(seq)] = 1
    return out, mask


def collate(blocks: list[dict]) -> Batch:
    """Rows of the `blocks` table (dicts) as one padded batch."""
    ids, mask = _pad([b["input_ids"] for b in blocks], 0)
    t_ids, t_mask = _pad([b["translated_ids"] for b in blocks], 0)
    pmap, _ = _pad([b["position_map"] for b in blocks], -1)
    f_tok, _ = _pad([b["forbidden_tokens"] or [] for b in blocks], 0)
    f_from, _ = _pad([b["forbidden_from"] or [] for b in blocks], FROM_NEVER)
    return Batch(torch.as_tensor([b["block_id"] for b in blocks], dtype=torch.long), ids, mask,
                 t_ids, t_mask, pmap[:, : ids.shape[1]], f_tok, f_from)


def forbid_everywhere(batch: Batch, tokens: list[int]) -> Batch:
    """The batch with `tokens` also forbidden from position 0 of every block (`[labels] forbid_originals`)."""
    if not tokens:
        return batch
    extra = torch.as_tensor(tokens, dtype=torch.long).expand(batch.block_id.shape[0], -1)
    return replace(batch, forbidden_tokens=torch.cat([batch.forbidden_tokens, extra], dim=1),
                   forbidden_from=torch.cat([batch.forbidden_from, torch.zeros_like(extra)], dim=1))


def trained_rows(batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(block row, original position, translated position) of every trained position.

    A position is trained when the map gives it a translated position and it has a next token.
    """
    width = batch.input_ids.shape[1]
    lengths = batch.attention_mask.sum(1)
    has_next = torch.arange(width)[None, :] < (lengths - 1)[:, None]
    rows, pos = ((batch.position_map >= 0) & has_next).nonzero(as_tuple=True)
    return rows, pos, batch.position_map[rows, pos]


def apply_forbidden(g: torch.Tensor, rows: torch.Tensor, pos: torch.Tensor,
                    forbidden_tokens: torch.Tensor, forbidden_from: torch.Tensor) -> torch.Tensor:
    """Set each token forbidden at a row's position to that row's mean logit (in place; returns g).

    forbidden_tokens/forbidden_from are per block row (B, F); `rows` says each g row's block.
    """
    if forbidden_tokens.numel() == 0 or g.shape[0] == 0:
        return g
    mean = g.mean(dim=1)  # before any replacement, as the rule says
    active = forbidden_from[rows] <= pos[:, None]          # (N, F)
    hit_row, hit_k = active.nonzero(as_tuple=True)
    tokens = forbidden_tokens[rows[hit_row], hit_k]
    g[hit_row, tokens] = mean[hit_row]
    return g


@dataclass
class Labels:
    label: torch.Tensor      # (N,) argmax of g - alpha*relu(r - g) over the full vocabulary
    topk_ids: torch.Tensor   # (N, k) ids of the k largest g, best first
    topk_g: torch.Tensor     # (N, k)
    topk_r: torch.Tensor     # (N, k)
    threshold: torch.Tensor  # (N,) the (k+1)-th largest g
    exact: torch.Tensor      # (N,) the top-k decides the label at this alpha
    exact_up_to: torch.Tensor  # (N,) the largest alpha at which the top-k still decides it


class DenseLogits:
    """Logits already computed for whole blocks, (B, T, V), read at the rows' (block row, position)."""

    def __init__(self, logits: torch.Tensor, rows: torch.Tensor, pos: torch.Tensor):
        self.logits, self.block, self.pos = logits, rows, pos

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        return self.logits[self.block[index], self.pos[index]].float()

    def at(self, index: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        return self.logits[self.block[index, None], self.pos[index, None], ids].float()


class HeadLogits:
    """Logits left as last hidden states (N, d) plus the output layer: a row costs d*V multiply-adds only when
    asked for, and k candidate values cost d*k (the reinforced model's full rows are rarely needed)."""

    def __init__(self, hidden: torch.Tensor, head: torch.nn.Linear):
        self.hidden, self.weight, self.bias = hidden, head.weight, head.bias

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.linear(self.hidden[index], self.weight, self.bias).float()

    def at(self, index: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        out = torch.einsum("nd,nkd->nk", self.hidden[index], self.weight[ids])
        return (out if self.bias is None else out + self.bias[ids]).float()


def label_rows(g: DenseLogits | HeadLogits, r: DenseLogits | HeadLogits, rows: torch.Tensor, pos: torch.Tensor,
               forbidden_tokens: torch.Tensor, forbidden_from: torch.Tensor, alpha: float, top_k: int,
               chunk: int = 64) -> Labels:
    """Generic labels of the N trained rows (block row `rows`, original position `pos`), `chunk` rows at a time.

    Per chunk: the subject's full rows, the forbidden rule, the top-k+1 of g, the reinforced values at those k
    ids only, the decision; the reinforced model's full rows only where the top-k cannot decide. A chunk's
    (chunk, V) rows stay in cache, and no (N, V) tensor is ever built, so memory does not grow with N.
    """
    parts = []
    for start in range(0, len(rows), chunk):
        index = torch.arange(start, min(start + chunk, len(rows)), device=rows.device)
        gc = apply_forbidden(g.rows(index), rows[index], pos[index], forbidden_tokens, forbidden_from)
        parts.append(_decide(gc, lambda ids, i=index: r.at(i, ids), lambda sel, i=index: r.rows(i[sel]), alpha, top_k))
    if not parts:
        empty = torch.zeros(0, top_k)
        return Labels(torch.zeros(0, dtype=torch.long), empty.long(), empty, empty, torch.zeros(0), torch.zeros(0, dtype=torch.bool),
                      torch.zeros(0))
    return Labels(*(torch.cat(field) for field in zip(*(
        (p.label, p.topk_ids, p.topk_g, p.topk_r, p.threshold, p.exact, p.exact_up_to) for p in parts))))


def generic_labels(g: torch.Tensor, r_all: torch.Tensor, rows: torch.Tensor, pos: torch.Tensor,
                   alpha: float, top_k: int) -> Labels:
    """Hard generic labels and their top-k summary. `g` (N, V) must already have the forbidden rule applied;
    r_all (B, T, V) are the reinforced logits, row n's at r_all[rows[n], pos[n]]."""
    r = DenseLogits(r_all, rows, pos)
    index = torch.arange(len(rows), device=rows.device)
    return _decide(g, lambda ids: r.at(index, ids), lambda sel: r.rows(index[sel]), alpha, top_k)


def _decide(g: torch.Tensor, r_at, r_rows, alpha: float, top_k: int) -> Labels:
    """Only the top-k of r is gathered: where the top-k is strictly decisive (max_T v > threshold) it gives the
    full-vocabulary argmax, so the full adjusted rows are computed only for the other, rare rows."""
    values, ids = fast_topk(g, top_k + 1)
    topk_ids, topk_g, threshold = ids[:, :top_k], values[:, :top_k], values[:, top_k]
    topk_r = r_at(topk_ids)
    label, best_value = _best(topk_ids, topk_g, topk_r, alpha)
    slow = (best_value <= threshold).nonzero(as_tuple=True)[0]
    if slow.numel():
        gs = g[slow]
        adjusted = (r_rows(slow) - gs).clamp_(min=0).mul_(alpha).neg_().add_(gs)
        label[slow] = adjusted.argmax(dim=1)
    return Labels(label, topk_ids, topk_g, topk_r, threshold, best_value >= threshold,
                  exact_alpha_bound(topk_g, topk_r, threshold))


def _best(topk_ids, topk_g, topk_r, alpha) -> tuple[torch.Tensor, torch.Tensor]:
    """Best adjusted candidate per row (ties: the smallest id, as a full-vocabulary argmax would pick) and its value."""
    adjusted = topk_g - (topk_r - topk_g).clamp(min=0).mul(alpha)
    best_value = adjusted.max(dim=1).values
    tied = torch.where(adjusted == best_value[:, None], topk_ids, torch.iinfo(topk_ids.dtype).max)
    return tied.min(dim=1).values, best_value


def topk_decision(topk_ids: torch.Tensor, topk_g: torch.Tensor, topk_r: torch.Tensor,
                  threshold: torch.Tensor, alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(label, exact) from the stored top-k alone: the best adjusted candidate, and whether it is provably the argmax."""
    label, best_value = _best(topk_ids, topk_g, topk_r, alpha)
    return label, best_value >= threshold


def fast_topk(x: torch.Tensor, k: int, chunk: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """torch.topk(x, k, dim=1) (sorted) in about one pass over x: the k largest values lie in the k chunks with
    the largest maxima, so only those k*chunk candidates are ranked (CPU topk over 49k columns is slow)."""
    n, width = x.shape
    if width < 8 * k * chunk:
        return x.topk(k, dim=1)
    pad = (-width) % chunk
    chunks = (torch.nn.functional.pad(x, (0, pad), value=-torch.inf) if pad else x).view(n, -1, chunk)
    best_chunks = chunks.amax(dim=2).topk(k, dim=1).indices                       # (n, k)
    cand = chunks.gather(1, best_chunks[:, :, None].expand(-1, -1, chunk)).reshape(n, k * chunk)
    values, j = cand.topk(k, dim=1)
    return values, best_chunks.gather(1, j // chunk) * chunk + j % chunk


def exact_alpha_bound(topk_g: torch.Tensor, topk_r: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
    """Largest alpha with max_T(g - alpha*relu(r-g)) >= threshold (inf if some top-k token has r <= g)."""
    gap = (topk_r - topk_g).clamp(min=0)
    room = topk_g - threshold[:, None]  # >= 0: top-k values are at least the threshold
    bound = torch.where(gap > 0, room / gap.clamp(min=torch.finfo(gap.dtype).tiny), torch.inf)
    return bound.max(dim=1).values


def rows_table(target: str, version: str, alpha: float, block_id: torch.Tensor, position: torch.Tensor,
               original: torch.Tensor, out: Labels):
    """generic_labels rows as an Arrow table, built from whole columns (no per-row Python)."""
    import pyarrow as pa

    n, k = out.topk_ids.shape

    def lists(values: torch.Tensor, kind) -> pa.ListArray:
        offsets = pa.array(range(0, n * k + 1, k), pa.int32())
        return pa.ListArray.from_arrays(offsets, pa.array(values.cpu().reshape(-1).numpy(), kind))

    def col(values: torch.Tensor, kind) -> pa.Array:
        return pa.array(values.cpu().numpy(), kind)

    return pa.table({
        "target": pa.array([target] * n, pa.string()),
        "labels_version": pa.array([version] * n, pa.string()),
        "block_id": col(block_id, pa.int64()), "position": col(position, pa.int32()),
        "original_token": col(original, pa.int32()), "label_token": col(out.label, pa.int32()),
        "alpha": pa.array([alpha] * n, pa.float32()),
        "topk_ids": lists(out.topk_ids, pa.int32()), "topk_g": lists(out.topk_g, pa.float32()),
        "topk_r": lists(out.topk_r, pa.float32()), "g_threshold": col(out.threshold, pa.float32()),
        "exact": col(out.exact, pa.bool_()), "exact_up_to_alpha": col(out.exact_up_to, pa.float32()),
    })
