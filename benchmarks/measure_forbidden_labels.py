"""How often the generic label restarts a replacement name, under two blocks versions' forbidden lists.

The forbidden rule acts on the subject's logits g on the translated block, before the reinforced
model enters, so its effect shows in the alpha-0 label argmax(g after the rule), which needs one
model and no training. With the pretrained scenario's subject (the base model, the default here)
this takes one forward pass over the translated blocks. A label *restarts a replacement* when it is
a translation's first piece that the newer version forbids at that position (its anchor already
appeared in the block). docs/alignment.md has the results.
Usage: python benchmarks/measure_forbidden_labels.py WORKSPACE TARGET OLD_VERSION NEW_VERSION [MODEL]
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter

import torch

from corpus_tools.store import Store
from training import generic
from training.labels import BLOCK_COLUMNS
from training.models import load_model, resolve_model

BATCH = 4


def active_sets(batch: generic.Batch, rows: torch.Tensor, pos: torch.Tensor) -> list[set[int]]:
    """Per trained row, the tokens its block forbids at that position."""
    on = batch.forbidden_from[rows] <= pos[:, None]
    return [set(batch.forbidden_tokens[r][m].tolist()) for r, m in zip(rows.tolist(), on)]


def main(argv: list[str]) -> None:
    store, target, old, new = Store(argv[0]), argv[1], argv[2], argv[3]
    model = load_model(resolve_model(argv[4] if len(argv) > 4 else "smollm2-135m", store))
    read = lambda v: store.read("blocks", store.require("blocks", target, v), BLOCK_COLUMNS).to_pylist()
    blocks_old, blocks_new = read(old), read(new)
    tokens = {r[0]: r[1] for r in store.query(
        "select token_id, token from tokens where target = ? and blocks_version = ?", [target, new])}
    name = lambda t: repr(tokens.get(t, str(t)))
    restarts = {old: Counter(), new: Counter()}
    restart_blocks = {old: set(), new: set()}
    changed, changed_from_original, pairs, positions = 0, 0, Counter(), 0
    started = time.perf_counter()
    for start in range(0, len(blocks_new), BATCH):
        part_old, part_new = blocks_old[start:start + BATCH], blocks_new[start:start + BATCH]
        for a, b in zip(part_old, part_new):
            if a["input_ids"] != b["input_ids"] or a["position_map"] != b["position_map"]:
                raise SystemExit(f"block {b['block_id']}: the two versions differ beyond their forbidden lists")
        b_old, b_new = generic.collate(part_old), generic.collate(part_new)
        rows, pos, t_pos = generic.trained_rows(b_new)
        with torch.inference_mode():
            g = model(input_ids=b_new.translated_ids, attention_mask=b_new.translated_mask).logits[rows, t_pos].float()
        label = {v: generic.apply_forbidden(g.clone(), rows, pos, b.forbidden_tokens, b.forbidden_from).argmax(1)
                 for v, b in ((old, b_old), (new, b_new))}
        original = b_new.input_ids[rows, pos + 1]
        active = active_sets(b_new, rows, pos)
        for k in range(len(rows)):
            block = int(b_new.block_id[rows[k]])
            for v in (old, new):
                if int(label[v][k]) in active[k]:
                    restarts[v][int(label[v][k])] += 1
                    restart_blocks[v].add(block)
            if label[old][k] != label[new][k]:
                changed += 1
                changed_from_original += int(label[old][k] == original[k])
                pairs[(int(label[old][k]), int(label[new][k]))] += 1
        positions += len(rows)
    print(json.dumps({
        "trained_positions": positions, "seconds": round(time.perf_counter() - started, 1),
        **{f"labels_restarting_a_replacement_{v}": {"positions": sum(c.values()), "blocks": len(restart_blocks[v]),
                                                    "by_token": {name(t): n for t, n in c.most_common(15)}}
           for v, c in restarts.items()},
        "labels_changed": changed, "changed_where_old_label_was_the_original_next_token": changed_from_original,
        "top_changes_old_to_new": {f"{name(a)} -> {name(b)}": n for (a, b), n in pairs.most_common(15)},
    }, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
