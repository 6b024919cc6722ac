"""The fast and the bounded-memory reference fit give exactly what the plain one gives: the quantile edges equal
``np.quantile`` bit for bit (sorted or by radix selection), the counts equal the row-by-row codes, and the
sorted-merge KS and Wasserstein equal the searchsorted ones to the last bit."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from raigov.evaluation.io import Source
from raigov.monitoring import drift as m
from raigov.monitoring import fit, quantiles
from raigov.monitoring.profile import fit_spec, profile_batches

G = np.random.default_rng(11)
SAMPLES = {
    "one": np.array([2.5]),
    "two": np.array([3.0, -1.0]),
    "normal": G.normal(size=12_345),
    "rounded": np.round(G.normal(size=5000), 1),
    "three values": G.integers(0, 3, 7000).astype(float),
    "constant": np.full(50, 3.0),
    "tiny": G.exponential(size=3000) * 1e-300,
    "signed zeros": np.concatenate([G.normal(size=1000) * 1e6, [0.0, -0.0, -0.0]]),
    "cauchy": G.standard_cauchy(20_000),
}


@pytest.mark.parametrize("name", list(SAMPLES))
@pytest.mark.parametrize("bins", [1, 7, 10, 100])
def test_quantiles_equal_numpy_sorted_and_by_selection(name, bins, monkeypatch):
    x = SAMPLES[name]
    q = np.linspace(0.0, 1.0, bins + 1)
    want = np.quantile(x, q)
    xs = np.sort(x)
    assert np.array_equal(quantiles.linear_quantiles(lambda r: xs[r], x.size, q), want)
    for collect in (quantiles.COLLECT_MAX, 3, 0):  # collect at once, refine once, refine to all 64 bits
        monkeypatch.setattr(quantiles, "COLLECT_MAX", collect)
        ranks = quantiles.needed_ranks(x.size, q)
        parts = np.array_split(x, 5)
        found = quantiles.select(lambda parts=parts: iter(parts), quantiles.top_histogram(x), ranks)
        assert all(found[int(r)] == xs[r] for r in ranks)
        got = quantiles.linear_quantiles(lambda r, found=found: np.array([found[int(i)] for i in r]), x.size, q)
        assert np.array_equal(got, want)


def table(n, seed, shift=0.0):
    g = np.random.default_rng(seed)
    a = np.round(g.normal(shift, 1, n), 1)
    a[g.random(n) < 0.05] = np.nan
    b = g.integers(0, 5, n).astype(float)
    b[g.random(n) < 0.1] = np.nan
    cat = np.array(g.choice(["p", "q", "r", "s", " ", "t"], n), dtype=object)
    cat[g.random(n) < 0.05] = None
    if shift:
        cat[:5] = "new"
    return pa.table({"a": a, "b": b, "c": g.exponential(1, n), "k": pa.array(cat, pa.string())})


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_fit_reference_in_memory_and_bounded_equal_the_plain_fit(tmp_path, fmt, monkeypatch):
    ref = table(6000, 1)
    path = tmp_path / f"ref.{fmt}"
    pq.write_table(ref, path) if fmt == "parquet" else pacsv.write_csv(ref, path)
    src = Source(path, batch_rows=1000)
    cols = ["a", "b", "c", "k"]
    spec = fit_spec(src.batches(cols), ["a", "b", "c"], ["k"], bins=7, top_k=3)
    prof = profile_batches(spec, src.batches(cols), "w")
    for budget, collect in ((fit.MEMORY_VALUES, quantiles.COLLECT_MAX), (10, quantiles.COLLECT_MAX), (10, 4)):
        monkeypatch.setattr(quantiles, "COLLECT_MAX", collect)
        got, counts = fit.fit_reference(src, ["a", "b", "c"], ["k"], bins=7, top_k=3, memory_values=budget)
        assert got == spec
        for f in spec.features:
            assert np.array_equal(counts[f.name], prof.feature_counts("w", f.name)), (budget, f.name)


def test_counts_from_sorted_equal_the_codes():
    e = (-1.0, 0.0, 0.5, 2.0)
    x = np.array([-3, -1, -0.5, 0, 0.2, 0.5, 1, 2, 2, 2.5, np.nan, np.nan])
    spec = fit.NumericSpec("x", e)
    want = np.bincount(spec.codes(x), minlength=spec.n_bins)
    xs = np.sort(x[~np.isnan(x)])
    assert np.array_equal(fit.counts_from_sorted(xs, 2, e), want)
    assert want.tolist() == [2, 1, 2, 2, 4, 1]  # missing, under, [-1,0), [0,.5), [.5,2], over
    const = fit.NumericSpec("c", (3.0, 3.0))
    y = np.array([2.0, 3.0, 3.0, 4.0])
    assert np.array_equal(fit.counts_from_sorted(np.sort(y), 0, const.edges),
                          np.bincount(const.codes(y), minlength=const.n_bins))


@pytest.mark.parametrize("n,k,rounded", [(50, 60, False), (3000, 2000, True), (20_000, 30_000, False),
                                         (20_000, 30_000, True)])
def test_sorted_merge_ks_and_wasserstein_equal_the_searchsorted_ones_to_the_bit(n, k, rounded):
    g = np.random.default_rng(n + k)
    x, y = g.normal(size=n), g.normal(0.1, size=k)
    if rounded:
        x, y = np.round(x, 1), np.round(y, 1)
    d, p, how = m.ks_exact(x, y)
    assert m.ks_and_wasserstein(x, y) == (d, p, how, m.wasserstein_exact(x, y))
