"""Confidence intervals for proportions, and a subject-clustered Poisson bootstrap that merges.

Binomial intervals (vectorised over arrays of counts):

* :func:`wilson` — the Wilson score interval. Equal to ``scipy.stats.binomtest(x, n)
  .proportion_ci(method='wilson')`` (same convention: the lower bound is exactly 0 when x = 0 and the
  upper bound exactly 1 when x = n; statsmodels returns ~1e-22 there) and to statsmodels'
  ``proportion_confint(method='wilson')`` to 1e-12.
* :func:`clopper_pearson` — the exact (Beta quantile) interval, ``method='exact'`` / ``'beta'``.
* :func:`jeffreys` — the Beta(x+½, n−x+½) quantiles, statsmodels ``method='jeffreys'``.
* :func:`zero_error_upper_bound` — one-sided upper bound ``1 − (1−c)^(1/n)`` at zero errors
  (≈ 3/n at 95 %, the "rule of 3").

With n = 0 every bound is NaN (reported as ``null`` in JSON).

Clustered uncertainty (research note §1.9): comparisons of one subject are correlated. The
**mergeable Poisson bootstrap** gives each subject a Poisson(1) weight per replicate ``b`` derived
from a hash of ``(seed, b, subject key)``, so every partition computes the same weight for the same
subject and replicate counts simply add. Here the replicate counts are computed from the merged
:class:`~raigov.evaluation.stats.SubjectStats` (per-subject attempts and errors), which is
equivalent to — and cheaper than — weighting every row in every partition. The operating threshold
is held fixed across replicates (it is not re-estimated per replicate).

Impostor comparisons involve two subjects, and resampling only the probe side understates their
variance. The **crossed (two-way) Poisson bootstrap** (:func:`crossed_bootstrap_replicates`; Owen
2007's pigeonhole bootstrap, Schuckers' two-instance bootstrap) weighs a comparison by
``w_b(probe) · w_b(reference)`` with the same per-subject weights, so a subject has one weight
whichever side it is on. It cannot be computed from per-subject totals (the weight depends on the
pair), so each partition computes its replicate counts from its rows, aggregated per distinct
(probe, reference, cell) first; the integer replicate counts add across partitions.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import betaincinv, ndtri

__all__ = [
    "bootstrap_replicates",
    "clopper_pearson",
    "cluster_ratio_ci",
    "crossed_bootstrap_replicates",
    "jeffreys",
    "percentile_ci",
    "poisson_weights",
    "proportion_ci",
    "wilson",
    "zero_error_upper_bound",
]


def _z(confidence: float) -> float:
    return float(ndtri(0.5 + 0.5 * confidence))


def wilson(x, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denom = 2 * (n + z * z)
        center = (2 * n * p + z * z) / denom
        delta = z / denom * np.sqrt(4 * n * p * (1 - p) + z * z)
        lo = np.where(x == 0, 0.0, center - delta)
        hi = np.where(x == n, 1.0, center + delta)
    bad = n <= 0
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def clopper_pearson(x, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    a = 1 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(x <= 0, 0.0, betaincinv(np.maximum(x, 1e-300), n - x + 1, a / 2))
        hi = np.where(x >= n, 1.0, betaincinv(x + 1, np.maximum(n - x, 1e-300), 1 - a / 2))
    bad = n <= 0
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def jeffreys(x, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    a = 1 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = betaincinv(x + 0.5, n - x + 0.5, a / 2)
        hi = betaincinv(x + 0.5, n - x + 0.5, 1 - a / 2)
    bad = n <= 0
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


_METHODS = {"wilson": wilson, "clopper-pearson": clopper_pearson, "exact": clopper_pearson, "jeffreys": jeffreys}


def proportion_ci(x, n, method: str = "wilson", confidence: float = 0.95):
    try:
        fn = _METHODS[method]
    except KeyError:
        raise ValueError(f"unknown interval method {method!r}; use one of {sorted(_METHODS)}") from None
    return fn(x, n, confidence)


def zero_error_upper_bound(n, confidence: float = 0.95):
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, -np.expm1(np.log1p(-confidence) / n), np.nan)


# ---------------------------------------------------------------------------------------------
# mergeable Poisson bootstrap
# ---------------------------------------------------------------------------------------------

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
# inverse CDF table of Poisson(1); P(X > 24) < 1e-25
_POISSON1_CDF = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(25)])


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def poisson_weights(keys: np.ndarray, replicate: int, seed: int = 0) -> np.ndarray:
    """Poisson(1) weight of each subject key in one bootstrap replicate (deterministic per key)."""
    keys = np.asarray(keys, dtype=np.uint64)
    with np.errstate(over="ignore"):
        mix = _splitmix64(np.array([np.uint64(seed & 0xFFFFFFFFFFFFFFFF) * _GOLDEN + np.uint64(replicate)]))[0]
        h = _splitmix64(keys ^ mix)
    u = (h >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
    return np.searchsorted(_POISSON1_CDF, u, side="right").astype(np.int64)


def bootstrap_replicates(keys, cell_index, n_cells: int, attempts, errors, replicates: int, seed: int = 0):
    """Replicate totals per cell: ``(attempts[B, cells], errors[B, cells, T])`` (int64).

    ``keys``: subject key per row of the per-subject table; ``cell_index``: its cell (e.g.
    ``group_code * 2 + kind``); ``attempts``/``errors``: its counts. Weighted sums are integers
    (Poisson weights), so replicate counts are exact and independent of partitioning.
    """
    errors = np.asarray(errors)
    if errors.ndim == 1:
        errors = errors[:, None]
    T = errors.shape[1]
    att = np.zeros((replicates, n_cells), np.int64)
    err = np.zeros((replicates, n_cells, T), np.int64)
    for b in range(replicates):
        w = poisson_weights(keys, b, seed)
        att[b] = np.bincount(cell_index, weights=w * attempts, minlength=n_cells).astype(np.int64)
        for j in range(T):
            err[b, :, j] = np.bincount(cell_index, weights=w * errors[:, j], minlength=n_cells).astype(np.int64)
    return att, err


def crossed_bootstrap_replicates(probe_keys, ref_keys, cell_index, n_cells: int, errors, replicates: int,
                                 seed: int = 0):
    """Replicate totals per cell under the crossed bootstrap: ``(attempts[B, cells], errors[B, cells, T])``.

    One row per comparison: ``probe_keys``/``ref_keys`` (subject keys, see
    :func:`raigov.evaluation.stats.subject_keys`), ``cell_index`` and ``errors[row, T]`` (0/1 or
    counts). Row ``i`` weighs ``w_b(probe_i) · w_b(ref_i)`` in replicate ``b``, with
    :func:`poisson_weights`; the sums are exact integers, independent of how rows are partitioned.
    """
    errors = np.asarray(errors, np.int64)
    if errors.ndim == 1:
        errors = errors[:, None]
    T = errors.shape[1]
    att = np.zeros((replicates, n_cells), np.int64)
    err = np.zeros((replicates, n_cells, T), np.int64)
    pk = np.asarray(probe_keys, np.uint64)
    rk = np.asarray(ref_keys, np.uint64)
    if pk.size == 0 or replicates == 0:
        return att, err
    # one weight per distinct subject key; rows aggregated per distinct (probe, reference, cell)
    keys, inv = np.unique(np.concatenate([pk, rk]), return_inverse=True)
    ip, ir = inv[: pk.size].astype(np.int64), inv[pk.size:].astype(np.int64)
    cell = np.asarray(cell_index, np.int64)
    order = np.lexsort((cell, ir, ip))
    ip, ir, cell = ip[order], ir[order], cell[order]
    new = np.ones(ip.size, bool)
    new[1:] = (ip[1:] != ip[:-1]) | (ir[1:] != ir[:-1]) | (cell[1:] != cell[:-1])
    starts = np.flatnonzero(new)
    ip_u, ir_u, cell_u = ip[starts], ir[starts], cell[starts]
    n_u = np.diff(np.append(starts, ip.size)).astype(np.float64)
    e_u = np.add.reduceat(errors[order], starts, axis=0).astype(np.float64)
    for b in range(replicates):
        w = poisson_weights(keys, b, seed)
        wp = (w[ip_u] * w[ir_u]).astype(np.float64)
        att[b] = np.bincount(cell_u, weights=wp * n_u, minlength=n_cells).astype(np.int64)
        for j in range(T):
            err[b, :, j] = np.bincount(cell_u, weights=wp * e_u[:, j], minlength=n_cells).astype(np.int64)
    return att, err


def percentile_ci(replicates: np.ndarray, confidence: float = 0.95, axis: int = 0):
    """Percentile interval over replicates, ignoring NaN replicates (all-NaN gives NaN)."""
    a = (1 - confidence) / 2
    r = np.asarray(replicates, dtype=np.float64)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo = np.nanquantile(r, a, axis=axis)
            hi = np.nanquantile(r, 1 - a, axis=axis)
    return lo, hi


def cluster_ratio_ci(errors, attempts, confidence: float = 0.95):
    """Cluster-robust (ratio-estimator) normal interval for ``p = Σa_i / Σm_i`` over subjects i.

    ``V = Σ (a_i − p m_i)² / (n (n−1) m̄²)``; the interval is clipped to [0, 1]. NaN if n < 2.
    """
    a = np.asarray(errors, np.float64)
    m = np.asarray(attempts, np.float64)
    n = a.size
    if n < 2 or m.sum() == 0:
        return float("nan"), float("nan")
    p = a.sum() / m.sum()
    mbar = m.mean()
    v = ((a - p * m) ** 2).sum() / (n * (n - 1) * mbar * mbar)
    half = _z(confidence) * math.sqrt(v)
    return max(0.0, p - half), min(1.0, p + half)
