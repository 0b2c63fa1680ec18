"""The stage-contract refactor changed every version id but must not change one computed value.

`results_golden.json` holds content hashes (not versions) of the tiny pipeline's subject, reinforced
and unlearned weights and of its generic labels, measured on the code before the refactor; the same
inputs must still give exactly these results.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from corpus_tools.store import Store
from test_run_e2e import _run, _target

pytestmark = pytest.mark.e2e
GOLDEN = Path(__file__).with_name("results_golden.json")
LABEL_COLUMNS = "block_id, position, original_token, label_token, exact, topk_ids, topk_g, topk_r, g_threshold"


def labels_digest(store: Store, target: str) -> str:
    rows = store.query(f"select {LABEL_COLUMNS} from generic_labels where target = ? order by block_id, position", [target])
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def weights_digest(model_dir: Path) -> str:
    from safetensors.torch import load_file

    state = load_file(str(model_dir / "model.safetensors"))
    h = hashlib.sha256()
    for name in sorted(state):
        h.update(name.encode() + state[name].float().numpy().tobytes())
    return h.hexdigest()


def digests(ws: Path) -> dict:
    store = Store(ws)
    models = {role: path for role, path in store.query("select role, path from models where target = 'tiny'")}
    out = {role: weights_digest(ws / models[role]) for role in ("subject", "reinforced", "unlearned")}
    out["labels"] = labels_digest(store, "tiny")
    return out


def test_results_unchanged(tmp_path, tiny_model_dir):
    target = _target(tmp_path, tiny_model_dir)
    # the dictionary rules of the code the hashes were measured on (decide_v3 / names_v3 are newer)
    done = _run(tmp_path / "ws", target, "--until", "unlearn", "--set", "anchors.decision=decide_v2",
                "--set", "anchors.names=names_v2")
    assert done.returncode == 0, done.stderr[-2000:]
    assert digests(tmp_path / "ws") == json.loads(GOLDEN.read_text())
