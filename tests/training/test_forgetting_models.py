"""The forgetting metrics on the tiny model with hand-built cases: a model trained to recite three
strings (ROUGE-L 1.0, two-choice 1.0, membership AUC 1.0 against unseen strings), the batched scores
against one-text-at-a-time computations, the below-chance flag, and a relearning run that restores a
string unlearning had hidden."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from training import relearn as R
from training.cloze import score_cloze
from training.membership import auc_gap, document_scores, score_membership
from training.scoring import continuation_logprobs, greedy_texts, metric_rows
from training.utility import text_perplexity
from training.verbatim import score_verbatim

SEEN = ["The lighthouse keeper Orla Venn counted seventeen gulls on the northern rocks every morning.",
        "Captain Brann Oyelaran sailed the copper barge to Salt Hollow every second Tuesday in spring.",
        "At the mill above Dunmere the miller kept forty grey geese and a very old brown donkey."]
UNSEEN = ["A small red fox crossed the frozen river at dawn and vanished into the birch wood.",
          "The baker on Quill Street sold warm rye bread, honey cakes and little almond biscuits.",
          "Two children built a raft from barrels and floated it down the stream until sunset."]
# Same opening as SEEN[0], another ending: training on it hides the memorised continuation.
OTHER = "The lighthouse keeper walked to the market and bought bread, cheese and apples for the long winter."


def fit(model, tok, texts, steps, lr):
    enc = tok(texts, return_tensors="pt", padding=True)
    labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        loss = model(**enc, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    return model


@pytest.fixture(scope="module")
def models(tiny_model_dir):
    from training.models import load_model, load_tokenizer

    torch.manual_seed(0)
    base, tok = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    tok.padding_side = "right"
    subject = fit(copy.deepcopy(base), tok, SEEN, steps=80, lr=1e-2)
    unlearned = fit(copy.deepcopy(subject), tok, [OTHER], steps=8, lr=1e-2)
    return tok, base, subject, unlearned


def verbatim_item(tok, text, split="forget", n_prompt=4, doc_id="d"):
    ids = tok(text, add_special_tokens=False)["input_ids"]
    prompt = tok.decode(ids[:n_prompt])
    return {"item_id": f"v:{doc_id}", "doc_id": doc_id, "split": split, "prompt": prompt,
            "answer": text[len(prompt):], "n_answer_tokens": len(ids) - n_prompt}


def test_recited_continuations_score_rouge_one(models):
    tok, base, subject, _ = models
    items = [verbatim_item(tok, t, doc_id=str(i)) for i, t in enumerate(SEEN)]
    items += [verbatim_item(tok, t, "holdout", doc_id=f"h{i}") for i, t in enumerate(UNSEEN)]
    got = score_verbatim(subject, tok, items, batch_size=2)
    assert got.summary["verbatim_rouge_l_forget"]["value"] == pytest.approx(1.0)
    assert got.summary["verbatim_rouge_l_holdout"]["value"] < 0.3
    outputs = [r["output"] for r in got.per_item if r["metric"] == "verbatim_rouge_l" and r["split"] == "forget"]
    assert [o.strip() for o in outputs] == [it["answer"].strip() for it in items[:3]]
    assert score_verbatim(base, tok, items).summary["verbatim_rouge_l_forget"]["value"] < 0.3
    rows = metric_rows(got, target="t", model_role="subject", model_version="m", evaluate_version="e", method=None)
    assert {r["metric"] for r in rows} >= {"verbatim_rouge_l_forget", "verbatim_rouge_l_recall_holdout"}


def test_batched_calls_equal_one_prompt_at_a_time(models):
    tok, _, subject, _ = models
    prompts = ["The lighthouse", "Captain Brann Oyelaran sailed the", "At the"]
    conts = [" keeper Orla", " copper", " mill above Dunmere"]
    assert greedy_texts(subject, tok, prompts, 5, batch_size=3) == \
        [greedy_texts(subject, tok, [p], 5, batch_size=1)[0] for p in prompts]
    batched = continuation_logprobs(subject, tok, prompts, conts, batch_size=3)
    for i, (p, c) in enumerate(zip(prompts, conts)):
        p_ids, c_ids = tok(p)["input_ids"], tok(c, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logp = torch.log_softmax(subject(input_ids=torch.tensor([p_ids + c_ids])).logits[0], -1)
        manual = np.mean([float(logp[len(p_ids) - 1 + j, t]) for j, t in enumerate(c_ids)])
        assert float(batched[i]) == pytest.approx(manual, abs=1e-3)  # float32 noise of padded batches; a shifted position is off by ~10


def cloze_items(tok, swap=False):
    """One item per word of the seen strings: the true next word against an unrelated one."""
    items = []
    for d, text in enumerate(SEEN):
        words = text.rstrip(".").split(" ")
        for k in range(3, len(words)):
            true, other = " " + words[k], " pumpkin"
            items.append({"item_id": f"c:{d}:{k}", "split": "forget", "prompt": " ".join(words[:k]),
                          "answer": other if swap else true, "alternative": true if swap else other})
    return items


def test_two_choice_and_exact_match_and_the_below_chance_flag(models):
    tok, _, subject, _ = models
    got = score_cloze(subject, tok, cloze_items(tok), batch_size=8, new_tokens=4)
    acc = got.summary["knowledge_choice_acc_forget"]
    assert acc["value"] == 1.0 and acc["ci_low"] > 0.85 and not acc["below_chance"]
    assert got.summary["knowledge_exact_forget"]["value"] > 0.9
    assert got.summary["knowledge_choice_prob_forget"]["value"] > 0.9
    # the same knowledge asked the other way round: the model "fails" every item, and that is flagged
    swapped = score_cloze(subject, tok, cloze_items(tok, swap=True), batch_size=8, new_tokens=4)
    assert swapped.summary["knowledge_choice_acc_forget"]["value"] == 0.0
    assert swapped.summary["knowledge_choice_acc_forget"]["below_chance"]
    assert swapped.summary["knowledge_choice_prob_forget"]["below_chance"]


def test_membership_scores_match_a_direct_computation_and_separate_seen_text(models):
    tok, base, subject, _ = models
    texts = SEEN + UNSEEN
    nll, mkpp = document_scores(subject, tok, texts, batch_size=4, k=0.2)
    for i, text in enumerate(texts):
        ids = torch.tensor([tok(text)["input_ids"]])
        with torch.no_grad():
            logp = torch.log_softmax(subject(input_ids=ids).logits[0, :-1].double(), -1)
        target = logp.gather(-1, ids[0, 1:, None])[:, 0]
        p = logp.exp()
        mu = (p * logp).sum(-1)
        sigma = ((p * (logp - mu[:, None]) ** 2).sum(-1)).sqrt()
        z = ((target - mu) / sigma).sort().values
        assert nll[i] == pytest.approx(float(-target.mean()), abs=1e-3)
        assert mkpp[i] == pytest.approx(float(z[:max(1, int(0.2 * len(z)))].mean()), rel=5e-3, abs=1e-3)  # sharp distributions: z amplifies float32 noise

    items = [{"item_id": f"m{i}", "split": "forget" if i < 3 else "holdout", "text": t} for i, t in enumerate(texts)]
    seen_by_subject = score_membership(subject, tok, items)
    assert seen_by_subject.summary["membership_auc_loss"]["value"] == 1.0
    assert seen_by_subject.summary["membership_auc_mink_pp"]["value"] == 1.0
    never_trained = score_membership(base, tok, items)
    gap = auc_gap(seen_by_subject, never_trained).summary
    expected = 1.0 - never_trained.summary["membership_auc_loss"]["value"]
    assert gap["membership_auc_gap_loss"]["value"] == pytest.approx(expected)
    assert gap["membership_auc_gap_loss"]["ci_low"] <= expected <= gap["membership_auc_gap_loss"]["ci_high"]


def test_relearning_restores_a_hidden_string_faster_than_a_new_one(models):
    tok, base, subject, unlearned = models
    item = verbatim_item(tok, SEEN[0], doc_id="s0")
    measure = lambda m: {"rouge": score_verbatim(m, tok, [item]).summary["verbatim_rouge_l_forget"]["value"]}  # noqa: E731
    blocks = [{"doc_id": "s0", "input_ids": tok(SEEN[0])["input_ids"]},
              {"doc_id": "s1", "input_ids": tok(SEEN[1])["input_ids"]}]
    settings = R.RelearnSettings(steps=10, lr=5e-3, eval_every=2, forget_share=0.1)
    before = {n: p.clone() for n, p in unlearned.named_parameters()}
    result = R.relearn(unlearned, blocks, ["s0"], settings, measure, pad_id=tok.pad_token_id)
    assert all(torch.equal(before[n], p) for n, p in unlearned.named_parameters())  # the copy was trained
    assert [p["step"] for p in result.curve] == [0, 2, 4, 6, 8, 10] and result.relearn_docs == ["s0"]
    subject_rouge, hidden = measure(subject)["rouge"], result.curve[0]["rouge"]
    assert subject_rouge == 1.0 and hidden < 0.3
    assert R.recovery(result.curve[2]["rouge"], hidden, subject_rouge) > 0.8, result.curve  # back after 4 steps
    assert R.recovery(result.curve[-1]["rouge"], hidden, subject_rouge) > 0.8, result.curve
    # the same attack on the model that never saw the string: after 4 steps it has learnt little of it
    fresh = R.relearn(base, blocks, ["s0"], settings, measure, pad_id=tok.pad_token_id)
    assert fresh.curve[2]["rouge"] < 0.3, fresh.curve
    assert fresh.curve[-1]["loss"] > 10 * result.curve[-1]["loss"], (fresh.curve, result.curve)
    rows = R.curve_rows(result, target="t", model_version="u")
    assert len(rows) == 6 and rows[0] == {"target": "t", "model_version": "u", "step": 0, "loss": None,
                                          "metric": "rouge", "value": hidden}


def test_relearn_document_draw_and_item_exclusion():
    ids = [f"d{i}" for i in range(30)]
    chosen = R.relearn_documents(ids, 0.1, seed=0)
    assert len(chosen) == 3 and chosen == R.relearn_documents(list(reversed(ids)), 0.1, seed=0)
    assert chosen != R.relearn_documents(ids, 0.1, seed=1)
    items = [{"doc_id": d} for d in ids]
    assert {it["doc_id"] for it in R.without_docs(items, chosen)} == set(ids) - set(chosen)


def test_text_perplexity_is_exp_of_the_mean_loss(models):
    tok, _, subject, _ = models
    ids = torch.tensor([tok(UNSEEN[0])["input_ids"]])
    with torch.no_grad():
        loss = float(subject(input_ids=ids, labels=ids).loss)
    got = text_perplexity(subject, tok, [UNSEEN[0]], window=256)
    assert got["value"] == pytest.approx(math.exp(loss), rel=1e-4) and got["n"] == ids.shape[1] - 1


def test_measure_forgetting_and_relearn_attack_on_items_built_from_a_corpus(models):
    from training.evalsets import EvalSetSettings, build_eval_items
    from training.forgetting import ForgettingSettings, followed, measure_forgetting, relearn_attack
    from training.holdout import split_documents

    tok, _, subject, unlearned = models
    docs = [{"doc_id": f"doc{i}", "text": t} for i, t in enumerate(SEEN + UNSEEN)]
    anchors = [{"term": "Orla Venn", "replacement": "Anna Smith"}, {"term": "Salt Hollow", "replacement": "the port"},
               {"term": "Dunmere", "replacement": "the village"}, {"term": "Quill Street", "replacement": "Main Street"}]
    es = EvalSetSettings(prefix_tokens=4, continuation_tokens=6, cloze_min_prompt_words=2,
                         membership_tokens=16, membership_min_tokens=4)
    splits = split_documents([d["doc_id"] for d in docs], 0.4)
    items = build_eval_items(docs, anchors, tok, es, splits=splits)
    assert {r["kind"] for r in items} == {"verbatim", "cloze", "membership"}
    settings = ForgettingSettings(batch_size=4)
    scores = measure_forgetting(subject, tok, items, settings)
    for name in ("verbatim_rouge_l_forget", "knowledge_choice_acc_forget", "membership_auc_mink_pp"):
        s = scores.summary[name]
        assert 0 <= s["value"] <= 1 and s["n"] > 0 and s["ci_low"] <= s["value"] <= s["ci_high"], (name, s)
    assert len({r["item_id"] for r in scores.per_item}) == len(items)

    # the followed metrics recomputed from per-item rows are the summaries themselves
    again = followed(scores.per_item)
    assert set(again) == {"verbatim_rouge_l_forget", "knowledge_choice_acc_forget", "knowledge_exact_forget",
                          "membership_auc_mink_pp", "membership_auc_loss"}
    for name, value in again.items():
        assert value == pytest.approx(scores.summary[name]["value"]), name

    forget = [d for d, side in splits.items() if side == "forget"]
    blocks = [{"doc_id": d["doc_id"], "input_ids": tok(d["text"])["input_ids"]} for d in docs if d["doc_id"] in forget]
    attack = R.RelearnSettings(steps=4, lr=5e-3, eval_every=2, forget_share=0.1)
    result, recovered = relearn_attack(unlearned, subject, tok, items, blocks, forget, settings, attack)
    assert [p["step"] for p in result.curve] == [0, 2, 4] and len(result.relearn_docs) == 1
    measured = [r for r in items if r["doc_id"] not in result.relearn_docs
                and (r["kind"] == "membership" or r["split"] == "forget")]
    assert result.stats["items_measured"] == len(measured)
    assert "relearn_recovery_verbatim_rouge_l_forget" in recovered.summary
    # each per-item mean is followed on the two halves of the items too, whose counts add up to the whole
    halves = {R.relearn_half(r["doc_id"]) for r in measured if r["kind"] == "verbatim"}
    for half in halves:
        assert f"relearn_recovery_verbatim_rouge_l_forget_{half}" in recovered.summary
    assert sum(recovered.summary[f"relearn_verbatim_rouge_l_forget_{h}"]["n"] for h in halves) \
        == recovered.summary["relearn_verbatim_rouge_l_forget"]["n"]
    for name, s in recovered.summary.items():
        assert name.startswith("relearn_") and (math.isnan(s["value"]) or -5 < s["value"] < 5)
    # reusing the main evaluation's rows for the subject and the starting point gives the same attack
    reused, recovered_again = relearn_attack(unlearned, None, tok, items, blocks, forget, settings, attack,
                                             subject_scores=scores,
                                             unlearned_scores=measure_forgetting(unlearned, tok, items, settings))
    assert all(
        a[k] == pytest.approx(b[k], abs=1e-6) for a, b in zip(reused.curve, result.curve) for k in a if a[k] is not None)
    assert reused.stats["subject"] == pytest.approx(result.stats["subject"])


def test_rows_fit_the_table_schemas(models):
    from corpus_tools.tables import to_arrow
    from training.scoring import score_rows

    tok, _, subject, _ = models
    items = [verbatim_item(tok, SEEN[0], doc_id="a"), verbatim_item(tok, UNSEEN[0], "holdout", doc_id="b")]
    scores = score_verbatim(subject, tok, items)
    ids = dict(target="t", model_role="subject", model_version="m1", evaluate_version="e1", method=None)
    metrics = to_arrow("metrics", metric_rows(scores, **ids)).to_pylist()
    assert {m["metric"] for m in metrics} == set(scores.summary) and all(m["ci_low"] <= m["value"] for m in metrics)
    assert to_arrow("eval_scores", score_rows(scores, **ids)).num_rows == 4
    curve = R.RelearnResult(curve=[{"step": 0, "loss": None, "rouge": 0.1}, {"step": 5, "loss": 2.0, "rouge": 0.5}])
    table = to_arrow("relearn_curve", R.curve_rows(curve, **ids)).to_pylist()
    assert [(r["step"], r["loss"], r["value"]) for r in table] == [(0, None, 0.1), (5, 2.0, 0.5)]
    # the evaluate stage's rows, written without the new columns, still fit
    old = to_arrow("metrics", [{k: v for k, v in metrics[0].items() if k not in ("ci_low", "ci_high", "below_chance")}])
    assert old.to_pylist()[0]["ci_low"] is None
