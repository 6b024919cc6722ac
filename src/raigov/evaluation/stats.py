"""Mergeable sufficient statistics (monoids: a zero and an associative, commutative ``+``).

Every metric in :mod:`raigov.evaluation` is computed from these objects. A partition of the data
(a CSV block, a Parquet row group, a Dask partition) maps to statistics; statistics add; rates are
divided once at the end. All counts are ``int64``, so the merged statistics — and therefore every
rate — are bit-identical however the data was partitioned and in whatever order the parts were
merged. (Sample-weighted sums are ``float64`` and are equal only up to floating-point rounding.)

Groups
------
Group columns are dictionary-encoded per partition (pyarrow dictionary indices, never one Python
object per row). Each statistic keeps, per group column, the **sorted tuple of observed values**
(``levels``) and dense count arrays whose leading axes are the Cartesian product of those levels,
so marginal groups and the overall are exact sums of the intersections. Merging two statistics
takes the sorted union of the levels and scatters each operand's counts into it; because the
union is sorted, the result does not depend on the merge order.

Score thresholds
----------------
:class:`ScoreStats` counts, per group and per kind (impostor/genuine), the scores ``s >= T_j`` for
a declared, sorted threshold array ``T`` (``searchsorted(T, s, 'right')`` then one ``bincount`` and
a reverse cumulative sum — exact at every ``T_j``, ties included: a score equal to the threshold is
a match). It also keeps exact far tails: the top-``k`` impostor scores and the bottom-``k`` genuine
scores (ordered by score, ties broken by group code, so the kept set is deterministic), from which
a threshold at a target FMR such as 1e-5 is computed exactly (see
:func:`raigov.evaluation.biometric.threshold_at_fmr`).

Modules: ``stats_base`` (group encoding, the merge), ``stats_subjects`` (per-subject counts and the crossed
bootstrap), ``stats_histogram`` (exact order statistics); this module holds the classifier's and the
biometric scores' statistics and re-exports the others' public names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from raigov.evaluation.stats_base import (
    GENUINE,
    IMPOSTOR,
    Levels,
    cell_labels,
    check_thresholds,
    encode_column,
    encode_groups,
    merge_all,
    n_cells,
    remap_flat,
    scatter,
    union_levels,
)
from raigov.evaluation.stats_histogram import (
    HIST_BITS,
    BinValues,
    ScoreHistogram,
    score_bins,
    score_order_keys,
)
from raigov.evaluation.stats_subjects import CrossedBootstrapStats, SubjectStats, subject_keys

__all__ = [
    "GENUINE", "HIST_BITS", "IMPOSTOR", "BinValues", "ConfusionStats", "CrossedBootstrapStats", "Levels",
    "ScoreHistogram", "ScoreStats", "SubjectStats", "cell_labels", "encode_column", "encode_groups", "merge_all",
    "n_cells", "score_bins", "score_order_keys", "subject_keys", "union_levels",
]


# ---------------------------------------------------------------------------------------------
# classifier: confusion counts
# ---------------------------------------------------------------------------------------------


@dataclass
class ConfusionStats:
    """Confusion counts per intersection of group columns.

    ``counts[*group, y_true, y_pred]`` (int64). With sample weights, ``weighted`` holds the same
    table of weight sums (float64) and is the one rates are computed from.
    """

    columns: tuple[str, ...]
    levels: Levels
    counts: np.ndarray
    weighted: np.ndarray | None = None

    @classmethod
    def zero(cls, columns: Sequence[str], weighted: bool = False) -> ConfusionStats:
        columns = tuple(columns)
        levels: Levels = tuple(() for _ in columns)
        shape = tuple(0 for _ in columns) + (2, 2)
        return cls(columns, levels, np.zeros(shape, np.int64), np.zeros(shape, np.float64) if weighted else None)

    @classmethod
    def from_arrays(
        cls,
        y_true: np.ndarray,
        y_pred: np.ndarray,
        groups: dict[str, object],
        sample_weight: np.ndarray | None = None,
    ) -> ConfusionStats:
        """Map one partition: ``y_true``/``y_pred`` are boolean (or 0/1) arrays, ``groups`` maps
        column name to values (numpy, pandas or pyarrow; dictionary-encoded here)."""
        columns = tuple(groups)
        levels, code = encode_groups([groups[c] for c in columns])
        cells = n_cells(levels)
        yt = np.asarray(y_true).astype(np.int64, copy=False)
        yp = np.asarray(y_pred).astype(np.int64, copy=False)
        key = (code * 2 + yt) * 2 + yp if columns else yt * 2 + yp
        shape = tuple(len(lv) for lv in levels) + (2, 2)
        counts = np.bincount(key, minlength=cells * 4).astype(np.int64, copy=False).reshape(shape)
        weighted = None
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64)
            weighted = np.bincount(key, weights=w, minlength=cells * 4).reshape(shape)
        return cls(columns, levels, counts, weighted)

    def __add__(self, other: ConfusionStats) -> ConfusionStats:
        if not isinstance(other, ConfusionStats):
            return NotImplemented
        if self.columns != other.columns:
            raise ValueError(f"cannot merge statistics over {self.columns} and {other.columns}")
        if (self.weighted is None) != (other.weighted is None):
            raise ValueError("cannot merge weighted and unweighted statistics")
        lv = union_levels(self.levels, other.levels)
        counts = scatter(self.counts, self.levels, lv) + scatter(other.counts, other.levels, lv)
        weighted = None
        if self.weighted is not None:
            weighted = scatter(self.weighted, self.levels, lv) + scatter(other.weighted, other.levels, lv)
        return ConfusionStats(self.columns, lv, counts, weighted)

    __radd__ = __add__

    def table(self) -> np.ndarray:
        """The table rates are computed from: weighted sums if weights were given, else counts."""
        return self.weighted if self.weighted is not None else self.counts

    def marginal(self, columns: Sequence[str]) -> ConfusionStats:
        """Exact marginal over a subset of the group columns (an empty subset is the overall)."""
        keep = [self.columns.index(c) for c in columns]
        drop = tuple(i for i in range(len(self.columns)) if i not in keep)
        counts = self.counts.sum(axis=drop) if drop else self.counts
        weighted = self.weighted.sum(axis=drop) if (self.weighted is not None and drop) else self.weighted
        # reorder the kept axes to the requested order
        order = sorted(range(len(keep)), key=lambda i: keep[i])
        perm = [order.index(i) for i in range(len(keep))]
        if perm != list(range(len(keep))):
            axes = perm + [len(keep), len(keep) + 1]
            counts = counts.transpose(axes)
            weighted = weighted.transpose(axes) if weighted is not None else None
        return ConfusionStats(tuple(columns), tuple(self.levels[i] for i in keep), counts, weighted)

    def equals(self, other: ConfusionStats) -> bool:
        return (
            self.columns == other.columns
            and self.levels == other.levels
            and np.array_equal(self.counts, other.counts)
            and ((self.weighted is None and other.weighted is None) or np.array_equal(self.weighted, other.weighted))
        )


# ---------------------------------------------------------------------------------------------
# biometric: counts on a threshold set, exact tails, failures
# ---------------------------------------------------------------------------------------------


def _select_tail(scores: np.ndarray, codes: np.ndarray, k: int, largest: bool) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most extreme scores with their codes, ordered by (score desc|asc, code asc)."""
    n = scores.size
    if k <= 0 or n == 0:
        return np.zeros(0, np.float64), np.zeros(0, np.int64)
    if n > k:
        if largest:
            kth = np.partition(scores, n - k)[n - k]
            cand = np.flatnonzero(scores >= kth)
        else:
            kth = np.partition(scores, k - 1)[k - 1]
            cand = np.flatnonzero(scores <= kth)
        scores, codes = scores[cand], codes[cand]
    order = np.lexsort((codes, -scores if largest else scores))[:k]
    return scores[order].astype(np.float64, copy=False), codes[order].astype(np.int64, copy=False)


@dataclass
class ScoreStats:
    """Per-group score counts on a declared threshold set, plus exact tails and failure counts.

    * ``n[*group, kind]``: number of scored comparisons (kind 0 = impostor, 1 = genuine).
    * ``ge[*group, kind, j]``: number of those with ``score >= thresholds[j]``.
    * ``failed[*group, kind]``: comparisons/attempts flagged as failures (no usable score; FTA).
    * ``imp_top_*``: the top ``tail_k`` impostor scores (desc) with their flat group codes.
    * ``gen_bottom_*``: the bottom ``tail_k`` genuine scores (asc) with their flat group codes.
    * ``score_min``/``score_max``: over all scored comparisons.
    """

    columns: tuple[str, ...]
    levels: Levels
    thresholds: np.ndarray
    n: np.ndarray
    ge: np.ndarray
    failed: np.ndarray
    tail_k: int = 0
    imp_top_scores: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    imp_top_codes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    gen_bottom_scores: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    gen_bottom_codes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    score_min: float = float("inf")
    score_max: float = float("-inf")

    @classmethod
    def zero(cls, columns: Sequence[str], thresholds, tail_k: int = 0) -> ScoreStats:
        columns = tuple(columns)
        t = check_thresholds(thresholds)
        g = tuple(0 for _ in columns)
        return cls(
            columns,
            tuple(() for _ in columns),
            t,
            np.zeros(g + (2,), np.int64),
            np.zeros(g + (2, t.size), np.int64),
            np.zeros(g + (2,), np.int64),
            tail_k,
        )

    @classmethod
    def from_arrays(
        cls,
        scores: np.ndarray,
        genuine: np.ndarray,
        groups: dict[str, object],
        thresholds,
        tail_k: int = 0,
        failed: np.ndarray | None = None,
        include: np.ndarray | None = None,
    ) -> ScoreStats:
        """Map one partition.

        ``scores`` float, ``genuine`` boolean; ``failed`` (optional boolean) marks rows with no
        usable score (their score is ignored); ``include`` (optional boolean) keeps only some rows
        in the per-group counts (used for the same-group impostor convention) while the tails —
        the threshold calibration population — still see every scored impostor.
        """
        columns = tuple(groups)
        t = check_thresholds(thresholds)
        levels, code = encode_groups([groups[c] for c in columns])
        if not columns:
            code = np.zeros(len(scores), np.int64)
        cells = n_cells(levels)
        shape = tuple(len(lv) for lv in levels)
        s = np.asarray(scores, dtype=np.float64)
        kind = np.asarray(genuine).astype(np.int64, copy=False)
        ok = np.ones(s.size, bool) if failed is None else ~np.asarray(failed, bool)
        cell_kind = code * 2 + kind
        if failed is not None:
            fk = cell_kind[~ok] if include is None else cell_kind[~ok & np.asarray(include, bool)]
            nfail = np.bincount(fk, minlength=cells * 2).reshape(shape + (2,))
        else:
            nfail = np.zeros(shape + (2,), np.int64)
        use = ok if include is None else ok & np.asarray(include, bool)
        all_scored = ok
        if not use.all():
            s_use, ck = s[use], cell_kind[use]
        else:
            s_use, ck = s, cell_kind
        nb = t.size + 1
        b = np.searchsorted(t, s_use, side="right")
        hist = np.bincount(ck * nb + b, minlength=cells * 2 * nb).reshape(shape + (2, nb))
        n = hist.sum(axis=-1)
        ge = np.flip(np.cumsum(np.flip(hist, axis=-1), axis=-1), axis=-1)[..., 1:]
        stats = cls(
            columns, levels, t, n.astype(np.int64), np.ascontiguousarray(ge, dtype=np.int64),
            nfail.astype(np.int64), tail_k,
        )
        if s.size and all_scored.any():
            sc = s[all_scored]
            stats.score_min = float(sc.min())
            stats.score_max = float(sc.max())
        if tail_k > 0:
            imp = all_scored & (kind == IMPOSTOR)
            gen = all_scored & (kind == GENUINE)
            stats.imp_top_scores, stats.imp_top_codes = _select_tail(s[imp], code[imp], tail_k, largest=True)
            stats.gen_bottom_scores, stats.gen_bottom_codes = _select_tail(s[gen], code[gen], tail_k, largest=False)
        return stats

    def __add__(self, other: ScoreStats) -> ScoreStats:
        if not isinstance(other, ScoreStats):
            return NotImplemented
        if self.columns != other.columns:
            raise ValueError(f"cannot merge statistics over {self.columns} and {other.columns}")
        if not np.array_equal(self.thresholds, other.thresholds):
            raise ValueError("cannot merge statistics on different threshold sets")
        lv = union_levels(self.levels, other.levels)
        k = min(self.tail_k, other.tail_k)
        out = ScoreStats(
            self.columns,
            lv,
            self.thresholds,
            scatter(self.n, self.levels, lv) + scatter(other.n, other.levels, lv),
            scatter(self.ge, self.levels, lv) + scatter(other.ge, other.levels, lv),
            scatter(self.failed, self.levels, lv) + scatter(other.failed, other.levels, lv),
            k,
            score_min=min(self.score_min, other.score_min),
            score_max=max(self.score_max, other.score_max),
        )
        if k > 0:
            out.imp_top_scores, out.imp_top_codes = _select_tail(
                np.concatenate([self.imp_top_scores, other.imp_top_scores]),
                np.concatenate(
                    [remap_flat(self.imp_top_codes, self.levels, lv), remap_flat(other.imp_top_codes, other.levels, lv)]
                ),
                k,
                largest=True,
            )
            out.gen_bottom_scores, out.gen_bottom_codes = _select_tail(
                np.concatenate([self.gen_bottom_scores, other.gen_bottom_scores]),
                np.concatenate(
                    [
                        remap_flat(self.gen_bottom_codes, self.levels, lv),
                        remap_flat(other.gen_bottom_codes, other.levels, lv),
                    ]
                ),
                k,
                largest=False,
            )
        return out

    __radd__ = __add__

    def equals(self, other: ScoreStats) -> bool:
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray):
                if a.shape != b.shape or not np.array_equal(a, b):
                    return False
            elif a != b:
                return False
        return True

    @property
    def n_impostor_total(self) -> int:
        return int(self.n[..., IMPOSTOR].sum())

    @property
    def n_genuine_total(self) -> int:
        return int(self.n[..., GENUINE].sum())


