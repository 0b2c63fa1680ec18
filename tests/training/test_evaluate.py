"""The evaluate stage and its batched model calls, on the tiny random model with the real tokenizer."""

from __future__ import annotations

import json
import math

import pytest
import torch

from training import generation as G
from training.models import load_model, load_tokenizer
from training.evaluate import EvalSettings, evaluate, first_tokens

PROMPTS = ["The castle stood on a hill and", "Once", "She opened the old wooden door of the library to find"]


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)


def _alone(model, tok, prompt, n):
    enc = tok(prompt, return_tensors="pt")
    out = model.generate(**enc, max_new_tokens=n, do_sample=False, pad_token_id=tok.pad_token_id)
    return tok.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True)


def test_batched_greedy_equals_one_by_one(tiny):
    model, tok = tiny
    batched = G.greedy_complete(model, tok, PROMPTS, max_new_tokens=6, batch_size=3)
    assert batched == [_alone(model, tok, p, 6) for p in PROMPTS]
    assert all(batched)


def test_batched_next_token_logits_equal_one_by_one(tiny):
    model, tok = tiny
    batched = G.next_token_logits(model, tok, PROMPTS, batch_size=3)
    for i, p in enumerate(PROMPTS):
        alone = model(**tok(p, return_tensors="pt")).logits[0, -1]
        assert torch.allclose(batched[i], alone, atol=1e-4)


def test_window_nll_by_hand(tiny):
    model, tok = tiny
    ids = tok("A river runs to the sea. " * 6)["input_ids"]
    pieces = G.windows([ids, ids[:5]], size=16)
    assert [len(p) for p in pieces] == [16] * (len(ids) // 16) + ([len(ids) % 16] if len(ids) % 16 >= 2 else []) + [5]
    total, n = G.window_nll(model, pieces, tok.pad_token_id, batch_size=4)
    want, count = 0.0, 0
    for p in pieces:  # one window at a time, no padding, explicit loop over positions
        logp = torch.log_softmax(model(torch.tensor([p])).logits[0], -1)
        for t in range(len(p) - 1):
            want -= float(logp.detach()[t, p[t + 1]])
            count += 1
    assert n == count == sum(len(p) - 1 for p in pieces)
    assert total == pytest.approx(want, rel=1e-4)


def test_first_tokens_follow_the_prompt(smollm2_tokenizer):
    tok = smollm2_tokenizer
    ron = tok(" Ron", add_special_tokens=False)["input_ids"][0]
    herm = tok(" Hermione", add_special_tokens=False)["input_ids"][0]
    assert first_tokens(tok, "His best friend was", [" Ron", "Hermione"]) == [ron, herm]


def _write_prompts(folder, rows, name):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_forced_model_says_ron(forced_model_dir):
    model, tok = load_model(forced_model_dir), load_tokenizer(forced_model_dir)
    assert G.greedy_complete(model, tok, ["The castle stood on a hill and"], 8) == [" Ron"]


def test_evaluate_stage_known_answers(store, forced_model_dir, tmp_path):
    from training.base import base_model

    model, tok = load_model(forced_model_dir), load_tokenizer(forced_model_dir)
    forced_prompt, other_prompt = PROMPTS[0], PROMPTS[2]
    prompts, general = tmp_path / "prompts", tmp_path / "general"
    _write_prompts(prompts, [
        {"prompt": forced_prompt, "references": [], "split": "dev"},  # says " Ron", an anchor term: familiar
        {"prompt": forced_prompt + " Ron and", "references": ["Ron"], "split": "dev"},  # Ron is in the prompt
        {"prompt": other_prompt, "references": ["Ron"], "split": "test"},
    ], "familiarity_prompts.jsonl")
    _write_prompts(prompts, [{"prompt": "His best friend was", "target_continuations": [" Ron"],
                              "generic_continuations": [" John", " Tom"]}], "probability_prompts.jsonl")
    _write_prompts(general, [{"prompt": forced_prompt, "answer": "ron"}, {"prompt": "Once", "answer": "Zzyzxqq"}],
                   "knowledge_prompts.jsonl")
    (general / "corpus").mkdir()
    (general / "corpus" / "a.md").write_text("Water falls as rain and flows back to the sea. " * 4)

    base, _ = base_model(store, "t", str(forced_model_dir))
    anchors, translation = _anchors_and_translation(store)
    settings = EvalSettings(max_new_tokens=8, knowledge_new_tokens=8, ppl_window=16, heldout_share=1.0)
    art, created = evaluate(store, "t", at(settings, prompts, general), models={"base": base},
                            anchors=anchors, translation=translation)
    assert created
    rows = {r["metric"]: r for r in store.read("metrics", art).to_pylist()}
    assert set(rows) == {"familiarity_completion_dev", "familiarity_completion_test", "familiarity_probability",
                         "general_perplexity", "knowledge_accuracy", "target_generic_perplexity"}
    pieces = G.windows([tok(t)["input_ids"] for t in TRANSLATED], 16)
    nll, n = G.window_nll(model, pieces, tok.pad_token_id)
    assert rows["target_generic_perplexity"]["value"] == pytest.approx(math.exp(nll / n), rel=1e-5)
    assert (rows["familiarity_completion_dev"]["value"], rows["familiarity_completion_dev"]["n"]) == (0.5, 2)
    assert (rows["familiarity_completion_test"]["value"], rows["familiarity_completion_test"]["n"]) == (0.0, 1)
    assert rows["knowledge_accuracy"]["value"] == 0.5
    assert all(r["model_role"] == "base" and r["model_version"] == base.version for r in rows.values())

    with torch.no_grad():
        probs = torch.softmax(model(**tok("His best friend was", return_tensors="pt")).logits[0, -1], -1)
    ids = [first_tokens(tok, "His best friend was", [c])[0] for c in (" Ron", " John", " Tom")]
    want = probs[ids[0]] / probs[ids].sum()
    assert rows["familiarity_probability"]["value"] == pytest.approx(float(want), rel=1e-4)

    ids = tok((general / "corpus" / "a.md").read_text())["input_ids"]
    nll, n = G.window_nll(model, G.windows([ids], 16), tok.pad_token_id)
    assert rows["general_perplexity"]["value"] == pytest.approx(math.exp(nll / n), rel=1e-5)
    assert rows["general_perplexity"]["n"] == n

    again, created = evaluate(store, "t", at(settings, prompts, general), models={"base": base},
                              anchors=anchors, translation=translation)
    assert (again.version, created) == (art.version, False)
    (general / "corpus" / "a.md").write_text("Changed text changes the version. " * 4)
    changed, created = evaluate(store, "t", at(settings, prompts, general), models={"base": base},
                                anchors=None, translation=None)
    assert created and changed.version != art.version



def at(settings: EvalSettings, prompts, general) -> EvalSettings:
    return settings.model_copy(update={"prompts_dir": str(prompts), "general_dir": str(general)})


TRANSLATED = ["Jon met Tom at the Mystic Academy gate.", "Tom smiled and waved at Jon across the hall."]


def _anchors_and_translation(store):
    with store.create("anchors", "t", "an1", parents={}, settings={}, code_version="t") as st:
        st.write("anchors", [{"target": "t", "anchors_version": "an1", "term": "Ron", "replacement": "Tom"}])
    with store.create("translate", "t", "tr1", parents={"dictionary": "an1"}, settings={}, code_version="t") as st:
        st.write("translated_documents", [{"target": "t", "translation_version": "tr1", "doc_id": f"d{i}", "text": t}
                                          for i, t in enumerate(TRANSLATED)])
    return store.require("anchors", "t", "an1"), store.require("translate", "t", "tr1")


def test_heldout_documents_are_stable_and_never_empty(store):
    from training.eval_data import heldout, load_eval_data

    picked = [d for d in (f"doc{i}" for i in range(1000)) if heldout(d, 0.2)]
    assert 150 < len(picked) < 250 and picked == [d for d in (f"doc{i}" for i in range(1000)) if heldout(d, 0.2)]
    anchors, translation = _anchors_and_translation(store)
    data = load_eval_data(store, store.root, store.root, anchors, translation, heldout_share=1e-9)
    assert data.anchor_terms == ["Ron"] and data.heldout_texts == [TRANSLATED[-1]]


def test_bad_prompt_line_names_file_and_line(store, tiny_model_dir, tmp_path):
    from corpus_tools.errors import ObliviateError
    from training.base import base_model

    _write_prompts(tmp_path, [{"prompt": "ok"}, {"references": []}], "familiarity_prompts.jsonl")
    base, _ = base_model(store, "t", str(tiny_model_dir))
    with pytest.raises(ObliviateError, match=r"familiarity_prompts.jsonl:2: missing field\(s\) prompt"):
        evaluate(store, "t", at(EvalSettings(), tmp_path, tmp_path), models={"base": base},
                 anchors=None, translation=None)


def test_capped_windows_are_evenly_spaced_over_documents():
    docs = [list(range(100)), list(range(1000, 1100))]  # 20 windows of 10 tokens, 10 per document
    capped = G.windows(docs, 10, max_tokens=45)
    assert [w[0] for w in capped] == [0, 50, 1000, 1050]
    assert sum(map(len, capped)) <= 45
    assert G.windows(docs, 10, max_tokens=10_000) == G.windows(docs, 10)


def test_grader_hook_adds_the_weighted_form(store, forced_model_dir, tmp_path):
    from training.base import base_model

    _write_prompts(tmp_path, [{"prompt": PROMPTS[0], "references": ["Ron"], "split": "dev"},
                              {"prompt": "Once", "references": ["Ron"], "split": "dev"}], "familiarity_prompts.jsonl")
    base, _ = base_model(store, "t", str(forced_model_dir))

    def grade(prompt: str, completion: str) -> str:
        return "explicit" if "Ron" in completion else "thematic"

    art, _ = evaluate(store, "t", at(EvalSettings(max_new_tokens=4), tmp_path, tmp_path), models={"base": base}, anchors=None, translation=None, grader=grade)
    rows = {r["metric"]: r["value"] for r in store.read("metrics", art).to_pylist()}
    assert rows == {"familiarity_completion_dev": 0.5, "familiarity_completion_weighted_dev": (5 + 1) / 10}


def test_adding_a_model_evaluates_only_that_model(store, forced_model_dir, tiny_model_dir, tmp_path, monkeypatch):
    from training import evaluate as E
    from training.base import base_model

    prompts, general = tmp_path / "prompts", tmp_path / "general"
    _write_prompts(prompts, [{"prompt": PROMPTS[0], "references": ["Ron"], "split": "dev"}], "familiarity_prompts.jsonl")
    (general / "corpus").mkdir(parents=True)
    (general / "corpus" / "a.md").write_text("Water falls as rain and flows back to the sea. " * 4)
    settings = EvalSettings(max_new_tokens=4, ppl_window=16)
    first, _ = base_model(store, "t", str(forced_model_dir))
    second, _ = base_model(store, "u", str(tiny_model_dir))
    calls = []
    real = E.evaluate_model
    monkeypatch.setattr(E, "evaluate_model", lambda *a, **k: calls.append(k["label"]) or real(*a, **k))
    one, _ = evaluate(store, "t", at(settings, prompts, general), models={"base": first}, anchors=None, translation=None)
    both, _ = evaluate(store, "t", at(settings, prompts, general), models={"base": first, "subject": second},
                       anchors=None, translation=None)
    assert len(calls) == 2 and second.version in calls[1]
    rows = store.read("metrics", both).to_pylist()
    assert {r["evaluate_version"] for r in rows} == {both.version}
    old = {(r["metric"], r["value"]) for r in store.read("metrics", one).to_pylist()}
    assert old == {(r["metric"], r["value"]) for r in rows if r["model_version"] == first.version}


def test_missing_general_dir_is_an_error_not_silently_fewer_metrics(store, tiny_model_dir, tmp_path):
    from corpus_tools.errors import ObliviateError
    from training.base import base_model

    base, _ = base_model(store, "t", str(tiny_model_dir))
    with pytest.raises(ObliviateError, match="evaluate.general_dir .*moved is not a folder"):
        evaluate(store, "t", at(EvalSettings(), tmp_path, tmp_path / "moved"), models={"base": base})
