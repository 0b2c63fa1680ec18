"""The report's matplotlib figures, each returned as PNG bytes (embedded as base64 in report.html)."""

from __future__ import annotations

import io

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # no display: reports are rendered on servers
import matplotlib.pyplot as plt  # noqa: E402

FAMILIARITY = ["familiarity_completion_dev", "familiarity_completion_test", "familiarity_probability"]
RETENTION = ["general_perplexity", "target_generic_perplexity", "knowledge_accuracy"]


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _bars(ax, labels: list[str], series: dict[str, list[float]], title: str, ylabel: str) -> None:
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
        bars = ax.bar(xs, values, width, label=name)
        ax.bar_label(bars, fmt="%.3g", fontsize=7)
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)


def models_plot(labels: list[str], table: dict[str, dict[str, float]]) -> bytes | None:
    """Familiarity (left) and retention (right) per model; `table[metric][label]` is the value."""
    fam = {m: [table[m].get(l, float("nan")) for l in labels] for m in FAMILIARITY if m in table}
    ppl = {m: [table[m].get(l, float("nan")) for l in labels] for m in RETENTION[:2] if m in table}
    acc = {m: [table[m].get(l, float("nan")) for l in labels] for m in RETENTION[2:] if m in table}
    panels = [p for p in ((fam, "Familiarity (lower is better)", "share"),
                          (ppl, "Perplexity (lower is better)", "perplexity"),
                          (acc, "General knowledge (higher is better)", "accuracy")) if p[0]]
    if not panels or not labels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (series, title, ylabel) in zip(axes[0], panels):
        _bars(ax, labels, series, title, ylabel)
    return _png(fig)


def tradeoff_plot(points: dict[str, dict[str, float]]) -> bytes | None:
    """Familiarity against retention, one labelled point per model: test familiarity on the y axis, general
    perplexity (left) and knowledge accuracy (right) on the x axes. `points[label][metric]` is the value."""
    fam = "familiarity_completion_test"
    panels = [(m, title) for m, title in (("general_perplexity", "general perplexity (lower keeps more)"),
                                          ("knowledge_accuracy", "knowledge accuracy (higher keeps more)"))
              if sum(1 for v in points.values() if fam in v and m in v) >= 2]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.5), squeeze=False)
    for ax, (metric, title) in zip(axes[0], panels):
        for label, values in points.items():
            if fam in values and metric in values:
                ax.scatter(values[metric], values[fam], s=30)
                ax.annotate(label, (values[metric], values[fam]), fontsize=7, xytext=(4, 3), textcoords="offset points")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
        ax.set_xlabel(title)
        ax.set_ylabel("completion familiarity, test (lower forgets more)")
        ax.set_title("Forgetting against keeping")
    return _png(fig)


def alpha_plot(points: dict[str, list[tuple[float, float]]]) -> bytes | None:
    """Familiarity against alpha: one line per metric, points (alpha, value)."""
    if not points:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for metric, pts in points.items():
        pts = sorted(pts)
        ax.plot([a for a, _ in pts], [v for _, v in pts], marker="o", label=metric)
    ax.set_xscale("symlog", linthresh=1)
    ticks = sorted({a for pts in points.values() for a, _ in pts})
    ax.set_xticks(ticks, [f"{a:g}" for a in ticks])
    ax.set_xlabel("alpha")
    ax.set_ylabel("familiarity")
    ax.set_title("Familiarity of the unlearned model against alpha")
    ax.legend(fontsize=7)
    return _png(fig)


def changes_plot(changes: list[tuple[str, int]]) -> bytes | None:
    """Horizontal bars of the most frequent label changes ("' Ron' -> ' Tom'")."""
    if not changes:
        return None
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(changes) + 1))
    names = [c for c, _ in changes][::-1]
    ax.barh(names, [n for _, n in changes][::-1], color="#8a5cf6")
    ax.set_xlabel("positions")
    ax.set_title("Most frequent label changes (original next token -> generic label)")
    ax.tick_params(axis="y", labelsize=8)
    return _png(fig)
