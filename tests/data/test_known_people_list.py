"""data/known_people.txt: readable by `[unlearn] translated_names`, and no name the evaluation asks about."""

from __future__ import annotations

import re
from pathlib import Path

from training.name_swap import read_people

ROOT = Path(__file__).resolve().parents[2]
HP = ROOT / "data" / "targets" / "harry_potter"


def test_known_people_share_no_word_with_any_evaluation_file():
    people = read_people(ROOT / "data" / "known_people.txt")
    assert len(people) >= 20
    evaluation = "\n".join(f.read_text(encoding="utf-8") for f in [*HP.glob("*.jsonl"), *HP.glob("pretrained/*.jsonl")])
    words = set(re.findall(r"\w+", evaluation))
    shared = sorted({w for given, surname in people for w in [given, *surname.split()]} & words)
    assert not shared, shared
