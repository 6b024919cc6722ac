"""The profile merges exactly: 1, 7 and 64 partitions (and Dask) give the same digest; fairness per window
against Fairlearn's MetricFrame; AUC against scikit-learn; Newcombe against statsmodels."""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pytest

from raigov.monitoring.performance import auc_from_bins, fairness, newcombe, performance
from raigov.monitoring.profile import Profile, fit_spec, profile_batches, split

TOL = 1e-12


def table(n=20_000, seed=0):
    g = np.random.default_rng(seed)
    x = g.normal(size=n)
    x[g.uniform(size=n) < 0.01] = np.nan
    cat = g.choice(["a", "b", "c", "d", "e"], size=n, p=[.4, .3, .2, .08, .02]).astype(object)
    cat[g.uniform(size=n) < 0.01] = None
    grp = g.choice(["F", "M", "X"], size=n, p=[.5, .45, .05])
    return pa.table({"x": x, "y": g.exponential(size=n), "cat": cat, "grp": grp})


def profile_of(spec, tab, parts):
    return functools.reduce(Profile.merge, (profile_batches(spec, run, "w1", group="grp")
                                            for run in split(tab, parts)))


def test_partitions_give_identical_profiles():
    ref, cur = table(seed=1), table(seed=2)
    spec = fit_spec([(0, b) for b in ref.to_batches()], ["x", "y"], ["cat"], bins=10, top_k=3)
    one = profile_of(spec, cur, 1)
    assert one.feature_counts("w1", "x").sum() == cur.num_rows
    for parts in (7, 64):
        assert profile_of(spec, cur, parts).digest() == one.digest()
    # a different count changes the digest
    other = profile_batches(spec, [(0, cur.slice(1).to_batches()[0])], "w1", group="grp")
    assert other.digest() != one.digest()


def test_dask_partitions_give_the_same_profile():
    dask = pytest.importorskip("dask")
    ref, cur = table(seed=3), table(seed=4)
    spec = fit_spec([(0, b) for b in ref.to_batches()], ["x"], ["cat"], bins=8, top_k=2)
    parts = [dask.delayed(profile_batches)(spec, run, "w1", "grp") for run in split(cur, 16)]
    merged = dask.delayed(lambda ps: functools.reduce(Profile.merge, ps))(parts).compute(scheduler="threads")
    assert merged.digest() == profile_of(spec, cur, 1).digest()


def outcomes(n=5000, seed=0):
    g = np.random.default_rng(seed)
    grp = g.choice(["F", "M", "X", "tiny"], size=n, p=[.5, .44, .054, .006])
    y = g.uniform(size=n) < np.where(grp == "F", 0.4, 0.5)
    score = np.clip(g.normal(np.where(y, 0.62, 0.42), 0.2), 0, 1)
    pred = score >= np.where(grp == "M", 0.5, 0.55)
    return grp, y, pred, score


def test_fairness_matches_fairlearn_metricframe():
    fl = pytest.importorskip("fairlearn.metrics")
    from sklearn.metrics import precision_score

    grp, y, pred, score = outcomes()
    spec = fit_spec([], [], [])
    prof = Profile(spec)
    half = len(y) // 2  # two partitions of one window merge
    prof.add_outcomes("w", grp[:half], y[:half], pred[:half], score[:half])
    prof.add_outcomes("w", grp[half:], y[half:], pred[half:], score[half:])
    got = fairness(prof, "w", min_count=0)
    mf = fl.MetricFrame(metrics={"selection_rate": fl.selection_rate, "tpr": fl.true_positive_rate,
                                 "fpr": fl.false_positive_rate,
                                 "precision": functools.partial(precision_score, zero_division=np.nan)},
                        y_true=y, y_pred=pred, sensitive_features=grp)
    for g, row in mf.by_group.iterrows():
        for k in ("selection_rate", "tpr", "fpr", "precision"):
            assert got["groups"][g][k] == pytest.approx(row[k], abs=TOL), (g, k)
    assert got["demographic_parity_difference"] == pytest.approx(
        fl.demographic_parity_difference(y, pred, sensitive_features=grp), abs=TOL)
    assert got["selection_rate_ratio"] == pytest.approx(
        fl.demographic_parity_ratio(y, pred, sensitive_features=grp), abs=TOL)
    assert got["equalized_odds_difference"] == pytest.approx(
        fl.equalized_odds_difference(y, pred, sensitive_features=grp), abs=TOL)


def test_small_groups_are_reported_too_few_and_left_out():
    grp, y, pred, score = outcomes()
    prof = Profile(fit_spec([], [], []))
    prof.add_outcomes("w", grp, y, pred, score)
    got = fairness(prof, "w", min_count=100)
    assert got["too_few"] == ["tiny"] and got["groups"]["tiny"]["status"] == "too few"
    ok = [g for g in ("F", "M", "X")]
    sel = [got["groups"][g]["selection_rate"] for g in ok]
    assert got["demographic_parity_difference"] == pytest.approx(max(sel) - min(sel), abs=TOL)


def test_newcombe_matches_statsmodels():
    from statsmodels.stats.proportion import confint_proportions_2indep

    for x1, n1, x2, n2 in [(30, 100, 12, 90), (1, 40, 0, 35), (500, 600, 450, 610)]:
        lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
        assert newcombe(x1, n1, x2, n2) == (pytest.approx(lo, abs=1e-10), pytest.approx(hi, abs=1e-10))


def test_performance_auc_and_rates_match_sklearn():
    from sklearn.metrics import accuracy_score, roc_auc_score

    grp, y, pred, score = outcomes(seed=5)
    prof = Profile(fit_spec([], [], []))
    prof.add_outcomes("w", grp, y, pred, score)
    got = performance(prof, "w")
    edges = np.asarray(prof.spec.score_edges)
    binned = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, len(edges) - 2)
    assert got["auc"] == pytest.approx(roc_auc_score(y, binned), abs=TOL)
    assert got["accuracy"] == pytest.approx(accuracy_score(y, pred), abs=TOL)
    assert sum(b["n"] for b in got["calibration"]) == len(y)
    assert auc_from_bins(np.array([0, 5]), np.array([5, 0])) == 1.0
