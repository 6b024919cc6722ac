"""Null behaviour: on 1,000 windows drawn from the reference distribution, each p-value or critical-value
rule alerts in 5 % +- 2 % of them (fixed seed; each window also re-draws its reference, as monitoring does)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from raigov.monitoring import drift as m
from raigov.monitoring.profile import CategoricalSpec, NumericSpec, quantile_edges

TRIALS = 1000
N = M = 1000


@pytest.mark.slow
def test_alert_rates_under_no_change_are_five_percent():
    g = np.random.default_rng(20261204)
    cats = np.array(list("abcdefgh"))
    probs = np.array([.3, .2, .15, .1, .1, .07, .05, .03])
    alerts = {"psi_numeric": 0, "ks": 0, "psi_categorical": 0, "chi2": 0}
    for _ in range(TRIALS):
        x, y = g.normal(size=N), g.normal(size=M)
        spec = NumericSpec("x", quantile_edges(x, 10))
        r = m.fold_outer(np.bincount(spec.codes(x), minlength=spec.n_bins))
        c = m.fold_outer(np.bincount(spec.codes(y), minlength=spec.n_bins))
        b = int(m.kept(r, c)[0].size)
        alerts["psi_numeric"] += m.psi(r, c) > m.psi_critical(N, M, b)
        alerts["ks"] += m.ks_exact(x, y)[1] < 0.05
        a, d = g.choice(cats, N, p=probs), g.choice(cats, M, p=probs)
        cs = CategoricalSpec("c", tuple(cats[:6]), frozenset(cats))
        rc = np.bincount(cs.codes_text(pa.array(a)), minlength=cs.n_bins)
        cc = np.bincount(cs.codes_text(pa.array(d)), minlength=cs.n_bins)
        bc = int(m.kept(rc, cc)[0].size)
        alerts["psi_categorical"] += m.psi(rc, cc) > m.psi_critical(N, M, bc)
        alerts["chi2"] += m.chi2_two_sample(rc, cc)[2] < 0.05
    rates = {k: v / TRIALS for k, v in alerts.items()}
    print(rates)
    for rule, rate in rates.items():
        assert 0.03 <= rate <= 0.07, (rule, rates)
