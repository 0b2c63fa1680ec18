"""Training data from stored tables: blocks and generic labels read through Hugging Face `datasets`.

Everything becomes padded tensors once (a corpus of a million tokens is a few MB of ids), so the
training loop indexes tensors and never touches Python objects per position.
`labels[b, i]` is the target of the logits at position i of block b (no shift left to do), -100 = no loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import torch

from corpus_tools.errors import ObliviateError
from corpus_tools.store import Artifact, Store

IGNORE = -100


@dataclass
class TrainData:
    input_ids: torch.Tensor        # [N, T] long, right-padded
    attention_mask: torch.Tensor   # [N, T] long
    labels: torch.Tensor           # [N, T] long, IGNORE where no loss
    soft_index: torch.Tensor | None = None  # [N, T] long: row of soft_ids/soft_p, -1 where no loss
    soft_ids: torch.Tensor | None = None    # [M, k] long: candidate tokens of each labelled position
    soft_p: torch.Tensor | None = None      # [M, k] float: their target probabilities

    def __len__(self) -> int:
        return self.input_ids.shape[0]

    def batch(self, rows: torch.Tensor) -> dict[str, torch.Tensor]:
        out = {"input_ids": self.input_ids[rows], "attention_mask": self.attention_mask[rows],
               "labels": self.labels[rows]}
        if self.soft_index is not None:
            idx = self.soft_index[rows]
            picked = idx[idx >= 0]  # row-major, the order of logits[labels != IGNORE]
            out |= {"soft_ids": self.soft_ids[picked], "soft_p": self.soft_p[picked]}
        return out

    @property
    def n_tokens(self) -> int:
        return int(self.attention_mask.sum())


def parquet_dataset(store: Store, artifact: Artifact, table: str, columns: list[str]):
    """One table of an artifact as a `datasets.Dataset` backed by its Parquet parts."""
    import datasets

    files = sorted(str(p) for p in (artifact.path / table).glob("part-*.parquet"))
    if not files:
        raise ObliviateError(f"{artifact.kind} artifact {artifact.version} of {artifact.target!r} has no {table} rows")
    datasets.disable_progress_bars()
    return datasets.Dataset.from_parquet(files, columns=columns, cache_dir=str(store.root / "cache" / "datasets"))


def _padded(column: pa.ChunkedArray, pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A list<int> column as a right-padded [N, T] tensor and its lengths, without a Python loop."""
    arr = column.combine_chunks()
    lengths = np.diff(arr.offsets.to_numpy())
    values = arr.flatten().to_numpy(zero_copy_only=False).astype(np.int64)
    width = int(lengths.max()) if len(lengths) else 0
    out = np.full((len(lengths), width), pad_id, dtype=np.int64)
    out[np.arange(width)[None, :] < lengths[:, None]] = values
    return torch.from_numpy(out), torch.from_numpy(lengths)


def has_split(blocks: Artifact) -> bool:
    """Whether the blocks table records a forget / holdout split (blocks_v4 and later)."""
    import pyarrow.parquet as pq

    first = next(iter(sorted((blocks.path / "blocks").glob("part-*.parquet"))), None)
    return first is not None and "split" in pq.read_schema(first).names


def split_filter(table: pa.Table, split: str | None) -> pa.Table:
    """The rows of a blocks table on side `split` ("forget" / "holdout"; None: all). Blocks made before the split
    existed (no split column, or null) were all trained on: they count as forget."""
    if split is None or "split" not in table.column_names:
        return table if split in (None, "forget") else table.slice(0, 0)
    return table.filter(pa.compute.equal(pa.compute.fill_null(table.column("split"), "forget"), split))


def block_rows(store: Store, blocks: Artifact, columns: list[str], split: str | None = "forget") -> pa.Table:
    """The given columns of the blocks table, rows on side `split` only, in the order every training table uses."""
    ds = parquet_dataset(store, blocks, "blocks", columns + (["split"] if has_split(blocks) else []))
    return split_filter(ds.data.table if hasattr(ds.data, "table") else ds.data, split)


def token_rows(pieces: list[list[int]], width: int, pad_id: int = 0) -> TrainData:
    """Token lists (each at most `width` long) as right-padded rows with plain next-token labels."""
    lengths = torch.tensor([len(p) for p in pieces], dtype=torch.long)
    ids = torch.full((len(pieces), width), pad_id, dtype=torch.long)
    mask = (torch.arange(width)[None, :] < lengths[:, None]).long()
    ids[mask.bool()] = torch.tensor([t for p in pieces for t in p], dtype=torch.long)
    return TrainData(ids, mask, next_token_labels(ids, mask))


def _blocks(store: Store, blocks: Artifact, pad_id: int, split: str | None = "forget", translated: bool = False):
    data = block_rows(store, blocks, ["block_id", "input_ids"] + (["translated_ids", "position_map"] if translated else []),
                      split)
    if data.num_rows == 0:
        raise ObliviateError(f"blocks {blocks.version}: no {split} blocks to train on (holdout_share too high?)")
    ids, lengths = _padded(data.column("input_ids"), pad_id)
    if len(lengths) == 0 or int(lengths.min()) < 2:
        raise ObliviateError(f"blocks {blocks.version}: every block needs at least 2 tokens")
    mask = (torch.arange(ids.shape[1])[None, :] < lengths[:, None]).long()
    out = data.column("block_id").to_numpy(), ids, mask, lengths
    if translated:
        out += (_padded(data.column("translated_ids"), pad_id), _padded(data.column("position_map"), -1)[0])
    return out


def next_token_labels(ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The plain causal-LM labels of right-padded blocks: position i's target is token i+1 of its block."""
    labels = torch.full_like(ids, IGNORE)
    labels[:, :-1] = ids[:, 1:].masked_fill(mask[:, 1:] == 0, IGNORE)
    return labels


def next_token_data(store: Store, blocks: Artifact, pad_id: int, split: str | None = "forget") -> TrainData:
    """Plain causal-LM data: position i is trained to predict token i+1 of the same block.

    Only the blocks on side `split` (default: forget; holdout blocks are never trained on, docs/evaluation.md).
    """
    _, ids, mask, _ = _blocks(store, blocks, pad_id, split)
    return TrainData(ids, mask, next_token_labels(ids, mask))


def unlearn_data(store: Store, blocks: Artifact, labels: Artifact, pad_id: int, soft: bool = False,
                 decode=None, anchors_only: bool = False) -> TrainData:
    """Original input ids with generic labels as targets (hard: label_token; soft: top-k distribution).

    Forget blocks only; labels exist only for forget blocks (training/labels.py). With `decode` (a token
    id -> text function), only the positions that predict a content token of the original text keep their
    label (`content_positions`); with `anchors_only`, only those whose next token the translation changed
    (`anchor_positions`)."""
    loaded = _blocks(store, blocks, pad_id, "forget", translated=anchors_only)
    block_ids, ids, mask, lengths = loaded[:4]
    columns = ["block_id", "position", "label_token"] + (["alpha", "topk_ids", "topk_g", "topk_r"] if soft else [])
    ds = parquet_dataset(store, labels, "generic_labels", columns)
    data = ds.data.table if hasattr(ds.data, "table") else ds.data
    rows = _rows_of(block_ids, data.column("block_id").to_numpy(), labels)
    pos = torch.from_numpy(data.column("position").to_numpy().astype(np.int64))
    bad = pos >= lengths[rows]
    if bool(bad.any()):
        raise ObliviateError(f"labels {labels.version}: position {int(pos[bad][0])} is past the end of its block")
    target = torch.full_like(ids, IGNORE)
    target[rows, pos] = torch.from_numpy(data.column("label_token").to_numpy().astype(np.int64))
    keep = content_positions(ids, lengths, decode) if decode is not None else None
    if anchors_only:
        changed = _changed(loaded)
        keep = changed if keep is None else keep & changed
    out = TrainData(ids, mask, target)
    if soft:
        k_ids = _matrix(data.column("topk_ids")).long()
        g, r = _matrix(data.column("topk_g")).float(), _matrix(data.column("topk_r")).float()
        alpha = torch.from_numpy(data.column("alpha").to_numpy().astype(np.float32))[:, None]
        index = torch.full_like(ids, -1)
        index[rows, pos] = torch.arange(len(rows))
        out.soft_index, out.soft_ids = index, k_ids
        out.soft_p = torch.softmax(g - alpha * torch.relu(r - g), dim=-1)
    return out if keep is None else restrict(out, keep)


def restrict(data: TrainData, keep: torch.Tensor) -> TrainData:
    """`data` with its labels (and soft targets) only where `keep` ([N, T] bool) holds."""
    labels = torch.where(keep, data.labels, torch.full_like(data.labels, IGNORE))
    index = None if data.soft_index is None else torch.where(keep, data.soft_index, torch.full_like(data.soft_index, -1))
    return TrainData(data.input_ids, data.attention_mask, labels, index, data.soft_ids, data.soft_p)


def content_positions(ids: torch.Tensor, lengths: torch.Tensor, decode, capitalised: bool = False) -> torch.Tensor:
    """[N, T] bool: position i predicts a content token of the block, token i+1 (docs/method.md).

    A token is generic, as in the forbidden-token rule (corpus_tools/align.py), when it has no letter, or
    when it is a whole function word or one of the ~150 most frequent English words (" the", ",", " said");
    a frequent word that starts a longer word (" Her" of "Hermione": the next token continues it without
    a space) is content. With `capitalised`, only content tokens whose text starts with a capital letter
    count: the name slots (" Frodo", " Camel|ot"; also a capitalised word opening a sentence). The decisions
    are made once per distinct token id in `ids`, then looked up as tensors."""
    from corpus_tools.align import generic_word

    uniq = torch.unique(ids).tolist()
    size = max(uniq) + 1 if uniq else 1
    letters, generic, continues, capital = (torch.zeros(size, dtype=torch.bool) for _ in range(4))
    for tid in uniq:  # distinct ids of the corpus (thousands), not the vocabulary
        text = decode(tid)
        word = text.strip()
        letters[tid] = any(ch.isalpha() for ch in word)
        generic[tid] = word.isalpha() and generic_word(word)
        continues[tid] = text[:1].isalpha()
        capital[tid] = word[:1].isupper()
    nxt = ids[:, 1:]
    goes_on = torch.zeros_like(nxt, dtype=torch.bool)  # token i+2 continues the word of token i+1
    goes_on[:, :-1] = continues[ids[:, 2:]]
    last = torch.arange(ids.shape[1], device=ids.device)[None, :] >= (lengths[:, None] - 1)
    content = letters[nxt] & (~generic[nxt] | goes_on)
    if capitalised:
        content &= capital[nxt]
    out = torch.zeros_like(ids, dtype=torch.bool)
    out[:, :-1] = content
    return out & ~last


def anchor_positions(ids: torch.Tensor, lengths: torch.Tensor, translated: torch.Tensor, t_lengths: torch.Tensor,
                     position_map: torch.Tensor) -> torch.Tensor:
    """[N, T] bool: position i predicts a token that the translation changed (docs/method.md).

    Position i is mapped to translated position m = position_map[i] (-1: no loss); its generic label is
    read where the translated text continues with token m+1. Where that token equals the original token
    i+1, both texts go on alike (" the", " said", " castle" outside any anchor) and the label carries no
    knowledge of the target; where they differ, the original goes on with an anchored term (" Hog" of
    "Hogwarts" where the translation has " Coll"), the positions that hold what the model knows of the
    target. A translated text that ends at m counts as changed."""
    width = ids.shape[1]
    nxt = torch.full_like(ids, -1)
    nxt[:, :-1] = ids[:, 1:]
    m = position_map  # one entry per original token: the same padded width as ids
    inside = (m >= 0) & (m + 1 < t_lengths[:, None])
    t_next = torch.full_like(ids, -2)
    t_next[inside] = translated.gather(1, (m + 1).clamp(0, translated.shape[1] - 1))[inside]
    has_next = torch.arange(width)[None, :] < (lengths[:, None] - 1)
    return (m >= 0) & has_next & (t_next != nxt)


def translated_data(store: Store, blocks: Artifact, pad_id: int, width: int) -> TrainData:
    """The translation of each forget block (the generic text), rows in `unlearn_data`'s order, cut or padded to
    `width` tokens, with plain next-token labels: the text WHP's `translated_weight` keeps the subject's predictions
    on (docs/method.md)."""
    loaded = _blocks(store, blocks, pad_id, "forget", translated=True)
    t_ids, t_lengths = loaded[4]
    ids = torch.full((len(t_ids), width), pad_id, dtype=torch.long)
    n = min(width, t_ids.shape[1])
    ids[:, :n] = t_ids[:, :n]
    mask = (torch.arange(width)[None, :] < t_lengths.clamp(max=width)[:, None]).long()
    return TrainData(ids, mask, next_token_labels(ids, mask))


def anchored_next_tokens(store: Store, blocks: Artifact, pad_id: int) -> TrainData:
    """The forget blocks with, as targets, the original next token at each position whose next token the
    translation changed (`anchor_positions`: the first token of an anchored term, " Hog" after " at") and
    IGNORE elsewhere. Rows in the order of `unlearn_data`'s; the forget-side term of WHP reads it."""
    loaded = _blocks(store, blocks, pad_id, "forget", translated=True)
    ids, mask = loaded[1], loaded[2]
    nxt = torch.full_like(ids, IGNORE)
    nxt[:, :-1] = ids[:, 1:]
    return TrainData(ids, mask, torch.where(_changed(loaded), nxt, torch.full_like(nxt, IGNORE)))


def _changed(loaded: tuple) -> torch.Tensor:
    """`anchor_positions` of what `_blocks(..., translated=True)` returned."""
    _, ids, _, lengths, (translated, t_lengths), position_map = loaded
    return anchor_positions(ids, lengths, translated, t_lengths, position_map)


def _rows_of(block_ids: np.ndarray, wanted: np.ndarray, labels: Artifact) -> torch.Tensor:
    """Row index in the blocks table of each labelled block id."""
    order = np.argsort(block_ids, kind="stable")
    at = np.clip(np.searchsorted(block_ids[order], wanted), 0, max(len(order) - 1, 0))
    found = block_ids[order][at] == wanted
    if not found.all():
        raise ObliviateError(f"labels {labels.version}: block {int(wanted[~found][0])} is not in the blocks table")
    return torch.from_numpy(order[at].astype(np.int64))


def _matrix(column: pa.ChunkedArray) -> torch.Tensor:
    arr = column.combine_chunks()
    k = int(np.diff(arr.offsets.to_numpy()).max()) if len(arr) else 0
    return torch.from_numpy(arr.flatten().to_numpy(zero_copy_only=False).reshape(len(arr), k).copy())


@dataclass
class ForgetData:
    """Forget blocks, optionally paired with retain blocks (one per forget row, drawn in turn) and with their own
    translations (`translated`: row i is forget row i's generic text; flagged "translated" in a batch)."""

    forget: TrainData
    retain: TrainData | None = None
    ref_logp: torch.Tensor | None = None  # [N] (NPO) or [N, T] (WHP's forget term) log-probs under the frozen subject
    anchor_targets: torch.Tensor | None = None  # [N, T] WHP's forget term: original anchored tokens, IGNORE elsewhere
    retain_slots: torch.Tensor | None = None  # [R, T] bool, WHP's retain_slot_weight: retain positions before a name
    translated: TrainData | None = None  # [N, T] WHP's translated_weight: the forget rows' translations, same order
    drawn: int = 0

    def __len__(self) -> int:
        return len(self.forget)

    @property
    def n_tokens(self) -> int:
        extra = 0 if self.retain is None else self.retain.n_tokens * len(self.forget) // max(len(self.retain), 1)
        return self.forget.n_tokens + extra + (0 if self.translated is None else self.translated.n_tokens)

    def batch(self, rows: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.forget.batch(rows)
        out["forget"] = torch.ones(len(rows), dtype=torch.bool)
        if self.ref_logp is not None:
            out["ref_logp"] = self.ref_logp[rows]
        if self.anchor_targets is not None:
            out["anchor_targets"] = self.anchor_targets[rows]
        if self.retain is not None:
            idx = (torch.arange(len(rows)) + self.drawn) % len(self.retain)
            self.drawn += len(rows)
            kept = self.retain.batch(idx)
            out |= {k: torch.cat([out[k], kept[k]]) for k in ("input_ids", "attention_mask", "labels")}
            out["forget"] = torch.cat([out["forget"], torch.zeros(len(idx), dtype=torch.bool)])
            if self.retain_slots is not None:  # one row per retain row of the batch, in their order
                out["retain_slots"] = self.retain_slots[idx]
        if self.translated is not None:
            kept = self.translated.batch(rows)
            out |= {k: torch.cat([out[k], kept[k]]) for k in ("input_ids", "attention_mask", "labels")}
            n = len(out["forget"])
            out["forget"] = torch.cat([out["forget"], torch.zeros(len(rows), dtype=torch.bool)])
            out["translated"] = torch.arange(n + len(rows)) >= n
        return out
