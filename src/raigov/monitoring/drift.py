"""Drift metrics, each on two count vectors over the same fixed bins (mergeable) or on two exact samples.

Every function returns plain numbers; :func:`describe` and the CLI say the exact formula in the result.
Bins empty in both samples are dropped before any metric (they contribute nothing, and dropping them keeps
the chi-square degrees of freedom and the PSI critical value honest): B below is the number of bins that
are non-empty in at least one sample.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

PSI_SMOOTHING = 0.5  # added to every kept bin count of both samples before taking proportions
JS_BASE = 2.0
ALPHA = 0.05
KS_EXACT_MAX = 10_000  # scipy's own "auto" rule: exact p-value when both samples have at most this many values


def kept(r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r, c = np.asarray(r, np.float64), np.asarray(c, np.float64)
    keep = (r + c) > 0
    return r[keep], c[keep]


def fold_outer(counts: np.ndarray) -> np.ndarray:
    """Numeric counts (missing, underflow, bins..., overflow) with the underflow added to the first bin and the
    overflow to the last: the quantile bins with infinite outer edges. The profile keeps the two apart (a data
    quality signal); PSI and JS use the folded counts, because a cell whose reference count is zero by
    construction breaks the chi-square approximation behind psi_critical (measured: 6.1 % false alarms at
    N = M = 1000, B = 10, against 4.1 % folded; docs/monitoring.md)."""
    c = np.array(counts, dtype=np.int64)
    c[2] += c[1]
    c[-2] += c[-1]
    c[1] = c[-1] = 0
    return c


def psi(r: np.ndarray, c: np.ndarray, smoothing: float = PSI_SMOOTHING) -> float:
    """PSI = sum (p - q) ln(p / q), p = (r_i + s) / (N + sB), q = (c_i + s) / (M + sB), natural log."""
    r, c = kept(r, c)
    p = (r + smoothing) / (r.sum() + smoothing * r.size)
    q = (c + smoothing) / (c.sum() + smoothing * c.size)
    return float(np.sum((p - q) * np.log(p / q)))


def psi_critical(n: float, m: float, b: int, alpha: float = ALPHA) -> float:
    """Sample-size-aware critical value (1/N + 1/M) * chi2_{1-alpha}(B - 1) (Yurdakul 2018)."""
    if b < 2 or n == 0 or m == 0:
        return math.inf
    return float((1.0 / n + 1.0 / m) * stats.chi2.ppf(1.0 - alpha, b - 1))


def js_distance(r: np.ndarray, c: np.ndarray, base: float = JS_BASE) -> float:
    """Jensen-Shannon distance sqrt(JSD), JSD = (KL(p||m) + KL(q||m)) / 2, m = (p + q) / 2, log base `base`."""
    r, c = kept(r, c)
    p, q = r / r.sum(), c / c.sum()
    m = (p + q) / 2.0

    def kl(a):
        nz = a > 0
        return float(np.sum(a[nz] * np.log(a[nz] / m[nz])))

    return math.sqrt(max((kl(p) + kl(q)) / 2.0, 0.0) / math.log(base))


def chi2_two_sample(r: np.ndarray, c: np.ndarray) -> tuple[float, int, float]:
    """Pearson chi-square on the 2 x B contingency table (reference, current) x bins; no continuity
    correction; dof = B - 1. Returns (statistic, dof, p)."""
    r, c = kept(r, c)
    table = np.vstack([r, c])
    if r.size < 2 or r.sum() == 0 or c.sum() == 0:
        return 0.0, 0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    stat = float(np.sum((table - expected) ** 2 / expected))
    dof = r.size - 1
    return stat, dof, float(stats.chi2.sf(stat, dof))


def ecdfs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pooled sorted values z and both empirical CDFs at each z (right-continuous). Each sample is sorted,
    then the two runs merged (timsort: linear)."""
    x, y = np.sort(x), np.sort(y)
    z = np.sort(np.concatenate([x, y]), kind="stable")
    fx = np.searchsorted(x, z, side="right") / x.size
    fy = np.searchsorted(y, z, side="right") / y.size
    return z, fx, fy


def ks_exact(x: np.ndarray, y: np.ndarray) -> tuple[float, float, str]:
    """Two-sample KS statistic D = sup |F_x - F_y| on the data; p exact (scipy's exact method) when both
    samples have at most KS_EXACT_MAX values, else the asymptotic kstwo.sf(D, round(nm / (n + m)))."""
    n, m = x.size, y.size
    if n == 0 or m == 0:
        return math.nan, math.nan, "none"
    _, fx, fy = ecdfs(x, y)
    d = float(np.max(np.abs(fx - fy)))  # right-continuous CDFs at every pooled value: ties are already counted
    if max(n, m) <= KS_EXACT_MAX:
        return d, float(stats.ks_2samp(x, y, method="exact").pvalue), "exact"
    return d, float(np.clip(stats.kstwo.sf(d, round(n * m / (n + m))), 0.0, 1.0)), "asymptotic"


def ks_binned(r: np.ndarray, c: np.ndarray) -> tuple[float, float]:
    """KS from counts on a fixed ordered grid: D_grid = max |F_r - F_c| at the bin edges. The exact D lies in
    [D_grid, D_grid + max bin share of either sample]; returns (D_grid, that bound's width)."""
    r, c = np.asarray(r, np.float64), np.asarray(c, np.float64)
    fr, fc = np.cumsum(r) / r.sum(), np.cumsum(c) / c.sum()
    return float(np.max(np.abs(fr - fc))), float(max((r / r.sum()).max(), (c / c.sum()).max()))


def wasserstein_exact(x: np.ndarray, y: np.ndarray) -> float:
    """W1 = integral |F_x - F_y| dt over the pooled sorted values (exact on the data)."""
    z, fx, fy = ecdfs(x, y)
    return float(np.sum(np.abs(fx[:-1] - fy[:-1]) * np.diff(z)))


def ks_and_wasserstein(x: np.ndarray, y: np.ndarray) -> tuple[float, float, str, float]:
    """:func:`ks_exact` and :func:`wasserstein_exact` from one pair of CDFs: (D, p, p method, W1)."""
    return ks_and_wasserstein_sorted(np.sort(x), np.sort(y))


def ks_and_wasserstein_sorted(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float, str, float]:
    """:func:`ks_and_wasserstein` of two samples already sorted, by one linear merge: the pooled order (a stable
    argsort of the two sorted runs, which timsort merges in linear time), then each CDF as the running count of
    its own values over its size. At a run of tied pooled values only the last position is right-continuous, so
    D is the maximum over those; W1 sums |F_x - F_y| times the gaps, which are zero inside a run: both equal
    :func:`ks_exact` and :func:`wasserstein_exact` to the last bit."""
    n, m = xs.size, ys.size
    if n == 0 or m == 0:
        return math.nan, math.nan, "none", math.nan
    z = np.concatenate([xs, ys])
    order = np.argsort(z, kind="stable")
    z = z[order]
    from_x = order < n
    del order
    cx = np.cumsum(from_x)  # x values among the first i + 1 pooled; the y values are the rest
    diff = np.abs(cx / n - (np.arange(1, n + m + 1) - cx) / m)
    del cx
    last = np.empty(z.size, bool)
    np.not_equal(z[1:], z[:-1], out=last[:-1])
    last[-1] = True
    d = float(diff[last].max())
    w = float(np.sum(diff[:-1] * np.diff(z)))
    if max(n, m) <= KS_EXACT_MAX:
        return d, float(stats.ks_2samp(xs, ys, method="exact").pvalue), "exact", w
    return d, float(np.clip(stats.kstwo.sf(d, round(n * m / (n + m))), 0.0, 1.0)), "asymptotic", w


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH-adjusted p-values (step-up, monotone, capped at 1); NaN stays NaN and is not counted."""
    p = np.asarray(p, np.float64)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    if q.size:
        order = np.argsort(q)
        ranked = q[order] * q.size / np.arange(1, q.size + 1)
        adj = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
        res = np.empty_like(q)
        res[order] = adj
        out[ok] = res
    return out
