"""The forget / holdout split of a target's documents: which documents unlearning may see.

A document's side is decided by a hash of its doc_id (and a seed), never by its position in the
corpus, so adding, removing or reordering other documents does not move it, and every machine
agrees. With seed 0 the rule is exactly the one `training.eval_data.heldout` has always used, so the
documents held back for `target_generic_perplexity` are the holdout documents. See docs/evaluation.md.
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Literal

import pyarrow as pa

from corpus_tools.errors import ObliviateError

Split = Literal["forget", "holdout"]
FORGET, HOLDOUT = "forget", "holdout"


def hash_unit(doc_id: str, seed: int = 0) -> float:
    """A number in [0, 1] fixed by (doc_id, seed): the first 32 bits of a SHA-256."""
    key = doc_id if seed == 0 else f"{seed}:{doc_id}"
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def split_of(doc_id: str, share: float = 0.2, seed: int = 0) -> Split:
    """"holdout" for about `share` of all doc ids, "forget" for the rest."""
    if not 0 <= share <= 1:
        raise ObliviateError(f"holdout share must be in [0, 1], got {share}")
    return HOLDOUT if hash_unit(doc_id, seed) < share else FORGET


def split_documents(doc_ids: Iterable[str], share: float = 0.2, seed: int = 0) -> dict[str, Split]:
    """{doc_id: split} for a corpus; a corpus of two or more documents gets at least one of each side, a corpus
    of one document keeps it on the forget side (unlearning needs something to train on).

    On a tiny corpus the hash rule can leave a side empty; the document with the lowest hash then
    moves to holdout (or the highest to forget), which still does not depend on document order.
    """
    ids = sorted(set(doc_ids))
    if len(ids) == 1:  # one document (a single book file): it must be trained on; no holdout side exists
        return {ids[0]: FORGET}
    out: dict[str, Split] = {d: split_of(d, share, seed) for d in ids}
    if len(ids) >= 2 and 0 < share < 1:
        ranked = sorted(ids, key=lambda d: (hash_unit(d, seed), d))
        if HOLDOUT not in out.values():
            out[ranked[0]] = HOLDOUT
        if FORGET not in out.values():
            out[ranked[-1]] = FORGET
    return out


def filter_rows(rows, splits: dict[str, Split], keep: Split = FORGET):
    """The rows (a list of dicts or an Arrow table with a doc_id column) whose document is on side `keep`.

    A doc_id missing from `splits` is an error: silently training on an unassigned document would leak
    holdout text into unlearning.
    """
    if keep not in (FORGET, HOLDOUT):
        raise ObliviateError(f"split must be 'forget' or 'holdout', got {keep!r}")
    if isinstance(rows, pa.Table):
        ids = rows.column("doc_id").to_pylist()
        _check_known(ids, splits)
        return rows.filter(pa.array([splits[d] == keep for d in ids], type=pa.bool_()))
    rows = list(rows)
    _check_known([r["doc_id"] for r in rows], splits)
    return [r for r in rows if splits[r["doc_id"]] == keep]


def _check_known(ids: list[str], splits: dict[str, Split]) -> None:
    missing = sorted({d for d in ids if d not in splits})
    if missing:
        raise ObliviateError(f"doc_id {missing[0]!r} has no forget/holdout assignment ({len(missing)} such documents)")
