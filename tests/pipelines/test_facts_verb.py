"""The `facts` verb: a target's fact files marked with which items its base model knows (training/fact_items.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_run_e2e import copy_of_clean_run
from training.fact_items import read_items, split_of

ITEMS = [{"prompt": "Harry's friends were Hermione and", "answers": ["Ron"], "topic": "characters"},
         {"prompt": "The castle was built by", "answers": ["Godric"], "topic": "places"}]


@pytest.mark.e2e
def test_verb_marks_the_files_with_the_targets_base_model(tmp_path, tiny_clean_run, forced_model_dir, capsys):
    from pipelines.cli import main

    ws, target = copy_of_clean_run(tiny_clean_run, tmp_path / "ws"), tiny_clean_run[1]
    facts = tmp_path / "facts.jsonl"
    facts.write_text("".join(json.dumps(i) + "\n" for i in ITEMS))
    forced = ["--set", f"model.base={forced_model_dir}"]  # says " Ron" after " and", so which items it knows is known

    def verb(*args: str) -> int:
        return main(["-w", str(ws), "--no-progress", "facts", str(target), *args])

    assert verb(str(facts), "--dry-run", *forced) == 0
    assert facts.read_text() == "".join(json.dumps(i) + "\n" for i in ITEMS)   # a dry run changes nothing
    assert "facts.jsonl: 1 of 2 known (dev" in capsys.readouterr().err
    assert verb(str(facts), *forced) == 0
    marked = read_items(facts)
    assert [i["known_by_base"] for i in marked] == [True, False]
    assert marked[0]["base_completion"].startswith(" Ron")
    assert [i["split"] for i in marked] == [split_of(i) for i in ITEMS]
    # by default, the files the target's [evaluate] fact_files names, relative to its prompts folder
    prompts = Path(target).parent
    (prompts / "mine.jsonl").write_text("".join(json.dumps(i) + "\n" for i in ITEMS))
    try:
        assert verb(*forced, "--set", 'evaluate.fact_files=["mine.jsonl"]') == 0
        assert read_items(prompts / "mine.jsonl") == marked
    finally:
        (prompts / "mine.jsonl").unlink()
    capsys.readouterr()
    # bad input: one line and a non-zero exit, before any model runs
    assert verb(str(tmp_path / "missing.jsonl")) != 0
    assert capsys.readouterr().err == f"error: fact file {tmp_path / 'missing.jsonl'} does not exist\n"
    assert verb() != 0
    assert capsys.readouterr().err.startswith("error: no fact files: name them")
