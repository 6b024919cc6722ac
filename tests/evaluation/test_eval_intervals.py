"""Binomial intervals against SciPy/statsmodels and research vector T7; the mergeable bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest
from statsmodels.stats.proportion import proportion_confint

from raigov.evaluation import intervals as iv

T7 = [
    (12, 1_000_000, (6.86477261576854e-06, 2.097657925351887e-05), (6.200589988389883e-06, 2.0961491123683136e-05),
     (6.559876215861824e-06, 2.0323144901830235e-05)),
    (0, 500_000, (0, 7.682858614618263e-06), (0, 7.377731692631547e-06), (9.820686256585905e-10, 5.023871055688913e-06)),
    (150, 10_000, (0.012797042489119614, 0.01757543593043668), (0.012709673608545354, 0.017578754961199462),
     (0.012755750737102287, 0.01752486752449101)),
    (3, 100, (0.010254524024038925, 0.0845193642905276), (0.006229971538306397, 0.08517605297428002),
     (0.00852028310740358, 0.07788756942640257)),
    (0, 30, (0, 0.11351339317396876), (0, 0.11570330822202778), (1.6231861223464347e-05, 0.07967817381726)),
]


@pytest.mark.parametrize("x,n,w,cp,jf", T7)
def test_t7_vectors(x, n, w, cp, jf):
    np.testing.assert_allclose(iv.wilson(x, n), w, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(iv.clopper_pearson(x, n), cp, rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(iv.jeffreys(x, n), jf, rtol=1e-8, atol=1e-15)


def test_zero_error_upper_bound():
    np.testing.assert_allclose(iv.zero_error_upper_bound([30, 300, 500_000]),
                               [0.09503385285530411, 0.009936081944457708, 5.991446598320117e-06], rtol=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.sampled_from([0.9, 0.95, 0.99]))
def test_equal_to_scipy_and_statsmodels(xn, conf):
    x, n = xn
    ci = binomtest(x, n).proportion_ci(confidence_level=conf, method="wilson")
    lo, hi = iv.wilson(x, n, conf)
    assert abs(lo - ci.low) <= 1e-12 and abs(hi - ci.high) <= 1e-12
    slo, shi = proportion_confint(x, n, alpha=1 - conf, method="wilson")
    assert abs(lo - slo) <= 1e-12 and abs(hi - shi) <= 1e-12
    ci = binomtest(x, n).proportion_ci(confidence_level=conf, method="exact")
    lo, hi = iv.clopper_pearson(x, n, conf)
    # SciPy's binomtest finds the exact bounds by root-finding, to about 1e-8 relative (seen: x=1,
    # n=240, 99%); statsmodels inverts the beta distribution, as we do, and agrees to 1e-12.
    np.testing.assert_allclose([lo, hi], [ci.low, ci.high], rtol=1e-6, atol=1e-14)
    slo, shi = proportion_confint(x, n, alpha=1 - conf, method="beta")
    np.testing.assert_allclose([lo, hi], [slo, shi], rtol=1e-12, atol=1e-15)
    slo, shi = proportion_confint(x, n, alpha=1 - conf, method="jeffreys")
    np.testing.assert_allclose(iv.jeffreys(x, n, conf), [slo, shi], rtol=1e-8, atol=1e-14)


def test_vectorised_and_empty():
    lo, hi = iv.wilson(np.array([0, 5, 0]), np.array([10, 10, 0]))
    assert lo[0] == 0.0 and np.isnan(lo[2]) and np.isnan(hi[2])
    lo, hi = iv.proportion_ci([1], [0], method="clopper-pearson")
    assert np.isnan(lo[0])
    with pytest.raises(ValueError):
        iv.proportion_ci(1, 2, method="nope")


def test_poisson_weights_deterministic_and_poisson():
    keys = np.arange(200_000, dtype=np.uint64) * np.uint64(7919)
    w0 = iv.poisson_weights(keys, 0, seed=3)
    assert np.array_equal(w0, iv.poisson_weights(keys, 0, seed=3))
    # same weight for a subject whatever partition it is seen in
    assert np.array_equal(w0[5:10], iv.poisson_weights(keys[5:10], 0, seed=3))
    assert not np.array_equal(w0, iv.poisson_weights(keys, 1, seed=3))
    assert abs(w0.mean() - 1) < 0.01 and abs(w0.var() - 1) < 0.02
    assert abs((w0 == 0).mean() - np.exp(-1)) < 0.005


def test_bootstrap_replicates_add_across_partitions():
    rng = np.random.default_rng(1)
    keys = rng.integers(0, 1000, 5000).astype(np.uint64)
    cell = rng.integers(0, 4, 5000)
    err = rng.integers(0, 2, (5000, 2))
    att = np.ones(5000, np.int64)
    a_full, e_full = iv.bootstrap_replicates(keys, cell, 4, att, err, 20, seed=9)
    parts = np.array_split(np.arange(5000), 7)
    sums = [iv.bootstrap_replicates(keys[p], cell[p], 4, att[p], err[p], 20, seed=9) for p in parts]
    assert np.array_equal(a_full, sum(s[0] for s in sums))
    assert np.array_equal(e_full, sum(s[1] for s in sums))


def test_cluster_ratio_ci_matches_formula():
    a = np.array([1, 0, 2, 0, 3])
    m = np.array([4, 5, 4, 6, 5])
    p = a.sum() / m.sum()
    v = ((a - p * m) ** 2).sum() / (5 * 4 * m.mean() ** 2)
    lo, hi = iv.cluster_ratio_ci(a, m)
    assert abs(lo - max(0, p - 1.959963984540054 * np.sqrt(v))) < 1e-12
    assert abs(hi - (p + 1.959963984540054 * np.sqrt(v))) < 1e-12
