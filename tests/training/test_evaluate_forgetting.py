"""The evaluate stage's forgetting rows: every model measured on the stored eval items, the gap to the base model,
the relearning attack on the unlearned model only, and all of it reused when a model or an attacked role is added."""

from __future__ import annotations

import math

import pytest

from training import evaluate as E
from training.evalsets import EvalSetSettings, build_eval_items
from training.evaluate import EvalSettings, evaluate
from training.holdout import split_documents
from training.relearn import relearn_documents

TEXTS = [f"Orla Venn rowed from Salt Hollow to Dunmere on day {i}, carrying nets and a green ledger for the Tide "
         f"Guild, and came back before the storm reached the rocks below the lighthouse." for i in range(6)]


def _inputs(store, tok):
    docs = [{"doc_id": f"d{i}", "text": t} for i, t in enumerate(TEXTS)]
    splits = split_documents([d["doc_id"] for d in docs], 0.34)
    with store.create("blocks", "t", "b1", parents={}, settings={}, code_version="t") as st:
        ids = [tok(d["text"])["input_ids"] for d in docs]
        st.write("blocks", [dict(target="t", blocks_version="b1", block_id=i, doc_id=d["doc_id"], input_ids=x,
                                 translated_ids=x, position_map=[], forbidden_tokens=[], forbidden_from=[], n_trained=0,
                                 split=splits[d["doc_id"]]) for i, (d, x) in enumerate(zip(docs, ids))])
    anchors = [{"term": "Orla Venn", "replacement": "Anna Smith"}, {"term": "Salt Hollow", "replacement": "the port"}]
    items = build_eval_items(docs, anchors, tok, EvalSetSettings(prefix_tokens=8, continuation_tokens=6,
                                                                 cloze_min_prompt_words=1, membership_tokens=16,
                                                                 membership_min_tokens=8), splits=splits)
    with store.create("evalsets", "t", "e1", parents={"blocks": "b1"}, settings={}, code_version="t") as st:
        st.write("eval_items", [{"target": "t", "eval_items_version": "e1", **r} for r in items])
    return store.require("evalsets", "t", "e1")


def test_forgetting_rows_per_model_and_their_reuse(store, tiny_model_dir, tmp_path, monkeypatch):
    import shutil

    from training.base import base_model
    from training.models import load_tokenizer

    general = tmp_path / "general"
    (general / "corpus").mkdir(parents=True)
    (general / "corpus" / "a.md").write_text("Water falls as rain and flows back to the sea. " * 4)
    other = tmp_path / "austen"
    other.mkdir()
    (other / "a.txt").write_text("It is a truth universally acknowledged, that a man in want of a wife is rare. " * 3)
    settings = EvalSettings(max_new_tokens=4, ppl_window=16, max_ppl_tokens=64, prompts_dir=str(tmp_path),
                            general_dir=str(general), other_register_texts=str(other),
                            relearn={"steps": 2, "batch_size": 2, "eval_every": 2, "forget_share": 0.5})
    evalsets = _inputs(store, load_tokenizer(tiny_model_dir))
    # three model artifacts (the version follows the folder named): the base doubles as the subject
    base, _ = base_model(store, "t", str(tiny_model_dir))
    unlearned, _ = base_model(store, "t", str(shutil.copytree(tiny_model_dir, tmp_path / "m2")))
    extra, _ = base_model(store, "t", str(shutil.copytree(tiny_model_dir, tmp_path / "m3")))
    calls = []
    real = E.evaluate_model
    monkeypatch.setattr(E, "evaluate_model", lambda *a, **k: calls.append(k["label"]) or real(*a, **k))
    models = {"base": base, "subject": base, "unlearned": unlearned}
    one, _ = evaluate(store, "t", settings, models=models, evalsets=evalsets)
    metrics = {(r["model_version"], r["metric"]): r for r in store.read("metrics", one).to_pylist()}
    for version in (base.version, unlearned.version):
        for m in ("verbatim_rouge_l_forget", "verbatim_rouge_l_holdout", "knowledge_choice_acc_forget",
                  "knowledge_exact_forget", "membership_auc_mink_pp", "other_register_perplexity", "general_perplexity"):
            assert (version, m) in metrics, (version, m)
    assert metrics[(unlearned.version, "membership_auc_gap_mink_pp")]["ci_low"] is not None
    assert (base.version, "membership_auc_gap_mink_pp") not in metrics  # the reference has no gap to itself
    assert (unlearned.version, "relearn_recovery_verbatim_rouge_l_forget") in metrics
    assert not [k for k in metrics if k[0] == base.version and k[1].startswith("relearn")]
    curve = store.read("relearn_curve", one).to_pylist()
    assert {r["model_version"] for r in curve} == {unlearned.version} and {r["step"] for r in curve} == {0, 2}
    scores = store.read("eval_scores", one).to_pylist()
    n_items = store.read("eval_items", evalsets).num_rows
    assert len({r["item_id"] for r in scores if r["model_version"] == base.version}) == n_items
    assert len(calls) == 2

    two, _ = evaluate(store, "t", settings, models={**models, "reinforced": extra}, evalsets=evalsets)
    assert len(calls) == 3 and extra.version in calls[2]  # only the added model is measured again

    def rows(art, table, added=frozenset({extra.version})):
        return sorted(tuple(sorted((k, str(v)) for k, v in r.items() if k != "evaluate_version"))
                      for r in store.read(table, art).to_pylist() if r["model_version"] not in added)

    for table in ("metrics", "eval_scores", "relearn_curve"):
        assert rows(two, table) == rows(one, table), table
        assert {r["evaluate_version"] for r in store.read(table, two).to_pylist()} <= {two.version}
    # A third evaluation finds the base and unlearned rows in both earlier artifacts: it copies them once.
    other, _ = base_model(store, "t", str(shutil.copytree(tiny_model_dir, tmp_path / "m4")))
    three, _ = evaluate(store, "t", settings, models={**models, "reinforced": other}, evalsets=evalsets)
    for table in ("metrics", "eval_scores", "relearn_curve"):
        assert rows(three, table, {other.version}) == rows(one, table), table
    assert len(calls) == 4
    # Attacking one more role re-measures that model only; the others keep their (attacked or not) rows.
    attacked = settings.model_copy(update={"relearn_roles": ["unlearned", "reinforced"]})
    four, _ = evaluate(store, "t", attacked, models={**models, "reinforced": extra}, evalsets=evalsets)
    assert len(calls) == 5 and extra.version in calls[4]
    assert {r["model_version"] for r in store.read("relearn_curve", four).to_pylist()} == {unlearned.version, extra.version}
    for table in ("metrics", "eval_scores", "relearn_curve"):
        assert rows(four, table) == rows(one, table), table


def _control(store, tiny_model_dir, tmp_path, more_models=(), subject_dir=None, **settings):
    """A general folder, the eval items and three model artifacts (base, subject, unlearned: copies of the tiny
    model, the subject `subject_dir` when given; and a copy per role of `more_models`), evaluated with the base
    model attacked as a control too; returns (artifact, base, subject, unlearned)."""
    import shutil

    from training.base import base_model
    from training.models import load_tokenizer

    general = tmp_path / "general"
    (general / "corpus").mkdir(parents=True, exist_ok=True)
    (general / "corpus" / "a.md").write_text("Water falls as rain and flows back to the sea. " * 4)
    settings = EvalSettings(**{"max_new_tokens": 4, "ppl_window": 16, "max_ppl_tokens": 64, "prompts_dir": str(tmp_path),
                               "general_dir": str(general), "relearn_roles": ["base", "unlearned"],
                               "relearn": {"steps": 2, "batch_size": 2, "eval_every": 2, "forget_share": 0.5}, **settings})
    evalsets = store.get("evalsets", "t", "e1") or _inputs(store, load_tokenizer(tiny_model_dir))
    base, _ = base_model(store, "t", str(tiny_model_dir))
    subject, _ = base_model(store, "t", str(subject_dir or shutil.copytree(tiny_model_dir, tmp_path / "s", dirs_exist_ok=True)))
    unlearned, _ = base_model(store, "t", str(shutil.copytree(tiny_model_dir, tmp_path / "u", dirs_exist_ok=True)))
    more = {role: base_model(store, "t", str(shutil.copytree(tiny_model_dir, tmp_path / role, dirs_exist_ok=True)))[0]
            for role in more_models}
    art, _ = evaluate(store, "t", settings, models={"base": base, "subject": subject, "unlearned": unlearned, **more},
                      evalsets=evalsets)
    return art, base, subject, unlearned


def test_the_base_model_attacked_as_a_control(store, tiny_model_dir, tmp_path):
    """relearn_roles = base too: the base model is measured first, so its attack measures the subject itself."""
    art, base, subject, unlearned = _control(store, tiny_model_dir, tmp_path)
    curve = store.read("relearn_curve", art).to_pylist()
    assert {r["model_version"] for r in curve} == {base.version, unlearned.version}
    assert not [r for r in curve if r["metric"].startswith("facts")]  # no fact files: the eval items only
    metrics = {(r["model_version"], r["metric"]) for r in store.read("metrics", art).to_pylist()}
    assert (base.version, "relearn_knowledge_exact_forget") in metrics
    assert not [m for v, m in metrics if v == subject.version and m.startswith("relearn")]


def _trained_copy(tiny_model_dir, out, steps: int = 30):
    """The tiny model after `steps` full-batch AdamW steps on TEXTS: a subject that knows the eval items' documents."""
    import torch

    from training.models import load_model, load_tokenizer

    model, tok = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    batch = tok(TEXTS, return_tensors="pt", padding=True)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    torch.manual_seed(0)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        model(**batch, labels=labels).loss.backward()
        optimizer.step()
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def test_beyond_the_control_reads_zero_for_a_model_that_never_knew(store, tiny_model_dir, tmp_path, monkeypatch):
    """The unlearned model is the base model's copy (a perfect unlearning): the same attack brings it exactly where
    it brings the base model, so relearn_beyond_control_* is 0 wherever unlearning removed something measurable,
    while plain recovery is not; the rows are reused by the next evaluation, and rows of an attack measured without
    the control beside it are measured again, with it."""
    subject_dir = _trained_copy(tiny_model_dir, tmp_path / "trained")
    strong = {"steps": 3, "batch_size": 2, "eval_every": 3, "forget_share": 0.5, "lr": 3e-3}  # moves the tiny model
    first, base, subject, unlearned = _control(store, tiny_model_dir, tmp_path, subject_dir=subject_dir,
                                               relearn_roles=["unlearned"], relearn=strong)
    assert not [r for r in store.read("metrics", first).to_pylist() if "beyond_control" in r["metric"]]
    calls = []
    real = E.evaluate_model
    monkeypatch.setattr(E, "evaluate_model", lambda *a, **k: calls.append(k["label"]) or real(*a, **k))
    art, *_ = _control(store, tiny_model_dir, tmp_path, subject_dir=subject_dir, relearn=strong)
    # the base model is attacked now, the unlearned one again beside it; the subject's rows serve
    assert [c.split()[2] for c in calls] == [base.version, unlearned.version]
    rows = {(r["model_version"], r["metric"]): r for r in store.read("metrics", art).to_pylist()}
    beyond = {m[len("relearn_beyond_control_"):]: r for (v, m), r in rows.items()
              if v == unlearned.version and m.startswith("relearn_beyond_control_")}
    whole = {"verbatim_rouge_l_forget", "knowledge_choice_acc_forget", "knowledge_exact_forget",
             "membership_auc_mink_pp", "membership_auc_loss"}
    halved = {f"{m}_{h}" for m in ("verbatim_rouge_l_forget", "knowledge_choice_acc_forget", "knowledge_exact_forget")
              for h in ("dev", "test")}
    assert whole <= set(beyond) and set(beyond) - whole <= halved and set(beyond) & halved  # each half ends at 0 too
    defined = {m: r["value"] for m, r in beyond.items() if r["value"] == r["value"]}
    assert defined, "the trained subject differs from the base model on some followed metric"
    for metric, value in defined.items():
        assert value == pytest.approx(0.0, abs=1e-9), metric
        assert beyond[metric]["n"] == rows[(unlearned.version, f"relearn_recovery_{metric}")]["n"]
    assert any(abs(rows[(unlearned.version, f"relearn_recovery_{m}")]["value"]) > 0.01 for m in defined)
    assert not [m for v, m in rows if v != unlearned.version and "beyond_control" in m]
    # each row's n counts the items of its own kind the attack measured (the documents it trained on left out)
    blocks = store.read("blocks", store.require("blocks", "t", "b1")).to_pylist()
    attacked_docs = set(relearn_documents([b["doc_id"] for b in blocks if b["split"] == "forget"], strong["forget_share"]))
    items = [it for it in store.read("eval_items", store.require("evalsets", "t", "e1")).to_pylist()
             if it["doc_id"] not in attacked_docs]
    n_cloze = sum(1 for it in items if it["kind"] == "cloze" and it["split"] == "forget")
    n_membership = sum(1 for it in items if it["kind"] == "membership")
    assert 0 < n_cloze < n_membership
    assert rows[(unlearned.version, "relearn_beyond_control_knowledge_exact_forget")]["n"] == n_cloze
    assert sum(r["n"] for m, r in beyond.items() if m.startswith("knowledge_exact_forget_")) == n_cloze
    assert rows[(unlearned.version, "relearn_recovery_membership_auc_loss")]["n"] == n_membership
    again, *_ = _control(store, tiny_model_dir, tmp_path, subject_dir=subject_dir, relearn=strong)
    assert len(calls) == 2 and again.version == art.version  # nothing measured again


def test_no_control_when_the_base_model_is_the_subject(store, tiny_model_dir, tmp_path):
    """The pretrained scenario: the base model attacked is the subject attacked, no control of what it forgot."""
    art, base, *_ = _control(store, tiny_model_dir, tmp_path, subject_dir=tiny_model_dir)
    metrics = [r["metric"] for r in store.read("metrics", art).to_pylist()]
    assert "relearn_recovery_knowledge_exact_forget" in metrics and not [m for m in metrics if "beyond_control" in m]


def write_facts(folder) -> str:
    """A fact file of three items (two test, one dev) about the eval items' world; returns its name in `folder`."""
    import json

    facts = [{"prompt": f"Orla Venn rowed from Salt Hollow to {p}", "answers": ["Dunmere"], "topic": "t", "split": s,
              "known_by_base": True} for p, s in (("the", "test"), ("a", "test"), ("his", "dev"))]
    (folder / "facts.jsonl").write_text("".join(json.dumps(f) + "\n" for f in facts))
    return "facts.jsonl"


def test_the_attack_follows_the_fact_items_too(store, tiny_model_dir, tmp_path):
    """With fact files, every attacked model's curve and recovery include their accuracies: from the evaluation's
    own rows before the attack (step 0 equals the model's metric), and the subject's measured by its model when
    it is not measured yet (the base model attacked as a control)."""
    art, base, subject, unlearned = _control(store, tiny_model_dir, tmp_path, fact_files=[write_facts(tmp_path)],
                                             fact_new_tokens=3)
    rows = store.read("metrics", art).to_pylist()
    metrics = {(r["model_version"], r["metric"]): r["value"] for r in rows}
    counts = {(r["model_version"], r["metric"]): r["n"] for r in rows}
    interval = {(r["model_version"], r["metric"]): r for r in rows}
    curve = store.read("relearn_curve", art).to_pylist()
    for version in (base.version, unlearned.version):
        assert counts[(version, "relearn_facts_accuracy_test")] == 2 and counts[(version, "relearn_facts_accuracy_dev")] == 1
        for split in ("test", "dev"):
            assert (version, f"relearn_facts_accuracy_{split}") in metrics
            assert (version, f"relearn_recovery_facts_accuracy_{split}") in metrics
            start = [r["value"] for r in curve if r["model_version"] == version and r["step"] == 0
                     and r["metric"] == f"facts_accuracy_{split}"]
            assert start == [metrics[(version, f"facts_accuracy_{split}")]]
            # each accuracy carries its interval over facts (all three items share one fact: the interval is the share)
            low, high = (interval[(version, f"facts_accuracy_{split}")][k] for k in ("ci_low", "ci_high"))
            assert low == high == metrics[(version, f"facts_accuracy_{split}")]
    # which items the attacked copy answers, one row per known item: their share is the attacked accuracy
    scores = store.read("eval_scores", art).to_pylist()
    for version in (base.version, unlearned.version):
        for split in ("test", "dev"):
            back = [r["value"] for r in scores if r["model_version"] == version and r["split"] == split
                    and r["metric"] == "relearn_facts_answered"]
            assert len(back) == counts[(version, f"facts_accuracy_{split}")]
            assert sum(back) / len(back) == pytest.approx(metrics[(version, f"relearn_facts_accuracy_{split}")])
    # the unlearned model's recovery carries an interval over facts: computed, and undefined as the recovery is (the
    # tiny models answer none of the items, so unlearning removed nothing; recovery_intervals is checked by hand
    # below); the control, attacked before the subject is measured, has no subject rows to pair with: no interval
    for split in ("test", "dev"):
        row = interval[(unlearned.version, f"relearn_recovery_facts_accuracy_{split}")]
        assert math.isnan(row["value"]) and math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])
        assert interval[(base.version, f"relearn_recovery_facts_accuracy_{split}")]["ci_low"] is None


def test_recovery_intervals_pair_the_three_models_items_by_hand():
    """Two facts of two paraphrases each, both removed, one restored by the attack: recovery 0.5, and its interval over
    whole facts spans [0, 1]; a split without every model's rows gets none."""
    items = [{"prompt": p, "answers": [a], "topic": "t", "split": "test", "known_by_base": True}
             for p, a in (("A is", "x"), ("A was", "x"), ("B is", "y"), ("B was", "y"))]
    items.append({"prompt": "C is", "answers": ["z"], "topic": "t", "split": "dev", "known_by_base": True})
    items.append({"prompt": "D is", "answers": ["w"], "topic": "t", "split": "test", "known_by_base": False})  # not known: not read

    def rows(values):
        return [{"metric": "facts_answered", "item_id": f"facts: {i['prompt']}", "split": i["split"], "value": v}
                for i, v in zip(items, values)]

    got = E.recovery_intervals({"facts": items}, rows([0, 0, 0, 0]), rows([1, 1, 0, 0]), rows([1, 1, 1, 1]), 0.02)
    assert got == {"relearn_recovery_facts_accuracy_test": (0.0, 1.0)}  # dev: C has no row of the three
    restored = E.recovery_intervals({"facts": items}, rows([0, 0, 0, 0, 0]), rows([1, 1, 1, 1, 1]),
                                    rows([1, 1, 1, 1, 1]), 0.02)
    assert restored == {"relearn_recovery_facts_accuracy_test": (1.0, 1.0), "relearn_recovery_facts_accuracy_dev": (1.0, 1.0)}


def test_fact_items_are_stored_one_row_each(monkeypatch):
    """Per fact file: <stem>_accuracy_<split> and, with item_rows, one eval_scores row per item whose value says
    whether its completion states an answer (the same rule as the accuracy) and whose output is that completion."""
    items = [{"prompt": "Orla rowed to", "answers": ["Dunmere"], "split": "test"},
             {"prompt": "Orla sailed to", "answers": ["Dunmere"], "split": "test"},
             {"prompt": "Orla walked to", "answers": ["Dunmere", "Salt Hollow"], "split": "dev"}]
    said = [" Dunmere at dawn", " the sea", " salt hollow."]  # an answer in any case counts (fact_items.is_known)
    monkeypatch.setattr(E, "greedy_complete", lambda model, tok, prompts, *a, **k: said[:len(prompts)])
    rows: list[dict] = []
    got = E.fact_accuracy(None, None, {"facts": items}, EvalSettings(), item_rows=rows)
    assert got == {"facts_accuracy_test": (0.5, 2), "facts_accuracy_dev": (1.0, 1)}
    assert rows == [{"item_id": f"facts: {i['prompt']}", "split": i["split"], "metric": "facts_answered",
                     "value": v, "output": o} for i, v, o in zip(items, (1.0, 0.0, 1.0), said)]
    assert E.fact_accuracy(None, None, {"facts": items}, EvalSettings()) == got  # rows are optional


def test_fact_rows_reach_eval_scores_and_older_rows_are_measured_again(store, tiny_model_dir, tmp_path, monkeypatch):
    """Every evaluated model gets its per-item fact rows, matching its accuracies; a model whose stored rows have
    none (measured before they existed) is measured again rather than reused without them."""
    real = E.fact_accuracy
    monkeypatch.setattr(E, "fact_accuracy", lambda m, tok, facts, settings, advance, item_rows=None:
                        real(m, tok, facts, settings, advance))  # as the stage was before the rows
    art, base, subject, unlearned = _control(store, tiny_model_dir, tmp_path, fact_files=[write_facts(tmp_path)],
                                             fact_new_tokens=3, relearn_roles=[])
    assert not [r for r in store.read("eval_scores", art).to_pylist() if r["metric"] == "facts_answered"]
    monkeypatch.setattr(E, "fact_accuracy", real)
    calls = []
    measure = E.evaluate_model
    monkeypatch.setattr(E, "evaluate_model", lambda *a, **k: calls.append(k["label"]) or measure(*a, **k))
    again, *_ = _control(store, tiny_model_dir, tmp_path, ["reinforced"], fact_files=["facts.jsonl"], fact_new_tokens=3,
                         relearn_roles=[])  # one model more: a new artifact, the others' rows looked up
    assert len(calls) == 4  # the three measured again with the new one, not reused without their fact rows
    scores = [r for r in store.read("eval_scores", again).to_pylist() if r["metric"] == "facts_answered"]
    metrics = {(r["model_version"], r["metric"]): r["value"] for r in store.read("metrics", again).to_pylist()}
    for version in (base.version, subject.version, unlearned.version):
        mine = [r for r in scores if r["model_version"] == version]
        assert sorted(r["split"] for r in mine) == ["dev", "test", "test"]
        assert all(r["item_id"].startswith("facts: Orla Venn rowed") and isinstance(r["output"], str) for r in mine)
        for split in ("dev", "test"):
            values = [r["value"] for r in mine if r["split"] == split]
            assert metrics[(version, f"facts_accuracy_{split}")] == sum(values) / len(values)


def test_missing_other_register_folder_is_one_clear_error(tmp_path):
    from corpus_tools.errors import ObliviateError
    from training.forgetting_eval import other_register_texts

    assert other_register_texts(None) == []
    with pytest.raises(ObliviateError, match="is not a folder"):
        other_register_texts(str(tmp_path / "nope"))


def test_fact_intervals_resample_whole_facts_by_hand():
    """Two phrasings of one fact, answered, and one of another, lost (test split): the interval resamples the two
    facts, so it spans [0, 1] (either fact twice, each with probability 1/4), not the items' narrower one."""
    items = [{"prompt": "Orla rowed to", "answers": ["Dunmere"], "topic": "t", "split": "test"},
             {"prompt": "Orla sailed to", "answers": ["Dunmere"], "topic": "t", "split": "test"},
             {"prompt": "Orla's brother is", "answers": ["Tam"], "topic": "t", "split": "test"},
             {"prompt": "Orla walked to", "answers": ["Salt Hollow"], "topic": "t", "split": "dev"}]
    rows = [{"item_id": f"facts: {i['prompt']}", "split": i["split"], "metric": "facts_answered", "value": v}
            for i, v in zip(items, (1.0, 1.0, 0.0, 1.0))] + [{"item_id": "x", "split": "test", "metric": "other", "value": 0.0}]
    got = E.fact_intervals({"facts": items}, rows)
    assert got == {"facts_accuracy_test": (0.0, 1.0), "facts_accuracy_dev": (1.0, 1.0)}


def test_rows_of_another_code_version_are_measured_again(store, tiny_model_dir, tmp_path, monkeypatch):
    """A model's rows are reused only from evaluate artifacts of the current code version: after a change of
    `code_version` (the metrics' code changed), adding a model measures every model again, not only the new one."""
    import dataclasses

    _control(store, tiny_model_dir, tmp_path, relearn_roles=[])
    calls = []
    measure = E.evaluate_model
    monkeypatch.setattr(E, "evaluate_model", lambda *a, **k: calls.append(k["label"]) or measure(*a, **k))
    _control(store, tiny_model_dir, tmp_path, ["reinforced"], relearn_roles=[])
    assert len(calls) == 1  # same code: the three earlier models' rows reused, the added one measured
    monkeypatch.setattr(E, "STAGE", dataclasses.replace(E.STAGE, code_version=E.STAGE.code_version + "_next"))
    _control(store, tiny_model_dir, tmp_path, ["reinforced"], relearn_roles=[])
    assert len(calls) == 1 + 4  # another code version: none of the stored rows serves
