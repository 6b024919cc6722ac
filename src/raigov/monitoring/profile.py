"""The reference profile, fixed once, and mergeable counts.

A :class:`Spec` fixes the bins from the reference, once:

* a numeric feature: edges at the reference's quantiles ``np.quantile(x, linspace(0, 1, B + 1))``
  (duplicate edges dropped, so a discrete feature gets fewer bins); codes ``0`` missing, ``1`` underflow
  (below the reference minimum), ``2 .. B + 1`` the bins ``[e_i, e_{i+1})`` (the last one closed), ``B + 2``
  overflow (above the reference maximum);
* a categorical feature: the reference's top K categories (by count, ties by value); codes ``0`` missing,
  ``1 .. K`` the top K, ``K + 1`` "other" (seen in the reference, not in its top K), ``K + 2`` "unseen".

A :class:`Profile` holds counts per (window, group, feature, bin), confusion counts per (window, group) and
score-bin counts per (window, group, label). All are integer sums, so profiles of partitions, hosts or Dask
workers merge exactly (:meth:`Profile.merge`), and :meth:`Profile.digest` is equal whatever the partitioning.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from raigov.errors import ValidationFailed
from raigov.monitoring.columns import to_float, to_text

MAX_REFERENCE_CATEGORIES = 100_000


@dataclass(frozen=True)
class NumericSpec:
    name: str
    edges: tuple[float, ...]

    kind = "numeric"

    @property
    def n_bins(self) -> int:
        return len(self.edges) + 2  # missing, underflow, len(edges)-1 bins, overflow

    def labels(self) -> list[str]:
        e = self.edges
        return (["missing", "underflow"] + [f"[{e[i]:.6g}, {e[i + 1]:.6g}{']' if i == len(e) - 2 else ')'}"
                                            for i in range(len(e) - 1)] + ["overflow"])

    def codes(self, values: np.ndarray) -> np.ndarray:
        e = np.array(self.edges, np.float64)
        e[-1] = np.nextafter(e[-1], np.inf)  # the top edge belongs to the last bin: no float lies between them
        k = np.searchsorted(e, values, side="right") + 1
        k[np.isnan(values)] = 0
        return k


@dataclass(frozen=True)
class CategoricalSpec:
    name: str
    top: tuple[str, ...]
    reference: frozenset[str]

    kind = "categorical"

    @property
    def n_bins(self) -> int:
        return len(self.top) + 3  # missing, top K, other, unseen

    def labels(self) -> list[str]:
        return ["missing", *self.top, "other", "unseen"]

    def codes_text(self, arr: pa.Array) -> np.ndarray:
        enc = pc.dictionary_encode(arr)
        index = {v: i + 1 for i, v in enumerate(self.top)}
        other, unseen = len(self.top) + 1, len(self.top) + 2
        lut = np.array([index.get(v, other if v in self.reference else unseen)
                        for v in enc.dictionary.to_pylist()] + [0], dtype=np.int64)
        idx = enc.indices.fill_null(len(enc.dictionary)).to_numpy(zero_copy_only=False)
        return lut[idx]


@dataclass(frozen=True)
class Spec:
    features: tuple[NumericSpec | CategoricalSpec, ...]
    # k / 20 (not np.linspace, whose 0.15000000000000002 would put a score of 0.15 in the bin below it)
    score_edges: tuple[float, ...] = tuple(i / 20 for i in range(21))

    def feature(self, name: str) -> NumericSpec | CategoricalSpec:
        return next(f for f in self.features if f.name == name)

    def as_dict(self) -> dict:
        return {"features": [{"name": f.name, "kind": f.kind, **({"edges": list(f.edges)} if f.kind == "numeric"
                                                                 else {"top": list(f.top),
                                                                       "reference": sorted(f.reference)})}
                             for f in self.features], "score_edges": list(self.score_edges)}


def quantile_edges(values: np.ndarray, bins: int) -> tuple[float, ...]:
    """Reference-quantile edges (linear interpolation, NumPy's default), duplicates dropped."""
    x = values[~np.isnan(values)]
    if x.size == 0:
        raise ValidationFailed.one("REFERENCE", "a numeric feature has no value in the reference")
    edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, bins + 1)))
    if edges.size == 1:
        edges = np.array([edges[0], edges[0]])
    return tuple(float(v) for v in edges)


def top_categories(counts: dict[str, int], top_k: int) -> tuple[str, ...]:
    return tuple(sorted(counts, key=lambda v: (-counts[v], v))[:top_k])


def fit_spec(batches: Iterable[tuple[int, pa.RecordBatch]], numeric: Sequence[str], categorical: Sequence[str],
             bins: int = 10, top_k: int = 20) -> Spec:
    """Fix the bins from the reference (one pass; each numeric column is held as float64 for its quantiles)."""
    values: dict[str, list[np.ndarray]] = {c: [] for c in numeric}
    counts: dict[str, dict[str, int]] = {c: {} for c in categorical}
    for offset, batch in batches:
        for c in numeric:
            values[c].append(to_float(batch.column(c), c, offset))
        for c in categorical:
            vc = pc.value_counts(to_text(batch.column(c)).drop_null())
            for v, n in zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist(), strict=True):
                counts[c][v] = counts[c].get(v, 0) + n
            if len(counts[c]) > MAX_REFERENCE_CATEGORIES:
                raise ValidationFailed.one(c, f"more than {MAX_REFERENCE_CATEGORIES} distinct values: not categorical")
    feats: list[NumericSpec | CategoricalSpec] = []
    for c in numeric:
        feats.append(NumericSpec(c, quantile_edges(np.concatenate(values[c]) if values[c] else np.array([]), bins)))
    for c in categorical:
        feats.append(CategoricalSpec(c, top_categories(counts[c], top_k), frozenset(counts[c])))
    return Spec(tuple(feats))


Key = tuple[str, ...]


@dataclass
class Profile:
    """Counts that add: ``features[(window, group, feature)]`` (bins of the spec), ``confusion[(window, group)]``
    (tp, fp, fn, tn) and ``scores[(window, group, label)]`` (score bins of ``spec.score_edges``)."""

    spec: Spec
    features: dict[Key, np.ndarray] = field(default_factory=dict)
    confusion: dict[Key, np.ndarray] = field(default_factory=dict)
    scores: dict[Key, np.ndarray] = field(default_factory=dict)

    def _add(self, table: dict[Key, np.ndarray], key: Key, counts: np.ndarray) -> None:
        if key in table:
            table[key] = table[key] + counts
        else:
            table[key] = counts.astype(np.int64)

    def add_batch(self, batch: pa.RecordBatch, window: str, group: str | None = None, row_offset: int = 0,
                  windows: tuple[Sequence[str], np.ndarray] | None = None) -> None:
        """Count one batch of rows; `group` names a column whose value is each row's group ("" if none).
        `windows` (names, a code per row) splits the rows among several windows (then `window` is unused)."""
        groups, gcodes = _group_codes(batch, group)
        for f in self.spec.features:
            if f.kind == "numeric":
                codes = f.codes(to_float(batch.column(f.name), f.name, row_offset))
            else:
                codes = f.codes_text(to_text(batch.column(f.name)))
            cell = codes if len(groups) == 1 else gcodes * f.n_bins + codes
            parts = [(window, cell)] if windows is None else [(w, cell[windows[1] == i])
                                                              for i, w in enumerate(windows[0])]
            for w, c in parts:
                table = np.bincount(c, minlength=len(groups) * f.n_bins).reshape(len(groups), f.n_bins)
                for gi, g in enumerate(groups):
                    if table[gi].any():
                        self._add(self.features, (w, g, f.name), table[gi])

    def add_outcomes(self, window: str, groups: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray,
                     score: np.ndarray | None = None) -> None:
        """Count outcomes: labels and decisions as booleans, scores (optional) binned on ``spec.score_edges``."""
        y_true, y_pred = np.asarray(y_true, bool), np.asarray(y_pred, bool)
        levels, gcodes = np.unique(np.asarray(groups).astype(str), return_inverse=True)
        cell = gcodes * 4 + np.where(y_pred, np.where(y_true, 0, 1), np.where(y_true, 2, 3))
        conf = np.bincount(cell, minlength=len(levels) * 4).reshape(len(levels), 4)
        edges = np.asarray(self.spec.score_edges)
        nb = len(edges) - 1
        if score is not None:
            sb = np.clip(np.searchsorted(edges, np.asarray(score, float), side="right") - 1, 0, nb - 1)
        for gi, g in enumerate(levels):
            self._add(self.confusion, (window, str(g), ""), conf[gi])
            if score is not None:
                for label in (True, False):
                    m = (gcodes == gi) & (y_true == label)
                    self._add(self.scores, (window, str(g), "1" if label else "0"), np.bincount(sb[m], minlength=nb))

    def merge(self, other: Profile) -> Profile:
        if other.spec != self.spec:
            raise ValidationFailed.one("PROFILE", "profiles of different reference specs do not merge")
        out = Profile(self.spec, dict(self.features), dict(self.confusion), dict(self.scores))
        for name in ("features", "confusion", "scores"):
            for k, v in getattr(other, name).items():
                out._add(getattr(out, name), k, v)
        return out

    def feature_counts(self, window: str, feature: str, group: str | None = None) -> np.ndarray:
        """Counts of one feature in one window: one group, or all groups summed (group None)."""
        n = self.spec.feature(feature).n_bins
        total = np.zeros(n, np.int64)
        for (w, g, f), v in self.features.items():
            if w == window and f == feature and (group is None or g == group):
                total += v
        return total

    def digest(self) -> str:
        h = hashlib.sha256(json.dumps(self.spec.as_dict(), sort_keys=True).encode())
        for name in ("features", "confusion", "scores"):
            table = getattr(self, name)
            for k in sorted(table):
                h.update(json.dumps([name, *k]).encode())
                h.update(np.ascontiguousarray(table[k], dtype="<i8").tobytes())
        return h.hexdigest()


def _group_codes(batch: pa.RecordBatch, group: str | None) -> tuple[list[str], np.ndarray]:
    if group is None:
        return [""], np.zeros(batch.num_rows, np.int64)
    enc = pc.dictionary_encode(to_text(batch.column(group)).fill_null(""))
    return [str(v) for v in enc.dictionary.to_pylist()], enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def profile_batches(spec: Spec, batches: Iterable[tuple[int, pa.RecordBatch]], window: str,
                    group: str | None = None) -> Profile:
    prof = Profile(spec)
    for offset, batch in batches:
        prof.add_batch(batch, window, group, offset)
    return prof


def split(table: pa.Table, parts: int) -> Iterator[list[tuple[int, pa.RecordBatch]]]:
    """A table as `parts` contiguous runs of batches (for partition-invariance checks and parallel runs)."""
    bounds = np.linspace(0, table.num_rows, parts + 1).astype(int)
    for a, b in itertools.pairwise(bounds):
        run, offset = [], int(a)
        for rb in table.slice(int(a), int(b - a)).to_batches():
            run.append((offset, rb))
            offset += rb.num_rows
        yield run
