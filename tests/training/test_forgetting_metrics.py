"""Pure parts of the forgetting metrics on hand-worked cases: LCS / ROUGE-L, AUC with ties, Min-K%++ against a
direct numpy computation, intervals, the below-chance flag, recovery, cloze answer matching."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from training import intervals as I
from training.cloze import starts_with_answer
from training.membership import auc, mean_nll, mink_pp, ranks, token_stats
from training.relearn import beyond_control, recovery
from training.verbatim import lcs_length, rouge_l, words


def test_lcs_classic_cases():
    assert lcs_length("ABCBDAB", "BDCABA") == 4
    assert lcs_length("", "abc") == 0
    assert lcs_length("abc", "abc") == 3
    assert lcs_length(["a", "b", "c"], ["c", "b", "a"]) == 1


@pytest.mark.parametrize("generated, reference, p, r", [
    ("the cat sat on the mat", "the cat is on the mat", 5 / 6, 5 / 6),   # LCS: the cat on the mat
    ("the cat", "the cat sat on the mat", 1.0, 2 / 6),
    ("The CAT, sat.", "the cat sat", 1.0, 1.0),                         # case and punctuation ignored
    ("mat the on", "on the mat", 1 / 3, 1 / 3),                        # order matters: LCS 1
    ("", "anything", 0.0, 0.0),
])
def test_rouge_l_by_hand(generated, reference, p, r):
    got = rouge_l(generated, reference)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    assert (got["precision"], got["recall"], got["f1"]) == pytest.approx((p, r, f1))


def test_words_keep_accents_and_digits():
    assert words("Café 1992, l'été!") == ["café", "1992", "l", "été"]


def test_ranks_and_auc_known_values():
    assert ranks(np.array([10.0, 20.0, 20.0, 5.0])).tolist() == [2.0, 3.5, 3.5, 1.0]
    assert auc([3, 4, 5], [0, 1, 2]) == 1.0
    assert auc([0, 1], [5, 6, 7]) == 0.0
    assert auc([1, 1, 1], [1, 1]) == 0.5
    # pairs: (1,2) lose, (1,0) win, (2,2) tie, (2,0) win, (3,2) win, (3,0) win -> 4.5 / 6
    assert auc([1, 2, 3], [2, 0]) == 0.75
    assert math.isnan(auc([], [1.0]))


def test_auc_equals_pairwise_count_with_many_ties():
    rng = np.random.default_rng(3)
    pos, neg = rng.integers(0, 5, 40), rng.integers(0, 5, 30)
    pairwise = np.mean([(p > q) + 0.5 * (p == q) for p in pos for q in neg])
    assert auc(pos, neg) == pytest.approx(pairwise)


def test_mink_pp_against_numpy_on_a_three_token_vocabulary():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 5, 3)) * 2
    targets = rng.integers(0, 3, size=(2, 5))
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    k = 0.4
    expected, expected_nll = [], []
    for b in range(2):
        z = []
        for t in range(int(mask[b].sum())):
            logp = logits[b, t] - np.log(np.exp(logits[b, t]).sum())
            p = np.exp(logp)
            mu = (p * logp).sum()
            sigma = math.sqrt((p * (logp - mu) ** 2).sum())
            z.append((logp[targets[b, t]] - mu) / sigma)
        n_low = max(1, int(k * len(z)))  # 5 tokens -> 2 lowest, 3 tokens -> 1 lowest
        expected.append(np.mean(sorted(z)[:n_low]))
        expected_nll.append(-np.mean([logits[b, t, targets[b, t]] - np.log(np.exp(logits[b, t]).sum())
                                      for t in range(int(mask[b].sum()))]))
    lp, mu, sigma = token_stats(torch.tensor(logits), torch.tensor(targets))
    got = mink_pp(lp, mu, sigma, torch.tensor(mask), k)
    assert got.tolist() == pytest.approx(expected, abs=1e-5)
    assert mean_nll(lp, torch.tensor(mask)).tolist() == pytest.approx(expected_nll, abs=1e-5)


def test_token_stats_where_probabilities_underflow():
    """A one-hot row (other logits -inf) and a row whose other tokens underflow to p = 0: mu and sigma stay
    finite (0 log 0 counts as 0), and the target's log-probability is the true one, not a clamped one."""
    inf = float("inf")
    logits = torch.tensor([[[0.0, -inf, -inf], [200.0, 0.0, 0.0], [1.0, 1.0, 1.0]]])
    lp, mu, sigma = token_stats(logits, torch.tensor([[1, 0, 2]]))
    assert lp[0, 0] == -inf and lp[0, 1] == pytest.approx(0.0) and lp[0, 2] == pytest.approx(-math.log(3))
    assert mu.tolist()[0] == pytest.approx([0.0, 0.0, -math.log(3)], abs=1e-6)
    assert sigma.tolist()[0] == pytest.approx([0.0, 0.0, 0.0], abs=1e-3)


def test_mink_pp_sign_and_padding_only_is_nan():
    logits = torch.tensor([[[10.0, 0.0, 0.0], [0.0, 0.0, 0.0]]] * 2)
    lp, mu, sigma = token_stats(logits, torch.tensor([[0, 1], [1, 1]]))
    got = mink_pp(lp, mu, sigma, torch.tensor([[1, 0], [1, 0]]), 0.2)
    # the likely token sits just above the mean log-prob; the unlikely one ~ (-10 - (-0.001)) / 0.095 standard deviations
    assert 0 < float(got[0]) < 0.05 and float(got[1]) < -100
    assert math.isnan(float(mink_pp(lp, mu, sigma, torch.tensor([[0, 0], [0, 0]]), 0.2)[0]))


def test_wilson_known_values():
    assert I.wilson(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert I.wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert all(math.isnan(x) for x in I.wilson(0, 0))


def test_bootstrap_intervals():
    assert I.bootstrap_mean([0.3] * 20) == pytest.approx((0.3, 0.3))
    low, high = I.bootstrap_mean([0.0, 1.0] * 50)
    assert low < 0.5 < high and 0.1 < high - low < 0.3  # sd of the mean 0.05: width about 0.2
    assert I.bootstrap_auc([3, 4, 5], [0, 1, 2]) == (1.0, 1.0)
    rng = np.random.default_rng(1)
    pos, neg = rng.normal(0.5, 1, 60), rng.normal(0, 1, 60)
    low, high = I.bootstrap_auc(pos, neg)
    assert low < auc(pos, neg) < high
    assert I.bootstrap_auc_diff(pos, neg, pos, neg) == (0.0, 0.0)  # the same model twice: no difference at all


def test_below_chance_flag():
    wrong = I.proportion([False] * 30 + [True] * 5)  # 5/30, Wilson upper ~0.33 < 0.5: prefers the wrong answer
    assert wrong["below_chance"] and wrong["ci_high"] < 0.5
    assert not I.proportion([False] * 16 + [True] * 14)["below_chance"]  # 14/30 is chance-level
    assert I.proportion([True, False], chance=None)["below_chance"] is None
    assert I.mean([0.2, 0.25, 0.3, 0.22] * 10, chance=0.5)["below_chance"]
    assert not I.mean([0.2, 0.9] * 10, chance=0.5)["below_chance"]


def test_recovery_definition():
    assert recovery(0.6, unlearned=0.2, subject=1.0) == pytest.approx(0.5)
    assert recovery(1.2, unlearned=0.2, subject=1.0) == pytest.approx(1.25)   # relearning may overshoot
    assert recovery(0.1, unlearned=0.2, subject=1.0) == pytest.approx(-0.125)
    assert recovery(0.4, unlearned=0.60, subject=0.1) == pytest.approx(0.4)    # works for "lower is more" too
    assert math.isnan(recovery(0.9, unlearned=0.5, subject=0.51))  # nothing measurable was removed
    assert math.isnan(recovery(float("nan"), 0.1, 0.9))


def test_beyond_control_definition():
    """The demo's exact-match curve, hand-worked: subject 7/16, unlearned 0/16, after the attack 6/16, and the base
    model, which never saw the corpus, 4/16 after the same attack: recovery 6/7, but only 2 of the 7 answers
    unlearning removed come back beyond what the attack teaches a never-trained model."""
    assert recovery(6 / 16, unlearned=0.0, subject=7 / 16) == pytest.approx(6 / 7)
    assert beyond_control(6 / 16, control=4 / 16, unlearned=0.0, subject=7 / 16) == pytest.approx(2 / 7)
    assert beyond_control(0.25, control=0.25, unlearned=0.0, subject=0.5) == 0.0   # ends where the control ends
    assert beyond_control(0.1, control=0.3, unlearned=0.0, subject=0.5) == pytest.approx(-0.4)  # below it
    assert beyond_control(0.4, control=0.5, unlearned=0.6, subject=0.1) == pytest.approx(0.2)  # "lower is more"
    assert math.isnan(beyond_control(0.9, control=0.2, unlearned=0.5, subject=0.51))
    assert math.isnan(beyond_control(0.9, control=float("nan"), unlearned=0.1, subject=0.9))


@pytest.mark.parametrize("completion, answer, ok", [
    (" Hogwarts, the school", " Hogwarts", True),
    ("Hogwarts", " Hogwarts", True),
    (" Hogwartsian", " Hogwarts", False),
    (" the Hogwarts", " Hogwarts", False),
    (" Diagon Alley.", " Diagon Alley", True),
])
def test_exact_match_is_a_prefix_whole_word(completion, answer, ok):
    assert starts_with_answer(completion, answer) is ok


def test_relearn_halves_keep_a_document_together_and_split_the_items():
    from training.relearn import relearn_half
    docs = [f"doc{i}" for i in range(200)]
    halves = [relearn_half(d) for d in docs]
    assert set(halves) == {"dev", "test"} and 70 < halves.count("dev") < 130   # about half each
    assert [relearn_half(d) for d in docs] == halves                           # stable


def test_followed_per_half_by_hand():
    """Four cloze items of two documents (one per half) and one membership pair: the per-item means per half are
    the hand-computed ones, the membership AUC is not halved, and items outside `halves` are left out."""
    from training.forgetting import followed
    rows = [{"item_id": i, "split": "forget", "metric": m, "value": v} for i, m, v in [
        ("cloze:a:1", "knowledge_exact", 1.0), ("cloze:a:2", "knowledge_exact", 0.0),
        ("cloze:b:1", "knowledge_exact", 1.0), ("cloze:b:2", "knowledge_exact", 1.0),
        ("cloze:a:1", "knowledge_choice", 1.0), ("cloze:a:2", "knowledge_choice", 1.0),
        ("cloze:b:1", "knowledge_choice", 0.0), ("cloze:b:2", "knowledge_choice", 1.0),
        ("cloze:c:1", "knowledge_exact", 0.0), ("membership:a:0", "membership_loss", 1.0)]]
    rows.append({"item_id": "membership:h:0", "split": "holdout", "metric": "membership_loss", "value": 2.0})
    halves = {"cloze:a:1": "dev", "cloze:a:2": "dev", "cloze:b:1": "test", "cloze:b:2": "test",
              "membership:a:0": "dev", "membership:h:0": "test"}
    got = followed(rows, halves)
    assert got == {"knowledge_exact_forget": 0.75, "knowledge_exact_forget_dev": 0.5, "knowledge_exact_forget_test": 1.0,
                   "knowledge_choice_acc_forget": 0.75, "knowledge_choice_acc_forget_dev": 1.0,
                   "knowledge_choice_acc_forget_test": 0.5, "membership_auc_loss": 1.0}
    # without halves: every row, no per-half values (c's item counts now)
    assert followed(rows) == {"knowledge_exact_forget": 0.6, "knowledge_choice_acc_forget": 0.75, "membership_auc_loss": 1.0}


def test_cluster_proportion_resamples_whole_clusters_by_hand():
    # two facts of two paraphrases each, one answered both times, one lost both times: a resample holds the first
    # twice (1.0), both (0.5) or the second twice (0.0), each extreme with probability 1/4: the interval is [0, 1]
    got = I.cluster_proportion([True, True, False, False], ["a", "a", "b", "b"])
    assert (got["value"], got["n"], got["ci_low"], got["ci_high"]) == (0.5, 4, 0.0, 1.0)
    assert got["below_chance"] is None
    # clusters of equal make-up: every resample reads the same share
    same = I.cluster_proportion([True, False] * 3, ["a", "a", "b", "b", "c", "c"])
    assert same["ci_low"] == same["ci_high"] == 0.5
    # unequal sizes: the share is hits over items, not a mean of the clusters' shares
    uneven = I.cluster_proportion([True, True, True, False], ["a", "a", "a", "b"])
    assert uneven["value"] == 0.75 and (uneven["ci_low"], uneven["ci_high"]) == (0.0, 1.0)


def test_cluster_proportion_is_wider_than_the_item_bootstrap_when_items_move_together():
    flags = [True] * 10 + [False] * 10
    apart = I.cluster_proportion(flags, list(range(20)))  # one item per cluster: the plain bootstrap of the share
    together = I.cluster_proportion(flags, ["a"] * 10 + ["b"] * 10)
    assert apart["value"] == together["value"] == 0.5
    plain = I.bootstrap_mean([float(f) for f in flags])  # other draws of the same resampling: within a step or two
    assert abs(apart["ci_low"] - plain[0]) <= 0.1 and abs(apart["ci_high"] - plain[1]) <= 0.1
    assert apart["ci_high"] - apart["ci_low"] < 0.5 and (together["ci_low"], together["ci_high"]) == (0.0, 1.0)
    assert I.cluster_proportion(flags, list(range(20))) == apart  # seeded: the same interval every time


def test_cluster_proportion_refuses_mismatched_labels_and_reads_nothing_as_nan():
    with pytest.raises(ValueError, match="2 flags but 1 cluster"):
        I.cluster_proportion([True, False], ["a"])
    empty = I.cluster_proportion([], [], chance=0.5)
    assert empty["n"] == 0 and math.isnan(empty["value"]) and math.isnan(empty["ci_low"]) and empty["below_chance"] is False


def test_cluster_recovery_resamples_whole_clusters_for_all_three_models_by_hand():
    # fact a came back after the attack, fact b did not (both removed, both known to the subject): a resample holds a
    # twice (recovery 1), a and b (0.5) or b twice (0), each extreme with probability 1/4
    got = I.cluster_recovery([False, False], [True, False], [True, True], ["a", "b"])
    assert got == (0.0, 1.0)
    # clusters of equal make-up (a fact of two paraphrases, one restored): every resample reads recovery's own value
    same = I.cluster_recovery([False, False] * 3, [True, False] * 3, [True, True] * 3, ["a", "a", "b", "b", "c", "c"])
    assert same == (recovery(0.5, 0.0, 1.0),) * 2
    # a fact unlearning never removed: the resamples of it alone have no recovery and are left out, not read as 0
    kept = I.cluster_recovery([True, False], [True, True], [True, True], ["a", "b"])
    assert kept == (1.0, 1.0)
    # nothing removed at all: no interval
    assert all(math.isnan(x) for x in I.cluster_recovery([True, True], [True, True], [True, True], ["a", "b"]))
    assert all(math.isnan(x) for x in I.cluster_recovery([], [], [], []))
    with pytest.raises(ValueError, match="2, 2 and 1 flags but 2 cluster"):
        I.cluster_recovery([True, False], [True, False], [True], ["a", "b"])


def test_cluster_recovery_covers_the_point_and_narrows_with_more_facts():
    rng = np.random.default_rng(3)
    wide, narrow = [], []
    for n, out in ((20, wide), (200, narrow)):
        removed = rng.random(n) < 0.9
        back = removed & (rng.random(n) < 0.5)
        unlearned, subject = ~removed, np.ones(n, dtype=bool)
        relearned = unlearned | back
        point = recovery(relearned.mean(), unlearned.mean(), subject.mean())
        low, high = I.cluster_recovery(unlearned, relearned, subject, list(range(n)))
        assert low <= point <= high
        out.append(high - low)
    assert narrow[0] < wide[0] / 2


def test_shown_interval_only_where_there_is_one_worth_showing():
    assert I.shown_interval({"ci_low": 0.1, "ci_high": 0.3}) == (0.1, 0.3)
    for row in ({}, {"ci_low": None, "ci_high": 0.3}, {"ci_low": 0.2, "ci_high": 0.2},
                {"ci_low": float("nan"), "ci_high": 0.3}, {"ci_low": 0.1, "ci_high": float("nan")}):
        assert I.shown_interval(row) is None, row
