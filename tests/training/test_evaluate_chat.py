"""[evaluate] fact_chat: every fact item asked again through each model's chat template, beside the plain-text
completion, stored as <stem>_chat_* metrics and per-item rows; refused up front where it cannot run."""

from __future__ import annotations

import json

import pytest

from corpus_tools.errors import ObliviateError
from pipelines.cli_run import results
from training import evaluate as E
from training.base import base_model
from training.evaluate import EvalSettings, evaluate

BARE = "{{ messages[0]['content'] }}"  # the question is the whole text: the forced model's " and" comes last
ITEMS = [("They left and", "Ron", "a", "test", True), ("The twins waved and", "Ron", "b", "test", True),
         ("She smiled and", "Ron", "c", "dev", True), ("The owl flew to", "Hedwig", "d", "test", False)]


def _settings(tmp_path, **more) -> EvalSettings:
    (tmp_path / "facts.jsonl").write_text("".join(
        json.dumps({"prompt": p, "answers": [a], "topic": t, "split": s, "known_by_base": k}) + "\n"
        for p, a, t, s, k in ITEMS))
    general = tmp_path / "general"
    (general / "corpus").mkdir(parents=True, exist_ok=True)
    (general / "corpus" / "a.md").write_text("Water falls as rain and flows back to the sea. " * 4)
    return EvalSettings(**{"ppl_window": 16, "max_ppl_tokens": 64, "prompts_dir": str(tmp_path),
                           "general_dir": str(general), "relearn_roles": [], "fact_files": ["facts.jsonl"],
                           "fact_new_tokens": 3, "fact_chat_new_tokens": 3, **more})


def _models(store, forced_model_dir, tmp_path, with_chat_template):
    """The forced model (" and" -> " Ron") twice: as the base model under a template that ends on the question, and
    as the unlearned model under SmolLM2's own, where the reply starts after "assistant\\n" and never says " Ron"."""
    bare = with_chat_template(forced_model_dir, tmp_path / "bare", BARE)
    own = with_chat_template(forced_model_dir, tmp_path / "own", load_template(forced_model_dir))
    return {"base": base_model(store, "t", str(bare))[0], "unlearned": base_model(store, "t", str(own))[0]}


def load_template(folder):
    from training.models import load_tokenizer

    return load_tokenizer(folder).chat_template


def test_fact_items_asked_in_chat_beside_their_completions(store, forced_model_dir, tmp_path, with_chat_template):
    models = _models(store, forced_model_dir, tmp_path, with_chat_template)
    art, _ = evaluate(store, "t", _settings(tmp_path, fact_chat=True), models=models)
    role = {a.version: r for r, a in models.items()}  # both are base_model artifacts: told apart by version
    rows = store.read("metrics", art).to_pylist()
    value = {(role[r["model_version"]], r["metric"]): r["value"] for r in rows}
    for name in ("base", "unlearned"):  # as plain text both complete every " and" item; the unknown item is lost
        assert value[(name, "facts_accuracy_test")] == 1.0 and value[(name, "facts_accuracy_dev")] == 1.0
        assert value[(name, "facts_all_accuracy_test")] == pytest.approx(2 / 3)
    # in chat form the template decides: the bare one ends on " and", SmolLM2's on the assistant's turn
    assert value[("base", "facts_chat_accuracy_test")] == 1.0 and value[("base", "facts_chat_accuracy_dev")] == 1.0
    assert value[("base", "facts_chat_all_accuracy_test")] == pytest.approx(2 / 3)
    assert value[("unlearned", "facts_chat_accuracy_test")] == 0.0
    assert value[("unlearned", "facts_chat_all_accuracy_test")] == 0.0
    chat = {r["metric"]: r for r in rows
            if role[r["model_version"]] == "base" and r["metric"].startswith("facts_chat_")}
    assert all(r["ci_low"] is not None and r["ci_high"] is not None for r in chat.values())  # intervals over facts
    scores = [r for r in store.read("eval_scores", art).to_pylist() if r["metric"].startswith("facts_chat_answered")]
    replies = {(role[r["model_version"]], r["item_id"]): r for r in scores}
    assert len(scores) == 2 * len(ITEMS)
    assert replies[("base", "facts: They left and")]["output"].startswith(" Ron")
    assert replies[("base", "facts: The owl flew to")]["metric"] == "facts_chat_answered_unknown"
    assert replies[("unlearned", "facts: They left and")]["value"] == 0.0
    _, table = results(store, art)
    labels = {row[0]: row[1:] for row in table}
    column = labels["version"].index(models["unlearned"].version)
    assert labels["facts, asked in chat (test)"][column].startswith("0.000")
    assert "facts, asked in chat, every item written (test)" in labels and "facts (test)" in labels


def test_chat_form_enters_the_version_only_when_asked(
        store, forced_model_dir, tmp_path, with_chat_template, monkeypatch):
    """Off, fact_chat's own fields do not move the version (evaluations stored before it existed stay current);
    on, it is a new version whose models are measured again, with their chat rows."""
    models = _models(store, forced_model_dir, tmp_path, with_chat_template)
    off, _ = evaluate(store, "t", _settings(tmp_path), models=models)
    assert not [r for r in store.read("metrics", off).to_pylist() if "_chat_" in r["metric"]]
    same, built = evaluate(store, "t", _settings(tmp_path, fact_chat_new_tokens=9), models=models)
    assert same.version == off.version and not built
    calls = []
    real = E.evaluate_model
    monkeypatch.setattr(E, "evaluate_model", lambda *a, **k: calls.append(k["label"]) or real(*a, **k))
    on, built = evaluate(store, "t", _settings(tmp_path, fact_chat=True), models=models)
    assert on.version != off.version and built and len(calls) == 2
    assert {r["metric"] for r in store.read("metrics", on).to_pylist()} >= {"facts_chat_accuracy_test"}


def test_chat_form_refused_before_any_model_is_measured(
        store, forced_model_dir, tmp_path, with_chat_template, monkeypatch):
    models = _models(store, forced_model_dir, tmp_path, with_chat_template)
    calls = []
    monkeypatch.setattr(E, "evaluate_model", lambda *a, **k: calls.append(k["label"]))
    with pytest.raises(ObliviateError, match="fact_chat asks the fact items in chat form, but evaluate.fact_files"):
        evaluate(store, "t", _settings(tmp_path, fact_chat=True, fact_files=[]), models=models)
    (tmp_path / "facts_chat.jsonl").write_bytes((tmp_path / "facts.jsonl").read_bytes())
    clash = "metrics of fact file 'facts' would be named as those of fact file 'facts_chat'"
    with pytest.raises(ObliviateError, match=clash):
        evaluate(store, "t", _settings(tmp_path, fact_chat=True, fact_files=["facts.jsonl", "facts_chat.jsonl"]),
                 models=models)
    plain = with_chat_template(forced_model_dir, tmp_path / "plain", None)
    models["unlearned"] = base_model(store, "t", str(plain))[0]
    with pytest.raises(ObliviateError, match=f"tokenizer of the unlearned model {models['unlearned'].version} has no chat"):
        evaluate(store, "t", _settings(tmp_path, fact_chat=True), models=models)
    assert calls == []


def test_fact_accuracy_in_chat_form_asks_through_the_template(
        store, tiny_model_dir, tmp_path, with_chat_template, monkeypatch):
    """The prompts handed to generation are the template's text around "Finish this sentence: <prompt>", with the
    chat reply's length; the names carry "_chat" and the item ids stay the file's."""
    from training.models import load_tokenizer

    tok = load_tokenizer(with_chat_template(tiny_model_dir, tmp_path / "bare", "<q>{{ messages[0]['content'] }}</q>"))
    seen = []
    monkeypatch.setattr(E, "greedy_complete", lambda model, tok, prompts, n, *a, **k: seen.append((prompts, n))
                        or [" Ron"] * len(prompts))
    rows: list[dict] = []
    items = [{"prompt": "They left and", "answers": ["Ron"], "split": "dev"}]
    got = E.fact_accuracy(None, tok, {"facts": items}, EvalSettings(fact_chat_new_tokens=7), item_rows=rows, chat=True)
    assert seen == [(["<q>Finish this sentence: They left and</q>"], 7)]
    assert got == {"facts_chat_accuracy_dev": (1.0, 1)}
    assert rows == [{"item_id": "facts: They left and", "split": "dev", "metric": "facts_chat_answered", "value": 1.0,
                     "output": " Ron"}]
