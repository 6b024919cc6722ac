"""Per-subject counts (clustered intervals, a mergeable bootstrap) and the crossed (probe x reference)
Poisson bootstrap for impostor comparisons: mergeable statistics as in ``raigov.evaluation.stats``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from raigov.evaluation.intervals import crossed_bootstrap_replicates
from raigov.evaluation.stats_base import (
    GENUINE,
    Levels,
    as_arrow,
    check_thresholds,
    encode_groups,
    n_cells,
    remap_flat,
    scatter,
    union_levels,
)

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
    arr = as_arrow(values)
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
        t = check_thresholds(thresholds)
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
        t = check_thresholds(thresholds)
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
            np.concatenate([remap_flat(self.codes, self.levels, lv), remap_flat(other.codes, other.levels, lv)]),
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
        return remap_flat(self.codes, self.levels, levels)



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
        t = check_thresholds(thresholds)
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
        columns = tuple(groups)
        t = check_thresholds(thresholds)
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
            scatter(self.attempts, self.levels, lv) + scatter(other.attempts, other.levels, lv),
            scatter(self.errors, self.levels, lv) + scatter(other.errors, other.levels, lv),
        )

    __radd__ = __add__

    def dense(self, levels: Levels) -> tuple[np.ndarray, np.ndarray]:
        """``(attempts[B, cells], errors[B, cells, T])`` in another (wider) level space."""
        att = scatter(self.attempts, self.levels, levels)
        err = scatter(self.errors, self.levels, levels)
        cells = n_cells(levels)
        return (np.ascontiguousarray(att.reshape(cells, self.replicates).T),
                np.ascontiguousarray(err.reshape(cells, self.replicates, self.thresholds.size).transpose(1, 0, 2)))

    def equals(self, other: CrossedBootstrapStats) -> bool:
        return (self.columns == other.columns and self.levels == other.levels
                and self.replicates == other.replicates and self.seed == other.seed
                and all(np.array_equal(getattr(self, f), getattr(other, f))
                        for f in ("thresholds", "attempts", "errors")))
