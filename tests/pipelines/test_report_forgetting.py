"""The report's forgetting pieces on hand-made rows."""

from __future__ import annotations

from pipelines import report_forgetting as RF

PNG = b"\x89PNG"


def test_summary_line_shows_intervals_flags_and_the_reference():
    rows = [{"metric": "verbatim_rouge_l_forget", "value": 0.12, "ci_low": 0.08, "ci_high": 0.16},
            {"metric": "knowledge_choice_acc_forget", "value": 0.2, "ci_low": 0.1, "ci_high": 0.3, "below_chance": True},
            {"metric": "relearn_recovery_verbatim_rouge_l_forget", "value": float("nan")}]
    ref = [{"metric": "verbatim_rouge_l_forget", "value": 0.1}]
    line = RF.summary_line("unlearned", rows, ref)
    assert line == ("unlearned: ROUGE-L forget 0.12 [0.08, 0.16] (ref 0.10); two-choice 0.20 [0.10, 0.30] BELOW CHANCE; "
                    "relearn recovery ROUGE n/a")
    assert RF.summary_line("base", []) == "base: no forgetting metrics"
    controlled = [{"metric": "relearn_recovery_knowledge_exact_forget", "value": 0.86},
                  {"metric": "relearn_beyond_control_knowledge_exact_forget", "value": 0.29}]
    assert RF.summary_line("unlearned", controlled) == "unlearned: relearn beyond base exact 0.29"


def test_before_after_pairs_outputs_of_the_same_items():
    rows = [{"metric": "verbatim_rouge_l", "model_version": v, "item_id": i, "value": val, "output": f"{v}-{i}"}
            for v, i, val in (("s", "a", 0.9), ("s", "b", 1.0), ("u", "a", 0.1), ("u", "b", 0.0), ("s", "c", 0.5))]
    got = RF.before_after(rows, {"s": "subject", "u": "unlearned"}, n=5)
    assert got == [{"item_id": "b", "subject": "s-b", "unlearned": "u-b"},
                   {"item_id": "a", "subject": "s-a", "unlearned": "u-a"}]  # c lacks the unlearned output


def test_plots_render_or_return_none():
    assert RF.membership_histograms({"m": {"forget": [1.0, 2.0, 2.5], "holdout": [0.0, 0.5]}}).startswith(PNG)
    assert RF.membership_histograms({"m": {"forget": [], "holdout": [1.0]}}) is None
    curve = [{"model_version": "u", "step": s, "metric": "rouge", "value": v} for s, v in ((0, 0.1), (5, 0.6), (10, 0.9))]
    assert RF.relearn_plot(curve, {"u": "unlearned"}).startswith(PNG)
    assert RF.relearn_plot([], {}) is None
    # the halves of a forget-side metric get no panel of their own (only halves: nothing to draw)
    halves = [r | {"metric": f"knowledge_exact_forget_{h}"} for r in curve for h in ("dev", "test")]
    assert RF.relearn_plot(halves, {"u": "unlearned"}) is None
    facts = [r | {"metric": "known_facts_accuracy_dev"} for r in curve]  # a fact file's split keeps its panel
    assert RF.relearn_plot(facts, {"u": "unlearned"}).startswith(PNG)


def test_the_plain_sentence_reads_relearning_against_the_control():
    from pipelines.report import _hidden_or_removed

    metrics = {"membership_auc_gap_mink_pp": {"value": 0.12, "ci_low": -0.01, "ci_high": 0.25},
               "relearn_recovery_knowledge_choice_acc_forget": {"value": 0.4}}
    plain = _hidden_or_removed("unlearned", metrics)
    assert "not distinguishable" in plain and "brings back 40% of the two-choice accuracy" in plain
    assert "base model attacked" not in plain  # no control measured, nothing said of it
    below = _hidden_or_removed("unlearned", metrics | {"relearn_beyond_control_knowledge_choice_acc_forget": {"value": -0.4}})
    assert below.endswith("ends no higher than the base model attacked alike (beyond the control -0.40).")
    above = _hidden_or_removed("unlearned", metrics | {"relearn_beyond_control_knowledge_choice_acc_forget": {"value": 0.25}})
    assert "25% of it beyond where the same attack brings the base model" in above
