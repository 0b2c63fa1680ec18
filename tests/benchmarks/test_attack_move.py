"""benchmarks/attack_move.py: the attacker's moves measured on a workspace's forget blocks."""

from __future__ import annotations

import re
import sys

import pytest

from benchmarks import attack_move
from tests.training.test_implant_reinforce import TARGET, write_blocks  # repetitive blocks: learnable in a step or two


def _run(capsys, argv) -> list[str]:
    old, sys.argv = sys.argv, ["attack_move", *map(str, argv)]
    try:
        attack_move.main()
    finally:
        sys.argv = old
    return capsys.readouterr().out.splitlines()


def test_reports_each_move_and_each_attack_step(store, tiny_model_dir, capsys):
    write_blocks(store, n_blocks=24)
    lines = _run(capsys, [store.root, TARGET, tiny_model_dir, "--rho", "0.01,0.1", "--steps", "3", "--lr", "1e-2"])
    assert [l.split(":")[0].strip() for l in lines] == [
        "held-out forget blocks", "attacker's gradient on one batch", "move rho 0.01", "move rho 0.1",
        "attack step 1", "attack step 2", "attack step 3"]
    held = float(re.search(r"loss ([\d.]+)", lines[0]).group(1))
    moved = [float(re.search(r"moved ([\d.]+)", l).group(1)) for l in lines[4:]]
    after = [float(re.search(r"held-out loss ([\d.]+)", l).group(1)) for l in lines[4:]]
    assert 0 < moved[0] < moved[1] < moved[2]  # the attack walks away from the model
    assert after[-1] < held  # and learns the blocks' tokens, held-out ones included
    line = [float(re.search(r"held-out loss ([\d.]+)", l).group(1)) for l in lines[2:4]]
    assert line[0] < held and line[1] < held  # the move goes down the attacker's slope, not up it


def test_too_few_blocks_is_one_clear_error(store, tiny_model_dir, capsys):
    write_blocks(store, n_blocks=8)
    with pytest.raises(SystemExit, match="7 forget blocks outside the attack's documents: too few for 12"):
        _run(capsys, [store.root, TARGET, tiny_model_dir])
