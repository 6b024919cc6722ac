"""Classifier fairness metrics per group and per intersection, with Fairlearn's semantics.

Everything is computed from :class:`~raigov.evaluation.stats.ConfusionStats` (counts per
intersection of the group columns); marginal groups and the overall are exact sums.

Per group (TN, FP, FN, TP are counts, or weight sums when sample weights are given):

==================  ===============================  ==========================================
metric              formula                          when the denominator is 0
==================  ===============================  ==========================================
``n``               rows in the group (count)        —
``selection_rate``  (TP+FP) / (TP+FP+FN+TN)          empty group: NaN
``tpr``             TP / (TP+FN)                     ``zero_division`` (Fairlearn: **0.0**)
``fnr``             FN / (TP+FN)                     ``zero_division`` (Fairlearn: **0.0**)
``fpr``             FP / (FP+TN)                     ``zero_division`` (Fairlearn: **0.0**)
``tnr``             TN / (FP+TN)                     ``zero_division`` (Fairlearn: **0.0**)
``precision``       TP / (TP+FP)                     ``zero_division`` (sklearn: **0.0**)
``accuracy``        (TP+TN) / (TP+FP+FN+TN)          empty group: NaN
==================  ===============================  ==========================================

Conventions (research note §2.2), chosen to equal Fairlearn 0.15 ``MetricFrame`` exactly:

* A **group with no positives** has TPR = FNR = 0.0 (not NaN, and FNR is *not* 1 − TPR there):
  Fairlearn's rate functions use ``sklearn.metrics.confusion_matrix(normalize='true')``, which sets
  0/0 rows to 0. Likewise FPR = TNR = 0.0 in a group with no negatives, and precision = 0.0 when
  nothing was selected (sklearn's ``zero_division`` default). Pass ``zero_division=float('nan')``
  to get NaN instead.
* An **empty intersection** (a combination of observed values of several group columns that has
  no rows) is kept, with every metric NaN — Fairlearn reindexes ``by_group`` on the Cartesian
  product. With one group column every group is observed.
* ``overall`` is computed on all rows (pooled counts), never as a mean of the groups.
* ``difference(method='between_groups')`` = max − min over groups; ``'to_overall'`` =
  max |m_g − m_overall|. ``ratio('between_groups')`` = min / max; ``'to_overall'`` = min over
  groups of m_g / m_overall folded to ≤ 1 (x > 1 becomes 1/x; x/0 is ∞ and folds to 0). NaN groups
  are skipped (pandas semantics); 0/0 is NaN. ``method='reference'`` compares to a named group.
* The **four-fifths rule** compares selection rates with the highest-rate group in integers
  (``5·k_g·n_max ≥ 4·k_max·n_g``); exactly 4/5 passes. Groups are ranked by exact fractions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from raigov.evaluation.io import check_group, check_weights, labels_to_bool
from raigov.evaluation.stats import ConfusionStats, cell_labels

METRICS = ("selection_rate", "tpr", "fpr", "fnr", "tnr", "precision", "accuracy")

__all__ = [
    "METRICS",
    "ClassifierResult",
    "ClassifierSpec",
    "classifier_metrics",
    "compute_rates",
    "map_classifier_batch",
]


def compute_rates(table: np.ndarray, zero_division: float = 0.0) -> dict[str, np.ndarray]:
    """Rates from a confusion table ``[..., y_true, y_pred]`` (counts or weight sums)."""
    t = np.asarray(table, dtype=np.float64)
    tn, fp, fn, tp = t[..., 0, 0], t[..., 0, 1], t[..., 1, 0], t[..., 1, 1]
    total = tn + fp + fn + tp
    pos, neg, sel = tp + fn, fp + tn, tp + fp

    def div(a, b, empty_value):
        with np.errstate(divide="ignore", invalid="ignore"):
            r = a / b
        return np.where(b == 0, empty_value, r)

    empty = total == 0
    out = {
        "selection_rate": div(sel, total, np.nan),
        "tpr": div(tp, pos, zero_division),
        "fpr": div(fp, neg, zero_division),
        "fnr": div(fn, pos, zero_division),
        "tnr": div(tn, neg, zero_division),
        "precision": div(tp, sel, zero_division),
        "accuracy": div(tp + tn, total, np.nan),
    }
    for k, v in out.items():
        out[k] = np.where(empty, np.nan, v)
    return out


def _fold(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 1, 1.0 / x, x)


def _nanmax(x):
    x = np.asarray(x, float)
    return float(np.max(x[~np.isnan(x)])) if (~np.isnan(x)).any() else float("nan")


def _nanmin(x):
    x = np.asarray(x, float)
    return float(np.min(x[~np.isnan(x)])) if (~np.isnan(x)).any() else float("nan")


@dataclass
class ClassifierResult:
    """Per-intersection metrics plus the overall; built from merged :class:`ConfusionStats`."""

    stats: ConfusionStats
    zero_division: float = 0.0
    _rates: dict[str, np.ndarray] = field(init=False, repr=False)
    _overall: dict[str, float] = field(init=False, repr=False)

    def __post_init__(self):
        tab = self.stats.table()
        g = len(self.stats.columns)
        flat = tab.reshape((-1, 2, 2)) if g else tab.reshape((1, 2, 2))
        self._flat_table = flat
        self._flat_counts = self.stats.counts.reshape((-1, 2, 2)) if g else self.stats.counts.reshape((1, 2, 2))
        self._rates = compute_rates(flat, self.zero_division)
        overall_tab = flat.sum(axis=0)
        self._overall = {k: float(v) for k, v in compute_rates(overall_tab, self.zero_division).items()}
        self._labels = cell_labels(self.stats.columns, self.stats.levels) if g else [{}]

    # -- access ------------------------------------------------------------------------------
    @property
    def columns(self) -> tuple[str, ...]:
        return self.stats.columns

    @property
    def labels(self) -> list[dict]:
        return self._labels

    @property
    def n(self) -> np.ndarray:
        return self._flat_counts.sum(axis=(1, 2))

    def by_group(self, metric: str) -> np.ndarray:
        """Metric per cell, in flat order (``labels``), NaN for empty intersections."""
        return self._rates[metric]

    def overall(self, metric: str) -> float:
        return self._overall[metric]

    def observed(self) -> np.ndarray:
        return self.n > 0

    def marginal(self, columns: Sequence[str]) -> ClassifierResult:
        return ClassifierResult(self.stats.marginal(columns), self.zero_division)

    def _index_of(self, group: dict) -> int:
        for i, lab in enumerate(self._labels):
            if lab == dict(group):
                return i
        raise KeyError(f"no group {group!r}")

    # -- Fairlearn aggregates ---------------------------------------------------------------------
    def group_max(self, metric: str) -> float:
        return _nanmax(self.by_group(metric))

    def group_min(self, metric: str) -> float:
        return _nanmin(self.by_group(metric))

    def difference(self, metric: str, method: str = "between_groups", reference: dict | None = None) -> float:
        m = self.by_group(metric)
        if method == "between_groups":
            return self.group_max(metric) - self.group_min(metric)
        if method == "to_overall":
            return _nanmax(np.abs(m - self.overall(metric)))
        if method == "reference":
            return _nanmax(np.abs(m - m[self._index_of(reference)]))
        raise ValueError(f"unknown method {method!r}")

    def ratio(self, metric: str, method: str = "between_groups", reference: dict | None = None) -> float:
        m = self.by_group(metric)
        if method == "between_groups":
            lo, hi = self.group_min(metric), self.group_max(metric)
            if hi == 0 and lo == 0:
                return float("nan")
            with np.errstate(divide="ignore", invalid="ignore"):
                return float(np.float64(lo) / np.float64(hi))
        if method in ("to_overall", "reference"):
            base = self.overall(metric) if method == "to_overall" else m[self._index_of(reference)]
            with np.errstate(divide="ignore", invalid="ignore"):
                r = m / np.float64(base)
            return _nanmin(_fold(r))
        raise ValueError(f"unknown method {method!r}")

    def relative_to(self, metric: str, reference: dict | None = None) -> dict[str, np.ndarray]:
        """Signed per-group difference and unfolded ratio against a reference group (or the overall)."""
        m = self.by_group(metric)
        base = self.overall(metric) if reference is None else m[self._index_of(reference)]
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"difference": m - base, "ratio": m / np.float64(base)}

    # Fairlearn's named wrappers
    def demographic_parity_difference(self, method: str = "between_groups") -> float:
        return self.difference("selection_rate", method)

    def demographic_parity_ratio(self, method: str = "between_groups") -> float:
        return self.ratio("selection_rate", method)

    def equalized_odds_difference(self, method: str = "between_groups", agg: str = "worst_case") -> float:
        a, b = self.difference("tpr", method), self.difference("fpr", method)
        return max(a, b) if agg == "worst_case" else (a + b) / 2

    def equalized_odds_ratio(self, method: str = "between_groups", agg: str = "worst_case") -> float:
        a, b = self.ratio("tpr", method), self.ratio("fpr", method)
        return min(a, b) if agg == "worst_case" else (a + b) / 2

    def equal_opportunity_difference(self, method: str = "between_groups") -> float:
        return self.difference("tpr", method)

    def equal_opportunity_ratio(self, method: str = "between_groups") -> float:
        return self.ratio("tpr", method)

    # -- four-fifths rule -------------------------------------------------------------------------
    def four_fifths(self, favourable: str = "selected") -> dict[str, Any]:
        """EEOC four-fifths rule on unweighted counts, compared in integers.

        ``favourable='selected'`` (y_pred = 1 is the favourable outcome) or ``'not-selected'`` (for a
        harmful outcome such as being flagged: the rule is applied to the complement). Groups with no
        rows are skipped. ``impact_ratio`` is reported as a float for display; ``passes`` is decided
        by ``5·k_g·n_max ≥ 4·k_max·n_g`` on Python integers (exactly 4/5 passes).
        """
        c = self._flat_counts
        n = c.sum(axis=(1, 2))
        k = c[:, 0, 1] + c[:, 1, 1]
        if favourable == "not-selected":
            k = n - k
        elif favourable != "selected":
            raise ValueError("favourable must be 'selected' or 'not-selected'")
        idx = [i for i in range(len(n)) if n[i] > 0]
        if not idx:
            return {"reference": None, "groups": [], "passes": None}
        best = max(idx, key=lambda i: Fraction(int(k[i]), int(n[i])))
        kmax, nmax = int(k[best]), int(n[best])
        groups, all_pass = [], True
        for i in idx:
            kg, ng = int(k[i]), int(n[i])
            if kmax == 0:
                passes, ratio = True, None
            else:
                passes = 5 * kg * nmax >= 4 * kmax * ng
                ratio = float(Fraction(kg * nmax, kmax * ng))
            all_pass &= passes
            groups.append({"group": self._labels[i], "selected": kg, "n": ng, "impact_ratio": ratio,
                           "passes": passes})
        return {"reference": self._labels[best], "favourable": favourable, "groups": groups, "passes": all_pass}

    # -- output -----------------------------------------------------------------------------------
    def group_rows(self, observed_only: bool = True) -> list[dict[str, Any]]:
        rows = []
        n = self.n
        for i, lab in enumerate(self._labels):
            if observed_only and n[i] == 0:
                continue
            c = self._flat_counts[i]
            row: dict[str, Any] = {"group": lab, "n": int(n[i])}
            if self.stats.weighted is not None:
                row["weight"] = float(self._flat_table[i].sum())
            for m in METRICS:
                row[m] = float(self._rates[m][i])
            row["counts"] = {"tn": int(c[0, 0]), "fp": int(c[0, 1]), "fn": int(c[1, 0]), "tp": int(c[1, 1])}
            rows.append(row)
        return rows

    def overall_row(self) -> dict[str, Any]:
        c = self._flat_counts.sum(axis=0)
        row: dict[str, Any] = {"n": int(c.sum())}
        if self.stats.weighted is not None:
            row["weight"] = float(self._flat_table.sum())
        row.update({m: self._overall[m] for m in METRICS})
        row["counts"] = {"tn": int(c[0, 0]), "fp": int(c[0, 1]), "fn": int(c[1, 0]), "tp": int(c[1, 1])}
        return row

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for method in ("between_groups", "to_overall"):
            out[method] = {
                "difference": {m: self.difference(m, method) for m in METRICS},
                "ratio": {m: self.ratio(m, method) for m in METRICS},
                "demographic_parity_difference": self.demographic_parity_difference(method),
                "demographic_parity_ratio": self.demographic_parity_ratio(method),
                "equalized_odds_difference": self.equalized_odds_difference(method),
                "equalized_odds_ratio": self.equalized_odds_ratio(method),
                "equal_opportunity_difference": self.equal_opportunity_difference(method),
                "equal_opportunity_ratio": self.equal_opportunity_ratio(method),
            }
        return out

    def conventions(self) -> dict[str, Any]:
        zd = "NaN" if math.isnan(self.zero_division) else self.zero_division
        return {
            "zero_division": zd,
            "zero_division_note": (
                "TPR/FNR in a group with no positives, FPR/TNR with no negatives and precision with no "
                f"selections are {zd} (Fairlearn/sklearn behaviour when 0.0)"
            ),
            "empty_intersections": "kept with every metric NaN; skipped by max/min/difference/ratio",
            "overall": "pooled counts over all rows",
            "difference_ratio_semantics": "Fairlearn 0.15 MetricFrame.difference/ratio",
            "four_fifths": "5*k_g*n_max >= 4*k_max*n_g in integers; exactly 4/5 passes",
            "weights": "rates use weight sums" if self.stats.weighted is not None else "unweighted",
            "null": "NaN and infinite values are written as JSON null",
        }

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "overall": self.overall_row(),
            "groups": self.group_rows(observed_only=True),
            "summary": self.summary(),
            "four_fifths": self.four_fifths(),
            "conventions": self.conventions(),
        }
        if len(self.columns) > 1:
            d["marginals"] = {c: self.marginal([c]).group_rows() for c in self.columns}
        return d


# ---------------------------------------------------------------------------------------------
# mapping partitions and a one-call API
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassifierSpec:
    """Which columns mean what. Picklable, so the same map runs in Dask workers."""

    y_true: str
    y_pred: str
    groups: tuple[str, ...]
    weight: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        cols = (self.y_true, self.y_pred, *self.groups)
        return cols + ((self.weight,) if self.weight else ())

    def flags(self) -> dict[str, Any]:
        return {"--y-true": self.y_true, "--y-pred": self.y_pred, "--group": list(self.groups),
                "--weight": self.weight}

    def zero(self) -> ConfusionStats:
        return ConfusionStats.zero(self.groups, weighted=self.weight is not None)


def map_classifier_batch(spec: ClassifierSpec, row_offset: int, batch) -> ConfusionStats:
    """Map one batch (validated; errors name the column and the 1-based data row)."""
    col = batch.column if hasattr(batch, "column") else batch.__getitem__
    yt = labels_to_bool(col(spec.y_true), spec.y_true, row_offset)
    yp = labels_to_bool(col(spec.y_pred), spec.y_pred, row_offset)
    groups = {g: check_group(col(g), g, row_offset) for g in spec.groups}
    w = check_weights(col(spec.weight), spec.weight, row_offset) if spec.weight else None
    return ConfusionStats.from_arrays(yt, yp, groups, sample_weight=w)


def classifier_metrics(
    y_true: Iterable,
    y_pred: Iterable,
    sensitive_features: Any,
    sample_weight: Iterable | None = None,
    zero_division: float = 0.0,
) -> ClassifierResult:
    """In-memory convenience API, shaped like Fairlearn's ``MetricFrame`` inputs.

    ``sensitive_features``: one array-like, a dict ``{name: array}``, or a pandas DataFrame. Labels:
    0/1, −1/1 or booleans (1 is positive).
    """
    if isinstance(sensitive_features, dict):
        groups = dict(sensitive_features)
    elif hasattr(sensitive_features, "columns") and hasattr(sensitive_features, "iloc"):
        groups = {str(c): sensitive_features[c] for c in sensitive_features.columns}
    else:
        name = getattr(sensitive_features, "name", None) or "sensitive_feature_0"
        groups = {str(name): sensitive_features}
    yt = labels_to_bool(y_true, "y_true")
    yp = labels_to_bool(y_pred, "y_pred")
    enc = {k: check_group(v, k) for k, v in groups.items()}
    w = check_weights(sample_weight, "sample_weight") if sample_weight is not None else None
    return ClassifierResult(ConfusionStats.from_arrays(yt, yp, enc, sample_weight=w), zero_division)
