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
    return {line.split()[0] + (" " + line.split()[1] if line.startswith(("not covered", "[")) else ""): line
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


def test_margin_bands():
    assert [fact_topics.margin_band(m) for m in (0.0, 0.99, 1.0, 3.5, 4.0, 9.0)] == [
        "[0, 1)", "[0, 1)", "[1, 2)", "[2, 4)", "4+", "4+"]


def test_first_token_margins_are_the_gap_between_the_two_best_tokens(tiny_model_dir):
    import torch

    from training.models import load_model, load_tokenizer

    model, tok = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    prompts = ["The hero of Ithaca is", "Not known:"]
    got = fact_topics.first_token_margins(model, tok, prompts)
    for prompt, margin in zip(prompts, got):
        with torch.no_grad():
            logits = model(tok(prompt, return_tensors="pt").input_ids).logits[0, -1].double()
        top = torch.sort(torch.log_softmax(logits, -1), descending=True).values
        assert margin >= 0 and abs(margin - float(top[0] - top[1])) < 1e-4


def test_groups_by_the_base_models_margin(tmp_path, capsys, tiny_model_dir, monkeypatch):
    facts = _items(tmp_path)
    margins = iter([0.5, 3.0, 7.0])  # the three known items, in file order
    monkeypatch.setattr(fact_topics, "first_token_margins", lambda model, tok, prompts: [next(margins) for _ in prompts])
    table = _table(capsys, [facts, "--covered", "greek", "--margins", tiny_model_dir, tiny_model_dir])
    assert table["[0, 1)"].split()[2] == "0/1" and table["[2, 4)"].split()[2] == "0/1" and table["4+"].split()[1] == "0/1"
