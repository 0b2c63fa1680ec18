"""How much the forbidden rule covers, and how two blocks versions differ (docs/alignment.md).

Per blocks version: forbidden entries per block, forbidden (position, token) pairs over trained
positions, and the positions where the ORIGINAL next token is forbidden there (where the rule
overrides what the real text says next: the cost side, e.g. the pronoun " Her" after "Herrera").
Between two versions: the first pieces only the newer one forbids, with how many blocks each.
Usage: python benchmarks/measure_forbidden.py WORKSPACE TARGET OLD_VERSION NEW_VERSION
"""

from __future__ import annotations

import json
import sys
from collections import Counter

import numpy as np

from corpus_tools.store import Store


def coverage(blocks: list[dict]) -> dict:
    """Counts over the blocks of one version, and {token: number of blocks forbidding it}."""
    entries, pairs, per_token, overridden = [], 0, Counter(), Counter()
    for b in blocks:
        ids, pm = np.asarray(b["input_ids"]), np.asarray(b["position_map"])
        trained = np.flatnonzero(pm[:-1] >= 0) if len(pm) else np.zeros(0, int)  # position i predicts ids[i+1]
        entries.append(len(b["forbidden_tokens"]))
        for tok, start in zip(b["forbidden_tokens"], b["forbidden_from"]):
            active = trained[trained >= start]
            pairs += len(active)
            overridden[tok] += int((ids[active + 1] == tok).sum())
            per_token[tok] += 1
    e = np.asarray(entries)
    return {"blocks": len(e), "blocks_with_forbidden": int((e > 0).sum()), "entries": int(e.sum()),
            "entries_per_block_mean": round(float(e.mean()), 2) if len(e) else 0.0,
            "entries_per_block_max": int(e.max()) if len(e) else 0,
            "forbidden_position_pairs": pairs, "original_next_token_forbidden": sum(overridden.values())}, per_token, overridden


def main(argv: list[str]) -> None:
    store, target, old, new = Store(argv[0]), argv[1], argv[2], argv[3]
    cols = ["block_id", "input_ids", "position_map", "forbidden_tokens", "forbidden_from"]
    read = lambda v: store.read("blocks", store.require("blocks", target, v), cols).to_pylist()
    (c_old, t_old, o_old), (c_new, t_new, o_new) = coverage(read(old)), coverage(read(new))
    tokens = {r[0]: r[1] for r in store.query(
        "select token_id, token from tokens where target = ? and blocks_version = ?", [target, new])}
    gained = {repr(tokens.get(t, t)): n for t, n in sorted(t_new.items(), key=lambda kv: -kv[1]) if t not in t_old}
    lost = {repr(tokens.get(t, t)): n for t, n in t_old.items() if t not in t_new}
    name = lambda counts: {repr(tokens.get(t, t)): n for t, n in counts.most_common() if n}
    print(json.dumps({old: c_old, new: c_new, "newly_forbidden_pieces_blocks": gained,
                      "no_longer_forbidden_pieces_blocks": lost,
                      "original_next_token_forbidden_by_token": {old: name(o_old), new: name(o_new)}}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
