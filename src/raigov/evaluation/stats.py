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
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

IMPOSTOR, GENUINE = 0, 1

Levels = tuple[tuple, ...]


# ---------------------------------------------------------------------------------------------
# group encoding
# ---------------------------------------------------------------------------------------------


def _as_arrow(values) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    if hasattr(values, "to_numpy") and hasattr(values, "dtype") and str(values.dtype) == "category":
        # pandas categorical: keep codes and categories without materialising objects
        return pa.DictionaryArray.from_arrays(
            pa.array(np.asarray(values.cat.codes), type=pa.int32()), pa.array(list(values.cat.categories))
        )
    arr = np.asarray(values)
    return pa.array(arr)


def encode_column(values) -> tuple[tuple, np.ndarray]:
    """Dictionary-encode one group column.

    Returns ``(levels, codes)``: the sorted tuple of the values that occur, and an ``int64`` code per
    row indexing into it. Nulls must have been rejected by the caller.
    """
    arr = _as_arrow(values)
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    dictionary = arr.dictionary
    idx = arr.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    used = np.bincount(idx, minlength=len(dictionary)) > 0
    used_idx = np.flatnonzero(used)
    values_used = dictionary.take(pa.array(used_idx)).to_pylist()
    order = sorted(range(len(values_used)), key=lambda i: values_used[i])
    levels = tuple(values_used[i] for i in order)
    lookup = np.full(len(dictionary), -1, dtype=np.int64)
    lookup[used_idx[order]] = np.arange(len(order), dtype=np.int64)
    return levels, lookup[idx]


def encode_groups(columns: Sequence) -> tuple[Levels, np.ndarray]:
    """Encode several group columns into one flat (row-major, mixed-radix) intersection code."""
    levels, codes = [], []
    for col in columns:
        lv, c = encode_column(col)
        levels.append(lv)
        codes.append(c)
    shape = tuple(len(lv) for lv in levels)
    if not columns:
        return (), np.zeros(0, dtype=np.int64)
    if len(codes) == 1:
        return tuple(levels), codes[0]
    flat = np.ravel_multi_index(tuple(codes), shape) if all(shape) else np.zeros(0, dtype=np.int64)
    return tuple(levels), np.asarray(flat, dtype=np.int64)


def union_levels(a: Levels, b: Levels) -> Levels:
    if a == b:
        return a
    return tuple(tuple(sorted(set(x) | set(y))) for x, y in zip(a, b, strict=True))


def _level_maps(own: Levels, union: Levels) -> list[np.ndarray]:
    maps = []
    for o, u in zip(own, union, strict=True):
        pos = {v: i for i, v in enumerate(u)}
        maps.append(np.array([pos[v] for v in o], dtype=np.int64))
    return maps


def _scatter(arr: np.ndarray, own: Levels, union: Levels) -> np.ndarray:
    """Place a dense array whose leading axes follow ``own`` into the ``union`` level space."""
    if own == union:
        return arr
    g = len(own)
    out = np.zeros(tuple(len(u) for u in union) + arr.shape[g:], dtype=arr.dtype)
    if arr.size:
        out[np.ix_(*_level_maps(own, union))] += arr
    return out


def _remap_flat(codes: np.ndarray, own: Levels, union: Levels) -> np.ndarray:
    if own == union or codes.size == 0:
        return codes
    shape = tuple(len(o) for o in own)
    multi = np.unravel_index(codes, shape)
    maps = _level_maps(own, union)
    return np.ravel_multi_index(tuple(m[c] for m, c in zip(maps, multi)), tuple(len(u) for u in union)).astype(
        np.int64
    )


def n_cells(levels: Levels) -> int:
    return int(np.prod([len(lv) for lv in levels], dtype=np.int64)) if levels else 1


def cell_labels(columns: Sequence[str], levels: Levels) -> list[dict]:
    """The group dict ``{column: value}`` for every flat cell, in flat-code order."""
    import itertools

    return [dict(zip(columns, combo)) for combo in itertools.product(*levels)]


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
        counts = _scatter(self.counts, self.levels, lv) + _scatter(other.counts, other.levels, lv)
        weighted = None
        if self.weighted is not None:
            weighted = _scatter(self.weighted, self.levels, lv) + _scatter(other.weighted, other.levels, lv)
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
        t = _check_thresholds(thresholds)
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
        t = _check_thresholds(thresholds)
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
            _scatter(self.n, self.levels, lv) + _scatter(other.n, other.levels, lv),
            _scatter(self.ge, self.levels, lv) + _scatter(other.ge, other.levels, lv),
            _scatter(self.failed, self.levels, lv) + _scatter(other.failed, other.levels, lv),
            k,
            score_min=min(self.score_min, other.score_min),
            score_max=max(self.score_max, other.score_max),
        )
        if k > 0:
            out.imp_top_scores, out.imp_top_codes = _select_tail(
                np.concatenate([self.imp_top_scores, other.imp_top_scores]),
                np.concatenate(
                    [_remap_flat(self.imp_top_codes, self.levels, lv), _remap_flat(other.imp_top_codes, other.levels, lv)]
                ),
                k,
                largest=True,
            )
            out.gen_bottom_scores, out.gen_bottom_codes = _select_tail(
                np.concatenate([self.gen_bottom_scores, other.gen_bottom_scores]),
                np.concatenate(
                    [
                        _remap_flat(self.gen_bottom_codes, self.levels, lv),
                        _remap_flat(other.gen_bottom_codes, other.levels, lv),
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


def _check_thresholds(thresholds) -> np.ndarray:
    t = np.asarray(thresholds if thresholds is not None else [], dtype=np.float64).ravel()
    if np.isnan(t).any():
        raise ValueError("thresholds must not be NaN")
    if t.size > 1 and not np.all(np.diff(t) > 0):
        t = np.unique(t)
    return t


# ---------------------------------------------------------------------------------------------
# per-subject counts (clustered intervals, mergeable bootstrap)
# ---------------------------------------------------------------------------------------------

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def subject_keys(values) -> np.ndarray:
    """A stable 64-bit key per row for a subject id: FNV-1a over the UTF-8 text of the id.

    Vectorised over rows (one numpy pass per character position), identical in every partition and
    on every machine, and the same whether the file stored the id as a number or as text.
    """
    arr = _as_arrow(values)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    arr = pc.cast(arr, pa.large_string())
    n = len(arr)
    h = np.full(n, _FNV_OFFSET, dtype=np.uint64)
    if n == 0:
        return h
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    if bufs[2] is None or offsets[-1] == offsets[0]:
        return h
    data = np.frombuffer(bufs[2], dtype=np.uint8)
    start = offsets[:-1]
    length = np.diff(offsets)
    last = data.size - 1
    with np.errstate(over="ignore"):
        for j in range(int(length.max())):
            byte = data[np.minimum(start + j, last)].astype(np.uint64)
            h = np.where(length > j, (h ^ byte) * _FNV_PRIME, h)
    return h


@dataclass
class SubjectStats:
    """Per (subject, group, kind): ``attempts`` and ``errors[j]`` at each operating threshold.

    Errors are false matches for impostor comparisons (``s >= t``) and false non-matches for genuine
    comparisons (``s < t``; a failure counts as a non-match only if the caller says so). Rows are
    kept sorted by (key, code, kind), so equal data gives equal arrays. Merging concatenates and
    sums equal keys. Subject keys are 64-bit FNV-1a hashes of the id text (see
    :func:`subject_keys`); two ids colliding is a ~n²/2⁶⁵ event.
    """

    columns: tuple[str, ...]
    levels: Levels
    thresholds: np.ndarray
    keys: np.ndarray
    codes: np.ndarray
    kinds: np.ndarray
    attempts: np.ndarray
    errors: np.ndarray

    @classmethod
    def zero(cls, columns: Sequence[str], thresholds) -> SubjectStats:
        t = _check_thresholds(thresholds)
        return cls(
            tuple(columns), tuple(() for _ in columns), t, np.zeros(0, np.uint64), np.zeros(0, np.int64),
            np.zeros(0, np.int8), np.zeros(0, np.int64), np.zeros((0, t.size), np.int64),
        )

    @classmethod
    def from_arrays(
        cls,
        subject_key: np.ndarray,
        scores: np.ndarray,
        genuine: np.ndarray,
        groups: dict[str, object],
        thresholds,
        include: np.ndarray | None = None,
    ) -> SubjectStats:
        columns = tuple(groups)
        t = _check_thresholds(thresholds)
        levels, code = encode_groups([groups[c] for c in columns])
        if not columns:
            code = np.zeros(len(scores), np.int64)
        s = np.asarray(scores, np.float64)
        kind = np.asarray(genuine).astype(np.int8)
        keys = np.asarray(subject_key, np.uint64)
        if include is not None:
            m = np.asarray(include, bool)
            s, kind, keys, code = s[m], kind[m], keys[m], code[m]
        match = s[:, None] >= t[None, :]
        err = np.where(kind[:, None] == GENUINE, ~match, match).astype(np.int64)
        return cls._aggregate(columns, levels, t, keys, code, kind, np.ones(s.size, np.int64), err)

    @classmethod
    def _aggregate(cls, columns, levels, t, keys, codes, kinds, attempts, errors) -> SubjectStats:
        if keys.size == 0:
            return cls(columns, levels, t, keys.astype(np.uint64), codes.astype(np.int64), kinds.astype(np.int8),
                       attempts.astype(np.int64), errors.reshape(0, t.size).astype(np.int64))
        order = np.lexsort((kinds, codes, keys))
        keys, codes, kinds = keys[order], codes[order], kinds[order]
        new = np.ones(keys.size, bool)
        new[1:] = (keys[1:] != keys[:-1]) | (codes[1:] != codes[:-1]) | (kinds[1:] != kinds[:-1])
        starts = np.flatnonzero(new)
        return cls(
            columns, levels, t, keys[starts], codes[starts], kinds[starts],
            np.add.reduceat(attempts[order], starts), np.add.reduceat(errors[order], starts, axis=0),
        )

    def __add__(self, other: SubjectStats) -> SubjectStats:
        if not isinstance(other, SubjectStats):
            return NotImplemented
        if self.columns != other.columns or not np.array_equal(self.thresholds, other.thresholds):
            raise ValueError("cannot merge subject statistics with different columns or thresholds")
        lv = union_levels(self.levels, other.levels)
        return SubjectStats._aggregate(
            self.columns, lv, self.thresholds,
            np.concatenate([self.keys, other.keys]),
            np.concatenate([_remap_flat(self.codes, self.levels, lv), _remap_flat(other.codes, other.levels, lv)]),
            np.concatenate([self.kinds, other.kinds]),
            np.concatenate([self.attempts, other.attempts]),
            np.concatenate([self.errors, other.errors]),
        )

    __radd__ = __add__

    def equals(self, other: SubjectStats) -> bool:
        return (
            self.columns == other.columns and self.levels == other.levels
            and all(np.array_equal(getattr(self, f), getattr(other, f))
                    for f in ("thresholds", "keys", "codes", "kinds", "attempts", "errors"))
        )

    def dense_codes(self, levels: Levels) -> np.ndarray:
        """Flat codes in another (wider) level space, e.g. that of the matching ScoreStats."""
        return _remap_flat(self.codes, self.levels, levels)


def merge_all(items):
    """Tree-merge a sequence of statistics (pairwise, so depth is log2(n))."""
    items = list(items)
    if not items:
        raise ValueError("nothing to merge")
    while len(items) > 1:
        nxt = [items[i] + items[i + 1] for i in range(0, len(items) - 1, 2)]
        if len(items) % 2:
            nxt.append(items[-1])
        items = nxt
    return items[0]


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


# ---------------------------------------------------------------------------------------------
# crossed (probe x reference) Poisson bootstrap for impostor comparisons
# ---------------------------------------------------------------------------------------------


@dataclass
class CrossedBootstrapStats:
    """Replicate counts of impostor comparisons under the two-way (crossed) Poisson bootstrap.

    In replicate ``b`` a comparison weighs ``w_b(probe) · w_b(reference)``, each subject's weight
    being Poisson(1) from a hash of (seed, b, subject key) — the same weight whether the subject is a
    probe or a reference, and in every partition. ``attempts[*group, b]`` and ``errors[*group, b, j]``
    (false matches at ``thresholds[j]``) are integer weighted sums, so they add across partitions.
    Groups are the probe's group columns, stored densely over the sorted observed ``levels``.
    """

    columns: tuple[str, ...]
    levels: Levels
    thresholds: np.ndarray
    replicates: int
    seed: int
    attempts: np.ndarray
    errors: np.ndarray

    @classmethod
    def zero(cls, columns: Sequence[str], thresholds, replicates: int, seed: int) -> CrossedBootstrapStats:
        t = _check_thresholds(thresholds)
        g = tuple(0 for _ in columns)
        return cls(tuple(columns), tuple(() for _ in columns), t, replicates, seed,
                   np.zeros(g + (replicates,), np.int64), np.zeros(g + (replicates, t.size), np.int64))

    @classmethod
    def from_arrays(
        cls,
        probe_key: np.ndarray,
        ref_key: np.ndarray,
        scores: np.ndarray,
        groups: dict[str, object],
        thresholds,
        replicates: int,
        seed: int,
        include: np.ndarray | None = None,
    ) -> CrossedBootstrapStats:
        """Map one partition of impostor comparisons (``include`` selects the rows that count)."""
        from raigov.evaluation.intervals import crossed_bootstrap_replicates

        columns = tuple(groups)
        t = _check_thresholds(thresholds)
        levels, code = encode_groups([groups[c] for c in columns])
        if not columns:
            code = np.zeros(len(scores), np.int64)
        cells = n_cells(levels)
        s = np.asarray(scores, np.float64)
        pk, rk = np.asarray(probe_key, np.uint64), np.asarray(ref_key, np.uint64)
        if include is not None:
            m = np.asarray(include, bool)
            s, pk, rk, code = s[m], pk[m], rk[m], code[m]
        err = (s[:, None] >= t[None, :]).astype(np.int64)
        att, errs = crossed_bootstrap_replicates(pk, rk, code, cells, err, replicates, seed)
        shape = tuple(len(lv) for lv in levels)
        return cls(columns, levels, t, replicates, seed,
                   np.ascontiguousarray(att.T).reshape(shape + (replicates,)),
                   np.ascontiguousarray(errs.transpose(1, 0, 2)).reshape(shape + (replicates, t.size)))

    def __add__(self, other: CrossedBootstrapStats) -> CrossedBootstrapStats:
        if not isinstance(other, CrossedBootstrapStats):
            return NotImplemented
        if (self.columns != other.columns or not np.array_equal(self.thresholds, other.thresholds)
                or self.replicates != other.replicates or self.seed != other.seed):
            raise ValueError("cannot merge crossed-bootstrap statistics of different designs")
        lv = union_levels(self.levels, other.levels)
        return CrossedBootstrapStats(
            self.columns, lv, self.thresholds, self.replicates, self.seed,
            _scatter(self.attempts, self.levels, lv) + _scatter(other.attempts, other.levels, lv),
            _scatter(self.errors, self.levels, lv) + _scatter(other.errors, other.levels, lv),
        )

    __radd__ = __add__

    def dense(self, levels: Levels) -> tuple[np.ndarray, np.ndarray]:
        """``(attempts[B, cells], errors[B, cells, T])`` in another (wider) level space."""
        att = _scatter(self.attempts, self.levels, levels)
        err = _scatter(self.errors, self.levels, levels)
        cells = n_cells(levels)
        return (np.ascontiguousarray(att.reshape(cells, self.replicates).T),
                np.ascontiguousarray(err.reshape(cells, self.replicates, self.thresholds.size).transpose(1, 0, 2)))

    def equals(self, other: CrossedBootstrapStats) -> bool:
        return (self.columns == other.columns and self.levels == other.levels
                and self.replicates == other.replicates and self.seed == other.seed
                and all(np.array_equal(getattr(self, f), getattr(other, f))
                        for f in ("thresholds", "attempts", "errors")))
