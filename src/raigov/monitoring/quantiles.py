"""Exact reference quantiles, in memory or in bounded memory, equal to ``np.quantile`` bit for bit.

``np.quantile(x, q)`` (method "linear") only reads two order statistics per quantile, the ``floor((n-1)q)``-th
and the next, and interpolates them (:func:`linear_quantiles` repeats NumPy's arithmetic exactly, so the edges
are the same floats). The order statistics come either from a sorted array (a reference that fits the memory
budget) or from :func:`select`: an exact multi-pass **radix selection** on the float's order-preserving 64-bit
key. Pass 1 counts the values per top-16-bit key prefix (a fixed 65,536-bin histogram, 512 KB a column); for
each wanted rank the prefix and the rank within it are then known; a later pass either collects the values of
that prefix (when at most ``COLLECT_MAX`` = 65,536 values share it) and sorts them, or histograms the next 16
bits within it (a prefix of all 64 bits is the value itself). Memory is bounded by 512 KB per wanted rank and
column, whatever the number of rows; the result is exact (no sketch, no error bound), at the cost of 2 to 5
reads of the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

LEVELS = (16, 16, 16, 16)  # bits resolved per pass, from the top of the key
COLLECT_MAX = 1 << 16  # values of one prefix that may be collected and sorted in memory (512 KB)


def linear_quantiles(order_stat: Callable[[np.ndarray], np.ndarray], n: int, q: np.ndarray) -> np.ndarray:
    """``np.quantile(x, q)`` (method "linear") of a sample of ``n`` values, given ``order_stat(ranks)``, the
    values of the 0-based ranks in sorted order. NumPy 2's own steps: virtual index (n-1)q, floor and next,
    clipped to the last value, gamma = virtual - floor, then its two-sided lerp."""
    q = np.asarray(q, np.float64)
    virtual = (n - 1) * q
    prev = np.floor(virtual)
    nxt = prev + 1
    above = virtual >= n - 1
    prev[above] = -1
    nxt[above] = -1
    below = virtual < 0
    prev[below] = 0
    nxt[below] = 0
    prev, nxt = prev.astype(np.intp), nxt.astype(np.intp)
    gamma = np.asarray(virtual - prev, dtype=virtual.dtype)
    a, b = order_stat(np.where(prev < 0, n + prev, prev)), order_stat(np.where(nxt < 0, n + nxt, nxt))
    diff = b - a
    out = np.add(a, diff * gamma)
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5, casting="unsafe", dtype=np.float64)
    return out


def needed_ranks(n: int, q: np.ndarray) -> np.ndarray:
    """The 0-based ranks :func:`linear_quantiles` reads for a sample of ``n`` values."""
    got: list[np.ndarray] = []

    def spy(r: np.ndarray) -> np.ndarray:
        got.append(np.asarray(r))
        return np.zeros(len(r))

    linear_quantiles(spy, n, q)
    return np.unique(np.concatenate(got))


def keys(x: np.ndarray) -> np.ndarray:
    """Order-preserving unsigned 64-bit keys of finite floats (-0.0 counted as 0.0)."""
    u = (np.asarray(x, np.float64) + 0.0).view(np.uint64)
    return np.where(u >> np.uint64(63), ~u, u | np.uint64(1 << 63))


def from_keys(k: np.ndarray) -> np.ndarray:
    k = np.asarray(k, np.uint64)
    return np.where(k >> np.uint64(63), k & ~np.uint64(1 << 63), ~k).view(np.float64)


def top_histogram(x: np.ndarray) -> np.ndarray:
    """Pass 1's counts per top-``LEVELS[0]``-bit key prefix of the (non-missing) values ``x``."""
    return np.bincount((keys(x) >> np.uint64(64 - LEVELS[0])).astype(np.intp), minlength=1 << LEVELS[0])


def _locate(hist: np.ndarray, rank: int) -> tuple[int, int, int]:
    """(bin, rank within the bin, the bin's count) of a 0-based rank in a histogram."""
    cum = np.cumsum(hist)
    b = int(np.searchsorted(cum, rank, side="right"))
    below = int(cum[b - 1]) if b else 0
    return b, rank - below, int(hist[b])


def select(values: Callable[[], Iterable[np.ndarray]], hist: np.ndarray, ranks: np.ndarray) -> dict[int, float]:
    """The exact values of the 0-based ``ranks`` among the values that ``values()`` yields (non-missing floats,
    read again on each call), given pass 1's :func:`top_histogram` of them. Each pending rank is (prefix, bits
    resolved, rank within the prefix, count); a prefix of all 64 bits is the value itself."""
    pending: dict[int, tuple[int, int, int]] = {}
    for r in ranks:
        b, within, count = _locate(hist, int(r))
        pending[int(r)] = (b, within, count)
    found: dict[int, float] = {}
    done, level = LEVELS[0], 1
    while pending:
        if done == 64:
            found.update({r: float(from_keys(np.array([p[0]], np.uint64))[0]) for r, p in pending.items()})
            break
        collect = {p[0] for p in pending.values() if p[2] <= COLLECT_MAX}
        refine = {p[0] for p in pending.values()} - collect
        bits = LEVELS[level]
        got, hists = _pass(values, done, bits, collect, refine)
        for r, (prefix, within, _count) in list(pending.items()):
            if prefix in got:
                found[r] = float(from_keys(np.sort(got[prefix])[within:within + 1])[0])
                del pending[r]
            else:
                b, w, c = _locate(hists[prefix], within)
                pending[r] = ((prefix << bits) | b, w, c)
        done, level = done + bits, level + 1
    return found


def _pass(values: Callable[[], Iterable[np.ndarray]], done: int, bits: int, collect: set[int],
          refine: set[int]) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """One read: the keys of each `collect` prefix, and each `refine` prefix's histogram of its next `bits`."""
    wanted = np.array(sorted(collect | refine), np.uint64)
    got: dict[int, list[np.ndarray]] = {p: [] for p in collect}
    hists = {p: np.zeros(1 << bits, np.int64) for p in refine}
    mask = np.uint64((1 << bits) - 1)
    for x in values():
        k = keys(x)
        top = k >> np.uint64(64 - done)
        hit = np.isin(top, wanted)
        k, top = k[hit], top[hit]
        for p in collect:
            got[p].append(k[top == np.uint64(p)])
        for p in refine:
            sub = (k[top == np.uint64(p)] >> np.uint64(64 - done - bits)) & mask
            hists[p] += np.bincount(sub.astype(np.intp), minlength=1 << bits)
    return {p: np.concatenate(v) if v else np.array([], np.uint64) for p, v in got.items()}, hists
