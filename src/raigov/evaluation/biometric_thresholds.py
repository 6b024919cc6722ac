"""Thresholds of biometric scores: at a target FMR or FNMR (bob.measure's rule, exactly, from the tail of
the scores), along a ladder of FMR targets, and from a key histogram's bins. The conventions are those of
``raigov.evaluation.biometric`` (its module docstring)."""

from __future__ import annotations

import math

import numpy as np

from raigov.evaluation.stats import BinValues, ScoreHistogram, score_bins


def threshold_at_fmr(impostor_scores, target: float) -> float:
    """bob.measure ``far_threshold`` semantics on a full array of impostor scores."""
    s = np.sort(np.asarray(impostor_scores, np.float64))
    if s.size == 0:
        raise ValueError("no impostor scores")
    return threshold_from_tail(s[::-1], s.size, target)


def threshold_from_tail(top_desc: np.ndarray, n: int, target: float) -> float:
    """Exact threshold at a target FMR from the top-k impostor scores (sorted descending) of N.

    Exact when the tail is complete (k = N) or k ≥ ⌊target·N⌋ + 1; otherwise raises ValueError.
    """
    top = np.asarray(top_desc, np.float64)
    if n <= 0 or top.size == 0:
        raise ValueError("no impostor comparisons to calibrate the threshold on")
    limit = target * n
    complete = top.size >= n
    if not complete and top.size <= limit:
        raise ValueError(f"tail of {top.size} scores too short for target {target} over {n}")
    asc = top[::-1]
    u = np.unique(asc)[::-1]  # distinct values, descending
    ge = top.size - np.searchsorted(asc, u, side="left")  # #(tail >= u), exact where it matters
    ok = ge <= limit
    if not complete:
        ok &= u > asc[0]  # counts at the tail's minimum may be incomplete (ties outside the tail)
    if not ok.any():
        return float(np.nextafter(top[0], np.inf))
    # ok is a prefix (counts increase as u decreases): the smallest qualifying value
    return float(u[np.flatnonzero(ok)[-1]])


def threshold_at_fnmr(genuine_scores, target: float) -> float:
    s = np.sort(np.asarray(genuine_scores, np.float64))
    return threshold_at_fnmr_from_tail(s, s.size, target)


def threshold_at_fnmr_from_tail(bottom_asc: np.ndarray, n: int, target: float) -> float:
    """Largest observed genuine score u with ``#(s < u) ≤ target·N`` (FNMR at most the target)."""
    b = np.asarray(bottom_asc, np.float64)
    if n <= 0 or b.size == 0:
        raise ValueError("no genuine comparisons")
    limit = target * n
    complete = b.size >= n
    if not complete and b.size <= limit:
        raise ValueError("tail too short for the target")
    u = np.unique(b)
    lt = np.searchsorted(b, u, side="left")
    # every value below the tail's maximum is in the tail, so #(s < u) is exact for every tail value;
    # any larger value has at least len(tail) > limit scores below it
    ok = lt <= limit
    return float(u[np.flatnonzero(ok)[-1]])


def fmr_ladder(top_desc: np.ndarray, n: int, targets=(1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)) -> list[float]:
    """Thresholds at a ladder of FMR targets, for the ones the tail supports exactly."""
    out = []
    for t in targets:
        try:
            out.append(threshold_from_tail(top_desc, n, t))
        except ValueError:
            continue
    return out


def ladder_bins(hist_counts: np.ndarray, target: float) -> tuple[int, ...]:
    """The (one or two) histogram bins whose exact scores decide the threshold at ``target``.

    With N scores and m = ⌊target·N⌋, the threshold is the smallest observed score strictly above
    v, the (m+1)-th largest score (or ``nextafter(max, +inf)`` when v is the maximum): a value u > v
    has ``#(s ≥ u) ≤ m``, a value u ≤ v has ``#(s ≥ u) ≥ m+1``. So v's bin and the next non-empty
    bin above it suffice.
    """
    counts = np.asarray(hist_counts, np.int64)
    nz = np.flatnonzero(counts)
    if nz.size == 0:
        raise ValueError("no impostor comparisons to calibrate the threshold on")
    n = int(counts.sum())
    r = math.floor(target * n) + 1  # rank of v from the top
    if r > n:
        i = 0
    else:
        top = np.cumsum(counts[nz][::-1])  # scores in the k+1 highest non-empty bins
        i = nz.size - 1 - int(np.searchsorted(top, r))
    return tuple(int(b) for b in nz[i : i + 2])


def threshold_from_bins(values_asc: np.ndarray, counts: np.ndarray, count_above: int, n: int, target: float) -> float:
    """bob.measure's threshold from the exact scores of the bins :func:`ladder_bins` named.

    ``values_asc``/``counts``: the distinct scores of those bins and their multiplicities;
    ``count_above``: the number of scores in higher bins; ``n``: all scores.
    """
    v = np.asarray(values_asc, np.float64)
    c = np.asarray(counts, np.int64)
    if v.size == 0:
        raise ValueError("no scores in the bins")
    ge = count_above + np.cumsum(c[::-1])[::-1]  # #(s >= v[i])
    ok = ge <= target * n
    if not ok.any():
        return float(np.nextafter(v[-1], np.inf))
    return float(v[int(np.argmax(ok))])  # ok is a suffix: the smallest qualifying value


def thresholds_at_targets(hist: ScoreHistogram, gathered: BinValues, targets) -> list[float]:
    """Exact thresholds at every FMR target from the merged histogram and gathered bin values."""
    n = hist.n
    vb = score_bins(gathered.values, gathered.bits)
    out = []
    for t in targets:
        bins = ladder_bins(hist.counts, t)
        m = np.isin(vb, np.asarray(bins, np.int64))
        above = int(hist.counts[max(bins) + 1:].sum())
        out.append(threshold_from_bins(gathered.values[m], gathered.counts[m], above, n, t))
    return out


