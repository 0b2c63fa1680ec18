"""benchmarks/fact_topics.py: known items grouped by topic, and by whether a retain text covers them."""

from __future__ import annotations

import json
import sys

from benchmarks import fact_topics


def _items(tmp_path):
    rows = [("The hero of Ithaca is", ["Odysseus"], "greek"), ("The king of the gods is", ["Zeus"], "greek"),
            ("The wizard of the Shire is", ["Gandalf"], "tolkien"), ("Not known:", ["Nobody"], "tolkien")]
    path = tmp_path / "facts.jsonl"
    path.write_text("".join(json.dumps({"prompt": p, "answers": a, "topic": t, "split": "test",
                                        "known_by_base": a != ["Nobody"]}) + "\n" for p, a, t in rows))
    return path


def _table(capsys, argv) -> dict[str, str]:
    old, sys.argv = sys.argv, ["fact_topics", *map(str, argv)]
    try:
        fact_topics.main()
    finally:
        sys.argv = old
    lines = capsys.readouterr().out.splitlines()
    return {line.split()[0] + (" " + line.split()[1] if line.startswith("not covered") else ""): line
            for line in lines if line.strip()}


def test_groups_by_topic_and_by_the_retain_text_that_covers_them(tmp_path, capsys, tiny_model_dir):
    facts = _items(tmp_path)
    retain = tmp_path / "retain"
    retain.mkdir()
    (retain / "a.txt").write_text("Long ago zeus ruled from the mountain.")  # any case, whole word: Zeus is covered
    (retain / "b.md").write_text("The Odysseuses are not Odysseus-like? Gandalfian.")  # "Odysseus-like" has Odysseus
    table = _table(capsys, [facts, "--covered-by", retain, tiny_model_dir])
    assert table["greek"].split()[1] == "0/2" and table["tolkien"].split()[1] == "0/1"  # known items only
    assert table["covered"].split()[1] == "0/2" and table["not covered"].split()[2] == "0/1"  # Gandalf's
    table = _table(capsys, [facts, "--covered", "tolkien", tiny_model_dir])
    assert table["covered"].split()[1] == "0/1" and table["not covered"].split()[2] == "0/2"
