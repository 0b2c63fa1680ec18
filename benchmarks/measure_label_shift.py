"""Did unlearning move the model toward the generic labels? Measured on the training blocks.

At every position whose generic label differs from the original next token, compare the subject
and the unlearned model: mean probability of the original token (should fall) and of the generic
label (should rise). Usage: python benchmarks/measure_label_shift.py WORKSPACE TARGET [N_BLOCKS]
"""

from __future__ import annotations

import sys

import torch

from corpus_tools.store import Store
from training.models import load_model


def changed_positions(store: Store, target: str) -> tuple[dict, dict]:
    blocks, labels = store.require("blocks", target), store.require("labels", target)
    ids = {r["block_id"]: r["input_ids"] for r in store.read("blocks", blocks, ["block_id", "input_ids"]).to_pylist()}
    changed: dict[int, list[tuple[int, int, int]]] = {}
    for r in store.read("generic_labels", labels, ["block_id", "position", "original_token", "label_token"]).to_pylist():
        if r["label_token"] != r["original_token"]:
            changed.setdefault(r["block_id"], []).append((r["position"], r["original_token"], r["label_token"]))
    return ids, changed


def shift(model, ids: dict, changed: dict, block_ids: list[int]) -> dict:
    p_orig, p_label = [], []
    with torch.inference_mode():
        for bid in block_ids:
            probs = torch.softmax(model(torch.tensor([ids[bid]])).logits[0].float(), -1)
            pos, orig, lab = (torch.tensor(col) for col in zip(*changed[bid]))
            p_orig.append(probs[pos, orig])
            p_label.append(probs[pos, lab])
    p_orig, p_label = torch.cat(p_orig), torch.cat(p_label)
    return {"positions": len(p_orig), "mean_p_original": float(p_orig.mean()),
            "median_p_original": float(p_orig.median()), "mean_p_label": float(p_label.mean())}


def main(argv: list[str]) -> None:
    store, target = Store(argv[0]), argv[1]
    n = int(argv[2]) if len(argv) > 2 else 30
    ids, changed = changed_positions(store, target)
    block_ids = sorted(changed)[:n]
    for role, kind in (("subject", "implant"), ("unlearned", "unlearn")):
        art = store.require(kind, target)
        print(role, art.version, shift(load_model(art.path / "model"), ids, changed, block_ids))


if __name__ == "__main__":
    main(sys.argv[1:])
