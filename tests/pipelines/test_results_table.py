"""The results table `obliviate run` prints and the model card holds: one row per headline metric, one column per
model, readable labels, the independent lexicon beside the dictionary's grading, fact files' test accuracies."""

from __future__ import annotations

from pipelines.cli_run import RESULT_ROWS, results


def _evaluate(store, values: dict[tuple[str, str | None, str], dict[str, float]]):
    rows = [{"target": "hp", "evaluate_version": "ev", "model_role": role, "method": method, "model_version": version,
             "metric": metric, "n": 10,
             **({"value": value[0], "ci_low": value[1], "ci_high": value[2]} if isinstance(value, tuple) else {"value": value})}
            for (role, method, version), metrics in values.items() for metric, value in metrics.items()]
    with store.create("evaluate", "hp", "ev", parents={}, settings={}, code_version="evaluate_test") as st:
        st.write("metrics", rows)
    return store.require("evaluate", "hp", "ev")


def test_one_row_per_metric_one_column_per_model(store):
    art = _evaluate(store, {
        ("unlearned", "whp", "u1"): {"familiarity_lexicon_test": 0.014, "familiarity_completion_test": 0.043,
                                     "relearn_recovery_knowledge_exact_forget": float("nan"),
                                     "relearn_recovery_knowledge_exact_forget_test": 0.2,
                                     "relearn_recovery_knowledge_exact_forget_dev": 0.1667,
                                     "relearn_beyond_control_knowledge_exact_forget": 0.2857,
                                     "known_facts_accuracy_test": (0.132, 0.036, 0.27), "known_facts_accuracy_dev": 0.07,
                                     "relearn_known_facts_accuracy_test": 0.5,
                                     "relearn_recovery_known_facts_accuracy_test": (0.47, 0.381, 0.56),
                                     "general_perplexity": 9.2291,
                                     "known_facts_all_accuracy_test": (0.048, 0.02, 0.09)},
        ("base", "base", "b1"): {"familiarity_lexicon_test": 0.053, "familiarity_completion_test": 0.077,
                                 "known_facts_accuracy_test": (1.0, 1.0, 1.0), "general_perplexity": 11.244,
                                 "known_facts_all_accuracy_test": (0.306, 0.2, 0.41)},
        ("subject", "causal_lm", "s1"): {"familiarity_lexicon_test": 0.322, "familiarity_completion_test": 0.37,
                                         "general_perplexity": 9.617, "unlisted_metric": 3.0},
    })
    columns, rows = results(store, art)
    assert columns == ["metric", "base", "subject", "unlearned (whp)"]  # the pipeline's order, the method when it says more
    by_label = {r[0]: r[1:] for r in rows}
    assert rows[0] == ("version", "b1", "s1", "u1")
    labels = dict(RESULT_ROWS)
    assert by_label[labels["familiarity_lexicon_test"]] == ("0.053", "0.322", "0.014")
    assert by_label[labels["familiarity_completion_test"]] == ("0.077", "0.370", "0.043")
    assert by_label[labels["relearn_recovery_knowledge_exact_forget"]] == ("", "", "n/a")  # undefined, not blank
    assert by_label[labels["relearn_recovery_knowledge_exact_forget_test"]] == ("", "", "0.200")  # the half that chose nothing
    assert by_label[labels["relearn_beyond_control_knowledge_exact_forget"]] == ("", "", "0.286")
    # a fact file's test split (not dev, not relearn) with its interval over facts, unless that is a single point
    assert by_label["known facts (test)"] == ("1.000", "", "0.132 [0.04, 0.27]")
    assert by_label["relearning recovery, known facts (test)"] == ("", "", "0.470 [0.38, 0.56]")  # over facts too
    # and the accuracy over every item of the file, where it holds items the base model does not know
    assert by_label["known facts, every item written (test)"] == ("0.306 [0.20, 0.41]", "", "0.048 [0.02, 0.09]")
    assert by_label[labels["general_perplexity"]] == ("11.244", "9.617", "9.229")
    assert [r[0] for r in rows] == ["version", labels["familiarity_lexicon_test"], labels["familiarity_completion_test"],
                                    labels["relearn_recovery_knowledge_exact_forget"],
                                    labels["relearn_recovery_knowledge_exact_forget_test"],
                                    labels["relearn_beyond_control_knowledge_exact_forget"],
                                    labels["general_perplexity"], "known facts (test)",
                                    "relearning recovery, known facts (test)", "known facts, every item written (test)"]


def test_the_dev_view_shows_no_test_item(store):
    """`--split dev`, for trials: every split figure as its dev twin, the relearning figures pooled over both halves as
    their dev half (the pooled ones hold test items), the unsplit figures as they are; no test value anywhere."""
    import pytest

    from corpus_tools.errors import ObliviateError
    from pipelines.cli_run import split_rows

    test_values = {"familiarity_lexicon_test": 0.9, "relearn_recovery_knowledge_choice_acc_forget": 0.9,
                   "relearn_recovery_knowledge_choice_acc_forget_test": 0.9,
                   "relearn_beyond_control_knowledge_choice_acc_forget": 0.9, "known_facts_accuracy_test": 0.9,
                   "relearn_recovery_known_facts_accuracy_test": 0.9}
    dev_values = {"familiarity_lexicon_dev": 0.1, "relearn_recovery_knowledge_choice_acc_forget_dev": 0.2,
                  "relearn_beyond_control_knowledge_choice_acc_forget_dev": 0.3,
                  "known_facts_accuracy_dev": (0.4, 0.25, 0.55), "relearn_recovery_known_facts_accuracy_dev": 0.5,
                  "general_perplexity": 9.5}
    art = _evaluate(store, {("unlearned", "whp", "u1"): {**test_values, **dev_values}})
    columns, rows = results(store, art, "dev")
    assert columns == ["metric", "unlearned (whp)"]
    assert rows == [("version", "u1"),
                    ("familiarity, independent lexicon (dev)", "0.100"),
                    ("relearning recovery, two-choice (dev half)", "0.200"),
                    ("relearning beyond the attacked base model, two-choice (dev half)", "0.300"),
                    ("general perplexity", "9.500"),
                    ("known facts (dev)", "0.400 [0.25, 0.55]"),
                    ("relearning recovery, known facts (dev)", "0.500")]
    assert all(m.endswith("_dev") or not m.endswith("_test") and not m.startswith("relearn_")
               for m, _ in split_rows("dev"))
    # the default view: the test split, and the same unsplit figure
    assert sorted(r[1] for r in results(store, art)[1][1:]) == ["0.900"] * 6 + ["9.500"]
    with pytest.raises(ObliviateError, match="--split 'train': choose one of test, dev"):
        split_rows("train")
