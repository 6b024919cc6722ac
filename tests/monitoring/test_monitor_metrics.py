"""Drift metrics against independent oracles (SciPy, statsmodels, plain NumPy) to 1e-12 on the same bins."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from raigov.monitoring import drift as m
from raigov.monitoring.profile import CategoricalSpec, NumericSpec, Spec, fit_spec, profile_batches, quantile_edges

TOL = 1e-12


def counts_pair(seed, b=12):
    g = np.random.default_rng(seed)
    r = g.integers(0, 200, size=b)
    c = g.integers(0, 200, size=b)
    r[3] = 0  # an empty bin in one sample only
    r[5] = c[5] = 0  # a bin empty in both (dropped)
    return r, c


@pytest.mark.parametrize("seed", range(5))
def test_psi_js_chi2_match_numpy_and_scipy(seed):
    r, c = counts_pair(seed)
    keep = (r + c) > 0
    rk, ck = r[keep].astype(float), c[keep].astype(float)
    p = (rk + 0.5) / (rk.sum() + 0.5 * rk.size)
    q = (ck + 0.5) / (ck.sum() + 0.5 * ck.size)
    assert m.psi(r, c) == pytest.approx(float(np.sum((p - q) * np.log(p / q))), abs=TOL)
    assert m.js_distance(r, c) == pytest.approx(float(jensenshannon(rk, ck, base=2)), abs=TOL)
    assert m.js_distance(r, c, base=np.e) == pytest.approx(float(jensenshannon(rk, ck)), abs=TOL)
    stat, dof, pv = m.chi2_two_sample(r, c)
    ref = stats.chi2_contingency(np.vstack([rk, ck]), correction=False)
    assert (stat, dof) == (pytest.approx(ref.statistic, abs=TOL), ref.dof)
    assert pv == pytest.approx(ref.pvalue, abs=TOL)


def test_psi_critical_value():
    # (1/N + 1/M) chi2_0.95(B-1): 0.034 at N = M = 1000, B = 10 (research note B4.1)
    assert m.psi_critical(1000, 1000, 10) == pytest.approx(0.002 * stats.chi2.ppf(0.95, 9), abs=TOL)
    assert m.psi_critical(1000, 1000, 10) == pytest.approx(0.0338, abs=1e-4)
    assert m.psi_critical(0, 10, 10) == np.inf


@pytest.mark.parametrize(("n", "k"), [(50, 70), (3000, 2000), (20_000, 15_000)])
def test_ks_and_wasserstein_match_scipy(n, k):
    g = np.random.default_rng(n)
    x, y = g.normal(size=n), g.normal(0.1, 1.1, size=k)
    y[:10] = x[:10]  # ties across samples
    d, p, how = m.ks_exact(x, y)
    ref = stats.ks_2samp(x, y)  # scipy's "auto": exact up to 10,000 values, else asymptotic
    assert d == pytest.approx(ref.statistic, abs=TOL)
    assert p == pytest.approx(ref.pvalue, abs=TOL)
    assert how == ("exact" if max(n, k) <= 10_000 else "asymptotic")
    assert m.wasserstein_exact(x, y) == pytest.approx(stats.wasserstein_distance(x, y), abs=TOL)


def test_ks_binned_bounds_the_exact_statistic():
    g = np.random.default_rng(3)
    x, y = g.normal(size=5000), g.normal(0.2, size=4000)
    edges = np.quantile(x, np.linspace(0, 1, 201))
    grid = np.concatenate([[-np.inf], edges, [np.inf]])
    r, c = np.histogram(x, grid)[0], np.histogram(y, grid)[0]
    d_grid, width = m.ks_binned(r, c)
    d = stats.ks_2samp(x, y).statistic
    assert d_grid <= d + TOL <= d_grid + width + 2 * TOL


def test_benjamini_hochberg_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.random.default_rng(1).uniform(size=40) ** 3
    p[[4, 9]] = np.nan
    ok = ~np.isnan(p)
    got = m.benjamini_hochberg(p)
    assert np.isnan(got[~ok]).all()
    np.testing.assert_allclose(got[ok], multipletests(p[ok], method="fdr_bh")[1], atol=TOL, rtol=0)


def test_numeric_bins_match_numpy_histogram():
    g = np.random.default_rng(2)
    ref = g.normal(size=1000)
    cur = np.concatenate([g.normal(0.3, 1.5, size=990), [np.nan] * 10])
    spec = NumericSpec("x", quantile_edges(ref, 10))
    e = np.array(spec.edges)
    np.testing.assert_array_equal(e, np.quantile(ref, np.linspace(0, 1, 11)))
    counts = np.bincount(spec.codes(cur), minlength=spec.n_bins)
    finite = cur[~np.isnan(cur)]
    assert counts[0] == 10 and counts[1] == (finite < e[0]).sum() and counts[-1] == (finite > e[-1]).sum()
    np.testing.assert_array_equal(counts[2:-1], np.histogram(finite, e)[0])  # last bin closed, as NumPy's
    ref_counts = np.bincount(spec.codes(ref), minlength=spec.n_bins)
    assert ref_counts[[0, 1, -1]].tolist() == [0, 0, 0] and ref_counts.sum() == 1000


def test_categorical_codes_top_other_unseen_missing():
    ref = pa.table({"c": ["a", "a", "a", "b", "b", "c", None, "d"]})
    spec = fit_spec([(0, ref.to_batches()[0])], [], ["c"], top_k=2)
    f = spec.feature("c")
    assert isinstance(f, CategoricalSpec) and f.top == ("a", "b") and f.reference == {"a", "b", "c", "d"}
    cur = pa.table({"c": ["a", "c", "z", "", None, "b", "d"]})
    prof = profile_batches(spec, [(0, cur.to_batches()[0])], "cur")
    assert f.labels() == ["missing", "a", "b", "other", "unseen"]
    assert prof.feature_counts("cur", "c").tolist() == [2, 1, 1, 2, 1]


def test_constant_reference_gets_one_bin():
    spec = Spec((NumericSpec("x", quantile_edges(np.full(10, 3.0), 10)),))
    f = spec.features[0]
    assert f.codes(np.array([2.0, 3.0, 4.0, np.nan])).tolist() == [1, 2, 3, 0]


def test_fold_outer_adds_underflow_and_overflow_to_the_edge_bins():
    assert m.fold_outer(np.array([4, 1, 10, 20, 30, 2])).tolist() == [4, 0, 11, 20, 32, 0]


def test_ks_and_wasserstein_together_equal_each_alone():
    g = np.random.default_rng(9)
    x, y = np.round(g.normal(size=3000), 1), np.round(g.normal(0.1, size=2000), 1)  # many ties
    d, p, how, w = m.ks_and_wasserstein(x, y)
    ref = stats.ks_2samp(x, y)
    assert (d, p, how) == (pytest.approx(ref.statistic, abs=TOL), pytest.approx(ref.pvalue, abs=TOL), "exact")
    assert w == pytest.approx(stats.wasserstein_distance(x, y), abs=TOL)
