"""benchmarks/every_item.py and its paired interval: each model over every item of a fact file, against the base."""

import json

import pytest

from benchmarks.every_item import compare, main
from training import intervals as I


def test_paired_cluster_difference_by_hand():
    # two facts of two paraphrases: the model gains one item of fact a, nothing moves in b. A resample holds a twice
    # (gap 2/4), a and b (1/4) or b twice (0): the interval is [0, 0.5], the gap 0.25
    assert I.cluster_proportion_diff([True, True, False, False], [True, False, False, False], list("aabb")) == (0.25, 0.0, 0.5)
    # the same answers: no gap in any resample, however the clusters fall
    assert I.cluster_proportion_diff([True, False, True], [True, False, True], list("abc")) == (0.0, 0.0, 0.0)
    # paired, not two shares apart: a model answering exactly the base model's items plus one reads +1/n in every
    # resample that keeps that item's fact, never a negative gap
    gap, low, high = I.cluster_proportion_diff([True] * 5 + [True], [True] * 5 + [False], list("abcdef"))
    assert gap == pytest.approx(1 / 6) and low == 0.0 and high > 0
    with pytest.raises(ValueError, match="3 and 2 flags but 3 cluster"):
        I.cluster_proportion_diff([True] * 3, [True] * 2, list("abc"))


def test_compare_refuses_items_without_rows():
    items = [{"prompt": "p1", "answers": ["x"], "topic": "t"}, {"prompt": "p2", "answers": ["y"], "topic": "t"}]
    with pytest.raises(SystemExit, match="1 items of f have no stored row for the reference"):
        compare(items, "f", {"f: p1": True, "f: p2": False}, {"f: p1": True})
    with pytest.raises(SystemExit, match="2 items of f have no stored row for US1"):
        compare(items, "f", {}, {"f: p1": True}, names=("US1", "CB1"))


def fact_file(store, tmp_path, known_d: bool):
    """Four "and" items (three answered " Ron", the forced model's word), a and b marked known, d as `known_d`; and
    a function that evaluates a base and an unlearned model on them, returning the evaluate artifact."""
    from training.evaluate import EvalSettings, evaluate

    items = [("The castle stood on a hill and", "Ron", "a", True), ("She waved and", "Hermione", "b", True),
             ("They left and", "Ron", "c", False), ("Later the twins and", "Ron", "d", known_d)]
    path = tmp_path / "prompts" / "facts.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps({"prompt": p, "answers": [a], "topic": t, "split": "test", "known_by_base": k})
                            + "\n" for p, a, t, k in items))
    settings = EvalSettings(fact_files=["facts.jsonl"], fact_new_tokens=4).model_copy(
        update={"prompts_dir": str(path.parent), "general_dir": str(tmp_path)})
    return path, lambda base, unlearned: evaluate(store, "t", settings, models={"base": base, "unlearned": unlearned},
                                                  anchors=None, translation=None)[0]


def test_every_item_from_a_stored_evaluation(store, forced_model_dir, tiny_model_dir, tmp_path, capsys):
    """A real evaluation: the forced model (" Ron" after " and") as the base, the random tiny model as the unlearned
    one. The base model answers the three "and" -> Ron items, one of which the file marks known; the tiny model none."""
    from training.base import base_model

    path, run = fact_file(store, tmp_path, known_d=False)
    base, _ = base_model(store, "t", str(forced_model_dir))
    other, _ = base_model(store, "u", str(tiny_model_dir))
    art = run(base, other)
    metrics = {(r["model_version"], r["metric"]): r["value"] for r in store.read("metrics", art).to_pylist()}
    assert metrics[(base.version, "facts_all_accuracy_test")] == 0.75
    assert metrics[(other.version, "facts_all_accuracy_test")] == 0.0
    main([str(store.root), art.version, str(path)])
    line = [l for l in capsys.readouterr().out.splitlines() if l.startswith("facts")]
    assert len(line) == 1
    cells = line[0].split()
    # file, split, role, answered/n and share, base share, gap and its interval, lost, gained, p
    assert cells[:5] == ["facts", "test", "unlearned", "0/4", "0.000"] and cells[5] == "0.750"
    assert cells[6] == "-75.0" and cells[-3:] == ["3", "0", "0.125"]  # 3 lost, none gained: p = 1/8


def test_every_item_against_a_control_in_another_evaluation_and_on_the_known_items(store, forced_model_dir,
                                                                                   tiny_model_dir, tmp_path, capsys):
    """--against compares with a model whose rows sit in another evaluation; --known keeps the base model's known
    items only. The forced model (" Ron" after " and") is evaluated twice, once as the base and once as the
    unlearned model of a second evaluation; the random tiny model is compared with it."""
    from training.base import base_model

    path, run = fact_file(store, tmp_path, known_d=True)
    forced, _ = base_model(store, "t", str(forced_model_dir))
    tiny, _ = base_model(store, "u", str(tiny_model_dir))
    first, second = run(tiny, tiny), run(forced, forced)
    assert first.version != second.version

    def row(*extra):
        main([str(store.root), first.version, str(path), "--models", f"{tiny.version}:tiny", *extra])
        out = capsys.readouterr().out.splitlines()
        return out[0].split(), [l.split() for l in out if l.startswith("facts")]

    # against the forced model of the second evaluation: every item, it answers 3 of 4 (Ron thrice), tiny none
    header, lines = row("--against", f"{forced.version}@{second.version}:ctrl")
    assert "ctrl" in header and "every" in header
    assert len(lines) == 1
    assert lines[0][:7] + lines[0][-3:] == ["facts", "test", "tiny", "0/4", "0.000", "0.750", "-75.0", "3", "0", "0.125"]
    # the known items only (a, b, d): the forced model answers a and d
    header, lines = row("--against", f"{forced.version}@{second.version}:ctrl", "--known")
    assert "known" in header
    assert lines[0][:7] + lines[0][-3:] == ["facts", "test", "tiny", "0/3", "0.000", "0.667", "-66.7", "2", "0", "0.250"]
    # against tiny itself (its own rows, the default evaluation): no gap
    _, lines = row("--against", tiny.version)
    assert lines[0][6] == "+0.0" and lines[0][-3:-1] == ["0", "0"]
    with pytest.raises(SystemExit, match="no evaluate artifact nope"):
        row("--against", f"{forced.version}@nope")


def test_relearned_compares_the_attacked_copies_on_the_known_items(store, tmp_path, capsys):
    """--relearned reads each model's copy after the relearning attack (relearn_<stem>_answered): two unlearned models
    that answer nothing, whose attacked copies answer a and b (one) and a only (two); the unknown item c has no
    attacked row and is not read. A model without attacked rows is one clear error."""
    items = [("A is", "x", "fa", True), ("B is", "y", "fb", True), ("C is", "z", "fc", False)]
    path = tmp_path / "facts.jsonl"
    path.write_text("".join(json.dumps({"prompt": p, "answers": [a], "topic": t, "split": "test", "known_by_base": k})
                            + "\n" for p, a, t, k in items))
    ids = [f"facts: {p}" for p, *_ in items]
    rows = [{"model_version": m, "item_id": i, "split": "test", "metric": metric, "value": v, "output": ""}
            for m, back in (("one", (1.0, 1.0)), ("two", (1.0, 0.0)))
            for i, metric, v in [(ids[0], "facts_answered", 0.0), (ids[1], "facts_answered", 0.0),
                                 (ids[2], "facts_answered_unknown", 0.0),
                                 (ids[0], "relearn_facts_answered", back[0]), (ids[1], "relearn_facts_answered", back[1])]]
    rows += [{"model_version": "plain", "item_id": i, "split": "test", "metric": "facts_answered", "value": 0.0,
              "output": ""} for i in ids[:2]]
    with store.create("evaluate", "t", "ev", parents={}, settings={}, code_version="evaluate_test") as st:
        st.write("eval_scores", [{"target": "t", "evaluate_version": "ev", "model_role": "unlearned", "method": "whp",
                                  **r} for r in rows])
    main([str(store.root), "ev", str(path), "--models", "two", "--against", "one", "--relearned"])
    out = capsys.readouterr().out.splitlines()
    assert "attacked," in out[0].split()
    line = [l.split() for l in out if l.startswith("facts")]
    # file, split, model, answered/n and share, the reference's share, gap and its interval, lost, gained, p
    assert line[0][:7] + line[0][-3:] == ["facts", "test", "two", "1/2", "0.500", "1.000", "-50.0", "1", "0", "0.500"]
    with pytest.raises(SystemExit, match="2 items of facts have no stored row for plain .*attack both models"):
        main([str(store.root), "ev", str(path), "--models", "plain", "--against", "one", "--relearned"])
