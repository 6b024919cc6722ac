"""Exact order statistics at any rank: a coarse histogram on order-preserving keys, then the exact values
of the few bins that matter (thresholds at a ladder of FMR targets, AU-FDR). Mergeable statistics as in
``raigov.evaluation.stats``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# ---------------------------------------------------------------------------------------------
# exact order statistics at any rank: a coarse histogram on order-preserving keys, then the exact
# values of the few bins that matter (used for thresholds at a ladder of FMR targets, AU-FDR)
# ---------------------------------------------------------------------------------------------

HIST_BITS = 16  # top bits of the 64-bit order-preserving key: sign, exponent, 4 mantissa bits
_SIGN = np.uint64(1 << 63)


def score_order_keys(scores) -> np.ndarray:
    """An order-preserving ``uint64`` key per float64 score (``a < b`` ⇔ ``key(a) < key(b)``).

    ``-0.0`` is first folded into ``+0.0`` (they are equal scores). NaN must have been rejected.
    """
    s = np.ascontiguousarray(np.asarray(scores, np.float64) + 0.0)
    # negative: all bits flipped; non-negative: the sign bit set (branch-free: an arithmetic shift
    # of the sign gives all ones for negatives)
    return s.view(np.uint64) ^ ((s.view(np.int64) >> 63).view(np.uint64) | _SIGN)


def score_bins(scores, bits: int = HIST_BITS) -> np.ndarray:
    return (score_order_keys(scores) >> np.uint64(64 - bits)).astype(np.int64)


@dataclass
class ScoreHistogram:
    """Counts of scores per coarse key bin (dense, ``2**bits`` int64 cells); merges by addition."""

    counts: np.ndarray
    bits: int = HIST_BITS

    @classmethod
    def zero(cls, bits: int = HIST_BITS) -> ScoreHistogram:
        return cls(np.zeros(1 << bits, np.int64), bits)

    @classmethod
    def from_scores(cls, scores, bits: int = HIST_BITS) -> ScoreHistogram:
        b = score_bins(scores, bits)
        return cls(np.bincount(b, minlength=1 << bits).astype(np.int64, copy=False), bits)

    def __add__(self, other: ScoreHistogram) -> ScoreHistogram:
        if not isinstance(other, ScoreHistogram):
            return NotImplemented
        if self.bits != other.bits:
            raise ValueError("cannot merge histograms of different resolution")
        return ScoreHistogram(self.counts + other.counts, self.bits)

    __radd__ = __add__

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def equals(self, other: ScoreHistogram) -> bool:
        return self.bits == other.bits and np.array_equal(self.counts, other.counts)


@dataclass
class BinValues:
    """The exact distinct scores (ascending) with their multiplicities, of the scores whose coarse
    key bin is one of ``bins``. Merging takes the union and adds multiplicities."""

    bins: tuple[int, ...]
    values: np.ndarray
    counts: np.ndarray
    bits: int = HIST_BITS

    @classmethod
    def zero(cls, bins, bits: int = HIST_BITS) -> BinValues:
        return cls(tuple(sorted(set(bins))), np.zeros(0, np.float64), np.zeros(0, np.int64), bits)

    @classmethod
    def from_scores(cls, scores, bins, bits: int = HIST_BITS) -> BinValues:
        bins = tuple(sorted({int(b) for b in bins}))
        s = np.asarray(scores, np.float64) + 0.0
        wanted = np.zeros(1 << bits, bool)
        wanted[np.asarray(bins, np.int64)] = True
        keep = wanted[score_bins(s, bits)]
        values, counts = np.unique(s[keep], return_counts=True)
        return cls(bins, values, counts.astype(np.int64), bits)

    def __add__(self, other: BinValues) -> BinValues:
        if not isinstance(other, BinValues):
            return NotImplemented
        if self.bins != other.bins or self.bits != other.bits:
            raise ValueError("cannot merge values gathered for different bins")
        values, inv = np.unique(np.concatenate([self.values, other.values]), return_inverse=True)
        counts = np.bincount(inv, weights=np.concatenate([self.counts, other.counts]).astype(np.float64),
                             minlength=values.size).astype(np.int64)
        return BinValues(self.bins, values, counts, self.bits)

    __radd__ = __add__

    def equals(self, other: BinValues) -> bool:
        return (self.bins == other.bins and self.bits == other.bits and np.array_equal(self.values, other.values)
                and np.array_equal(self.counts, other.counts))


