"""The report's forgetting pieces: membership histograms, the relearning curve (PNG bytes, like
pipelines/report_plots.py), a summary line per model against the reference, and before/after
completions for the same prompts. Inputs are rows of the `metrics`, `eval_scores` and
`relearn_curve` tables; definitions in docs/evaluation.md."""

from __future__ import annotations

import math

import numpy as np

from pipelines.report_plots import _png, plt
from training.intervals import shown_interval

# (metric, short name, format) of the summary line, in reading order
SUMMARY = [("verbatim_rouge_l_forget", "ROUGE-L forget", "{:.2f}"), ("verbatim_rouge_l_holdout", "holdout", "{:.2f}"),
           ("knowledge_choice_acc_forget", "two-choice", "{:.2f}"), ("knowledge_exact_forget", "exact", "{:.2f}"),
           ("membership_auc_mink_pp", "AUC Min-K%++", "{:.2f}"), ("membership_auc_gap_mink_pp", "gap to reference", "{:+.2f}"),
           ("relearn_recovery_verbatim_rouge_l_forget", "relearn recovery ROUGE", "{:.2f}"),
           ("relearn_recovery_knowledge_choice_acc_forget", "two-choice", "{:.2f}"),
           ("relearn_beyond_control_knowledge_choice_acc_forget", "relearn beyond base two-choice", "{:.2f}"),
           ("relearn_beyond_control_knowledge_exact_forget", "relearn beyond base exact", "{:.2f}")]


def format_value(row: dict, fmt: str) -> str:
    """A `metrics` row's value in `fmt`, with its 95% interval when one is stored (not a single point), and a
    below-chance flag."""
    value = row["value"]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = fmt.format(value)
    interval = shown_interval(row)
    if interval is not None:
        text += " [" + fmt.format(interval[0]) + ", " + fmt.format(interval[1]) + "]"
    return text + (" BELOW CHANCE" if row.get("below_chance") else "")


def summary_line(label: str, rows: list[dict], reference: list[dict] | None = None) -> str:
    """'label: ROUGE-L forget 0.12 [0.08, 0.16] (ref 0.10); ...' from one model's `metrics` rows."""
    mine = {r["metric"]: r for r in rows}
    ref = {r["metric"]: r for r in reference or []}
    parts = []
    for metric, name, fmt in SUMMARY:
        if metric in mine:
            part = f"{name} {format_value(mine[metric], fmt)}"
            if metric in ref:
                part += f" (ref {format_value({'value': ref[metric]['value']}, fmt)})"
            parts.append(part)
    return f"{label}: " + "; ".join(parts) if parts else f"{label}: no forgetting metrics"


def before_after(score_rows: list[dict], labels: dict[str, str], metric: str = "verbatim_rouge_l",
                 n: int = 5) -> list[dict]:
    """Up to n items with every model's output side by side: {"item_id", label: output, ...}.

    The items are those the first model (in `labels` order) scores highest on, so the table shows text it
    knew and what the others make of the same prompt.
    """
    by_item: dict[str, dict] = {}
    for r in score_rows:
        if r["metric"] == metric and r["model_version"] in labels:
            by_item.setdefault(r["item_id"], {})[r["model_version"]] = r
    first = next(iter(labels))
    ranked = sorted((i for i, m in by_item.items() if first in m and len(m) == len(labels)),
                    key=lambda i: (-by_item[i][first]["value"], i))
    return [{"item_id": i, **{labels[v]: by_item[i][v]["output"] for v in labels}} for i in ranked[:n]]


def membership_histograms(scores: dict[str, dict[str, list[float]]], metric: str = "Min-K%++") -> bytes | None:
    """One panel per model: forget vs holdout score histograms; scores[label] = {"forget": [...], "holdout": [...]}."""
    panels = [(label, s) for label, s in scores.items() if s.get("forget") and s.get("holdout")]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.2), squeeze=False)
    for ax, (label, s) in zip(axes[0], panels):
        values = np.concatenate([s["forget"], s["holdout"]])
        values = values[np.isfinite(values)]
        bins = np.linspace(values.min(), values.max(), 21) if len(values) and values.min() < values.max() else 10
        ax.hist(s["forget"], bins=bins, alpha=0.6, label="forget", color="#d9534f")
        ax.hist(s["holdout"], bins=bins, alpha=0.6, label="holdout", color="#5b8def")
        ax.set_title(label, fontsize=9)
        ax.set_xlabel(metric)
    axes[0][0].set_ylabel("excerpts")
    axes[0][0].legend(fontsize=7)
    return _png(fig)


def relearn_plot(curve_rows: list[dict], labels: dict[str, str]) -> bytes | None:
    """One panel per metric, one line per model: value against relearning step (`relearn_curve` rows).

    The forget-side metrics' halves (`..._forget_dev`, `..._forget_test`: the same items in two parts, for choosing a
    recipe on one of them; docs/evaluation.md) are left out: their whole's panel shows them."""
    metrics = sorted({r["metric"] for r in curve_rows if not r["metric"].endswith(("_forget_dev", "_forget_test"))})
    if not metrics:
        return None
    fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for version, label in labels.items():
            pts = sorted((r["step"], r["value"]) for r in curve_rows if r["metric"] == metric and r["model_version"] == version)
            if pts:
                ax.plot([s for s, _ in pts], [v for _, v in pts], marker="o", label=label)
        ax.set_title(metric, fontsize=9)
        ax.set_xlabel("relearning step")
    axes[0][0].legend(fontsize=7)
    return _png(fig)
