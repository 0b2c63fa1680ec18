"""Training data never holds a holdout block: the readers every training stage uses keep forget blocks only."""

from __future__ import annotations

import pytest

from corpus_tools.errors import ObliviateError
from corpus_tools.store import Store
from training.data import next_token_data, unlearn_data


def _blocks(store: Store, splits: list[str | None], version: str):
    rows = []
    for b, split in enumerate(splits):
        ids = [10 + b, 20 + b, 30 + b, 40 + b]  # block b is recognisable by its first token
        row = dict(target="t", blocks_version=version, block_id=b, doc_id=f"d{b}", input_ids=ids, translated_ids=ids,
                   position_map=[0, 1, 2, -1], forbidden_tokens=[], forbidden_from=[], n_trained=3)
        rows.append(row | ({"split": split} if split else {}))
    with store.create("blocks", "t", version, parents={}, settings={}, code_version="test") as st:
        st.write("blocks", rows)
    return store.require("blocks", "t", version)


def test_next_token_data_keeps_forget_blocks_only(tmp_path):
    store = Store(tmp_path)
    blocks = _blocks(store, ["forget", "holdout", "forget", "holdout"], "b")
    data = next_token_data(store, blocks, pad_id=0)
    assert data.input_ids[:, 0].tolist() == [10, 12]
    assert data.labels[0].tolist() == [20, 30, 40, -100]
    assert next_token_data(store, blocks, pad_id=0, split="holdout").input_ids[:, 0].tolist() == [11, 13]
    assert next_token_data(store, blocks, pad_id=0, split=None).input_ids.shape[0] == 4


def test_all_forget_and_old_blocks_keep_every_block(tmp_path):
    store = Store(tmp_path)
    assert next_token_data(store, _blocks(store, ["forget"] * 3, "a"), pad_id=0).input_ids.shape[0] == 3
    old = _blocks(store, [None, None], "old")  # made before the split column: everything was trained on
    assert next_token_data(store, old, pad_id=0).input_ids.shape[0] == 2
    with pytest.raises(ObliviateError, match="no forget blocks"):
        next_token_data(store, _blocks(store, ["holdout"], "h"), pad_id=0)


def test_unlearn_data_reads_forget_blocks_and_their_labels(tmp_path):
    store = Store(tmp_path)
    blocks = _blocks(store, ["holdout", "forget", "forget"], "b")
    labels = [dict(target="t", labels_version="l", block_id=b, position=1, original_token=0, label_token=99, alpha=5.0)
              for b in (1, 2)]
    with store.create("labels", "t", "l", parents={"blocks": "b"}, settings={}, code_version="test") as st:
        st.write("generic_labels", labels)
    data = unlearn_data(store, blocks, store.require("labels", "t", "l"), pad_id=0)
    assert data.input_ids[:, 0].tolist() == [11, 12]
    assert data.labels.tolist() == [[-100, 99, -100, -100]] * 2


def test_a_one_document_corpus_is_trained_on():
    from training.holdout import split_documents

    assert all(split_documents([d], 0.99) == {d: "forget"} for d in ("book", "a", "b", "c"))
