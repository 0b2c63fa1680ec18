"""Every section of a target file and every --set key is checked: a misspelt key is an error naming it."""

from __future__ import annotations

import pytest

from corpus_tools.errors import ObliviateError
from pipelines.target import DEFAULT_TARGET_FILE, load_target


@pytest.fixture
def target_file(tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    path = tmp_path / "t.toml"
    path.write_text('name = "t"\n[ingest]\nsources = ["a.txt"]\n')
    return path


@pytest.mark.parametrize("section,key", [("ingest", "max_line_char"), ("extract", "batch_sise"),
                                         ("translate", "plural_label"), ("blocks", "block_szie")])
def test_unknown_key_in_a_section_is_an_error(target_file, section, key):
    text = target_file.read_text()
    if section == "ingest":
        target_file.write_text(text + f"{key} = 5\n")
    else:
        target_file.write_text(text + f"[{section}]\n{key} = 5\n")
    with pytest.raises(ObliviateError, match=rf"t.toml: {section}.{key}: Extra inputs are not permitted"):
        load_target(target_file)


def test_unknown_set_key_is_an_error(target_file):
    with pytest.raises(ObliviateError, match=r"blocks.block_szie: Extra inputs are not permitted"):
        load_target(target_file, ["blocks.block_szie=64"])
    assert load_target(target_file, ["blocks.block_size=64"]).blocks.block_size == 64


def test_evaluate_roles_choose_the_models_measured(target_file, monkeypatch):
    from pipelines import stages

    seen = {}
    monkeypatch.setattr(stages.evaluate_stage, "evaluate", lambda store, name, settings, models, **kw: seen.update(models))
    arts = {"base": "B", "implant": "S", "reinforce": "R", "unlearn": "U", "ingest": None}
    stages._evaluate(None, load_target(target_file), arts, None)
    assert seen == {"base": "B", "subject": "S", "reinforced": "R", "unlearned": "U"}  # all four by default
    seen.clear()
    stages._evaluate(None, load_target(target_file, ['evaluate.roles=["base", "unlearned"]']), arts, None)
    assert seen == {"base": "B", "unlearned": "U"}
    with pytest.raises(ObliviateError, match="evaluate.roles"):
        load_target(target_file, ['evaluate.roles=["teacher"]'])
    demo = load_target(DEFAULT_TARGET_FILE)
    assert "reinforced" not in demo.evaluate.roles  # the demo's time budget (target.toml says why)
