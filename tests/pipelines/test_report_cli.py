"""The `evaluate` and `report` verbs end to end on the tiny model."""

from __future__ import annotations

import pytest

from pipelines.cli import main


@pytest.mark.e2e
def test_evaluate_then_report_verbs(store, tiny_model_dir, eval_inputs, capsys):
    from training.models import base_model

    base_model(store, "t", str(tiny_model_dir))
    prompts, general = eval_inputs("The boy with the scar was", "Harry", "Bread is made from flour, water and yeast. " * 3)
    ws = ["--workspace", str(store.root)]
    rc = main([*ws, "evaluate", "--target", "t", "--prompts-dir", str(prompts), "--general-dir", str(general),
               "--max-new-tokens", "4", "--ppl-window", "16"])
    assert rc == 0
    rows = store.query("select metric, n from metrics where target = 't' order by metric")
    assert rows == [("familiarity_completion_test", 1), ("general_perplexity", sum(
        len(p) - 1 for p in _windows(tiny_model_dir, (general / "corpus" / "a.md").read_text(), 16)))]
    assert main([*ws, "report", "--target", "t"]) == 0
    assert (store.root / "reports" / "t" / "report.html").exists()
    assert "familiarity_completion_test" in (store.root / "reports" / "t" / "report.md").read_text()


def _windows(model_dir, text, size):
    from transformers import AutoTokenizer

    from training.generation import windows

    return windows([AutoTokenizer.from_pretrained(str(model_dir))(text)["input_ids"]], size)


def test_evaluate_verb_without_models_is_one_clear_error(store, tmp_path, capsys):
    rc = main(["--workspace", str(store.root), "evaluate", "--target", "none", "--prompts-dir", str(tmp_path)])
    assert rc == 2
    assert "target 'none' has no model yet" in capsys.readouterr().err
