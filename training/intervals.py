"""Confidence intervals and the below-chance flag shared by every evaluation metric.

Wilson intervals for proportions (two-choice accuracy, exact match); percentile bootstrap for means
(ROUGE-L, probability scores), for AUC (positives and negatives resampled separately) and for proportions
over clustered items (the fact items: paraphrases of one fact are not independent, so whole facts are resampled). A result
is flagged below chance when its whole interval lies under the chance level: a model that reliably
prefers the wrong answer still tells the two apart, so it still holds the knowledge.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Sequence

import numpy as np

LEVEL = 0.95
N_BOOT = 1000


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2)


def wilson(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of a proportion k / n ((nan, nan) when n = 0)."""
    if n == 0:
        return float("nan"), float("nan")
    z, p = _z(level), k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_mean(values: Sequence[float], level: float = LEVEL, n_boot: int = N_BOOT,
                   seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values`."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return float("nan"), float("nan")
    idx = np.random.default_rng(seed).integers(0, len(x), size=(n_boot, len(x)))
    means = x[idx].mean(axis=1)
    return _percentiles(means, level)


def bootstrap_auc(pos: Sequence[float], neg: Sequence[float], level: float = LEVEL, n_boot: int = N_BOOT,
                  seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the AUC, positives and negatives resampled separately.

    Each resample's AUC is a weighted mean of the fixed pairwise win matrix (1 win, 0.5 tie), so no
    ranking is redone per resample.
    """
    p, q = np.asarray(pos, dtype=float), np.asarray(neg, dtype=float)
    if len(p) == 0 or len(q) == 0:
        return float("nan"), float("nan")
    wins = (p[:, None] > q[None, :]) + 0.5 * (p[:, None] == q[None, :])
    rng = np.random.default_rng(seed)
    cp = rng.multinomial(len(p), np.full(len(p), 1 / len(p)), size=n_boot)
    cq = rng.multinomial(len(q), np.full(len(q), 1 / len(q)), size=n_boot)
    aucs = np.einsum("bi,ij,bj->b", cp, wins, cq) / (len(p) * len(q))
    return _percentiles(aucs, level)


def _percentiles(samples: np.ndarray, level: float) -> tuple[float, float]:
    low, high = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def below_chance(high: float, chance: float) -> bool:
    """True when the interval's upper end is under the chance level (nan never flags)."""
    return bool(high < chance) if not math.isnan(high) else False


def shown_interval(row: dict) -> tuple[float, float] | None:
    """A `metrics` row's stored (ci_low, ci_high), or None where there is none worth showing: absent, nan, or a
    single point."""
    low, high = row.get("ci_low"), row.get("ci_high")
    if low is None or high is None or math.isnan(low) or math.isnan(high) or low == high:
        return None
    return low, high


def proportion(flags: Sequence[bool], chance: float | None = 0.5, level: float = LEVEL) -> dict:
    """{value, n, ci_low, ci_high, below_chance} of a share of successes (Wilson interval)."""
    n, k = len(flags), sum(bool(f) for f in flags)
    low, high = wilson(k, n, level)
    return {"value": k / n if n else float("nan"), "n": n, "ci_low": low, "ci_high": high,
            "below_chance": below_chance(high, chance) if chance is not None else None}


def mean(values: Sequence[float], chance: float | None = None, level: float = LEVEL, seed: int = 0) -> dict:
    """{value, n, ci_low, ci_high, below_chance} of a mean (bootstrap interval)."""
    low, high = bootstrap_mean(values, level, seed=seed)
    value = float(np.mean(values)) if len(values) else float("nan")
    return {"value": value, "n": len(values), "ci_low": low, "ci_high": high,
            "below_chance": below_chance(high, chance) if chance is not None else None}


def _cluster_resamples(columns: Sequence[Sequence[float]], clusters: Sequence, n_boot: int,
                       seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(each column's values over the items, (n_boot, columns) the same per resample of whole clusters): one draw of
    clusters serves every column (paired), each resample's figure the values of its clusters over their items."""
    names = {c: i for i, c in enumerate(dict.fromkeys(clusters))}
    index = np.fromiter((names[c] for c in clusters), dtype=int, count=len(clusters))
    totals = np.stack([np.bincount(index, weights=np.asarray(v, dtype=float), minlength=len(names)) for v in columns])
    sizes = np.bincount(index, minlength=len(names)).astype(float)
    counts = np.random.default_rng(seed).multinomial(len(names), np.full(len(names), 1 / len(names)), size=n_boot)
    return totals.sum(axis=1) / sizes.sum(), counts @ totals.T / (counts @ sizes)[:, None]


def _cluster_share(values: Sequence[float], clusters: Sequence, level: float, n_boot: int,
                   seed: int) -> tuple[float, float, float]:
    """(sum of values / items, ci_low, ci_high): percentile bootstrap resampling whole clusters, each resample's
    figure the values of its clusters over their items (values: 0/1 flags, or one model's flags minus another's)."""
    whole, resampled = _cluster_resamples([values], clusters, n_boot, seed)
    low, high = _percentiles(resampled[:, 0], level)
    return float(whole[0]), low, high


def cluster_proportion(flags: Sequence[bool], clusters: Sequence, chance: float | None = None, level: float = LEVEL,
                       n_boot: int = N_BOOT, seed: int = 0) -> dict:
    """{value, n, ci_low, ci_high, below_chance} of a share of successes whose items come in correlated clusters
    (e.g. paraphrases of one fact): percentile bootstrap resampling whole clusters, each resample's share the
    hits of its clusters over their items. With one item per cluster it is the plain bootstrap of the share."""
    if len(flags) != len(clusters):
        raise ValueError(f"{len(flags)} flags but {len(clusters)} cluster labels")
    if not flags:
        return {"value": float("nan"), "n": 0, "ci_low": float("nan"), "ci_high": float("nan"),
                "below_chance": False if chance is not None else None}
    value, low, high = _cluster_share(np.asarray(flags, dtype=float), clusters, level, n_boot, seed)
    return {"value": value, "n": len(flags), "ci_low": low, "ci_high": high,
            "below_chance": below_chance(high, chance) if chance is not None else None}


def cluster_proportion_diff(flags_a: Sequence[bool], flags_b: Sequence[bool], clusters: Sequence, level: float = LEVEL,
                            n_boot: int = N_BOOT, seed: int = 0) -> tuple[float, float, float]:
    """(share_a - share_b, ci_low, ci_high) for two models scored on the same clustered items: paired, one resample of
    whole clusters serves both, so the interval is of the difference and not of two separate shares."""
    if not len(flags_a) == len(flags_b) == len(clusters):
        raise ValueError(f"{len(flags_a)} and {len(flags_b)} flags but {len(clusters)} cluster labels")
    if not clusters:
        return float("nan"), float("nan"), float("nan")
    return _cluster_share(np.asarray(flags_a, dtype=float) - np.asarray(flags_b, dtype=float), clusters, level, n_boot,
                          seed)


def cluster_recovery(unlearned: Sequence[bool], relearned: Sequence[bool], subject: Sequence[bool], clusters: Sequence,
                     min_gap: float = 0.02, level: float = LEVEL, n_boot: int = N_BOOT,
                     seed: int = 0) -> tuple[float, float]:
    """Interval of the relearning recovery (relearned - unlearned) / (subject - unlearned), the three models' shares
    answered on the same clustered items: one resample of whole clusters serves all three (paired, as
    cluster_proportion_diff). A resample whose |subject - unlearned| is under `min_gap` has no recovery (as
    training.relearn.recovery) and is left out; (nan, nan) when more than half are, or there are no items."""
    if not len(unlearned) == len(relearned) == len(subject) == len(clusters):
        raise ValueError(f"{len(unlearned)}, {len(relearned)} and {len(subject)} flags but {len(clusters)} cluster labels")
    if not clusters:
        return float("nan"), float("nan")
    u, r, s = _cluster_resamples([unlearned, relearned, subject], clusters, n_boot, seed)[1].T
    kept = np.abs(s - u) >= min_gap
    if kept.sum() * 2 < n_boot:
        return float("nan"), float("nan")
    return _percentiles((r[kept] - u[kept]) / (s[kept] - u[kept]), level)


def bootstrap_auc_diff(pos_a, neg_a, pos_b, neg_b, level: float = LEVEL, n_boot: int = N_BOOT,
                       seed: int = 0) -> tuple[float, float]:
    """Interval of AUC_a - AUC_b for two models scored on the same items (paired: one resample serves both)."""
    pa_, na_, pb_, nb_ = (np.asarray(x, dtype=float) for x in (pos_a, neg_a, pos_b, neg_b))
    if len(pa_) == 0 or len(na_) == 0:
        return float("nan"), float("nan")
    wins = [(p[:, None] > q[None, :]) + 0.5 * (p[:, None] == q[None, :]) for p, q in ((pa_, na_), (pb_, nb_))]
    rng = np.random.default_rng(seed)
    cp = rng.multinomial(len(pa_), np.full(len(pa_), 1 / len(pa_)), size=n_boot)
    cq = rng.multinomial(len(na_), np.full(len(na_), 1 / len(na_)), size=n_boot)
    diff = (np.einsum("bi,ij,bj->b", cp, wins[0], cq) - np.einsum("bi,ij,bj->b", cp, wins[1], cq))
    return _percentiles(diff / (len(pa_) * len(na_)), level)
