"""Biometric verification (1:1) and identification (1:N) error rates per demographic group, and the
differential summaries of the research note §1.4.

Conventions (each one is recorded in :meth:`BiometricResult.conventions`):

* **Scores**: higher = more similar; **match iff s ≥ t** (an impostor score equal to t is a false
  match, a genuine score equal to t a correct match). Convert distances with ``s = -d`` first.
* **One global threshold**, fixed before disaggregation: either given (``threshold``) or set on the
  calibration population (every scored impostor comparison in the input, whatever the pairing
  option) at a target FMR with bob.measure's rule — the smallest observed impostor score ``u`` with
  ``#(s ≥ u) ≤ target·N`` (float comparison, as bob), or ``nextafter(max, +inf)`` if none
  qualifies. It is computed **exactly** from the top-k impostor tail (k ≥ ⌊target·N⌋+1); the
  achieved global FMR is always reported beside the target.
* **Impostor pairing** (§1.3): ``"all"`` — every impostor comparison counts toward the group of the
  row's probe (``groups`` columns), over all references; ``"same-group"`` — only comparisons whose
  reference group (``ref_groups`` columns) equals the probe group count toward per-group FMR. The
  cross-group FMR matrix is reported whenever reference groups are given.
* **Failures** (optional ``failure`` column; FTA per group): ``"algorithm-only"`` excludes failed
  comparisons from FMR/FNMR; ``"end-to-end"`` counts a failed genuine comparison as a false
  non-match (NIST gives it the lowest score); failed impostor comparisons never count as matches.
* **Summaries** use the group rates at the one threshold; groups with no comparisons of a kind are
  left out of that kind's summaries. **α** weights FMR against FNMR in GARBE, FDR, IR and WERM and is
  stored with the result. Gini has the G/(G−1) small-sample correction and is 0 when all rates are 0.
  **Zero handling** for the ratio-type measures (max/min, max/geomean, IR, WERM):
  ``"upper-bound"`` (default; NIST IR 8429 §4.2) replaces a zero error count by the one-sided upper
  bound 1 − (1−c)^(1/n); ``"epsilon"`` adds ε to every rate; ``"undefined"`` returns None (JSON
  null) whenever a zero rate enters a denominator or a logarithm.
* **Identification** (1:N, open set): FPIR = non-mated searches whose best candidate scores ≥ T
  / non-mated searches; FNIR = mated searches whose mate is not returned at rank ≤ R with score ≥ T
  / mated searches. The same statistics serve both (``genuine`` = mated search; a missing score
  means no candidate / mate not returned).
* **AU-FDR** (optional ``au_fdr_targets``): the area under FDR(τ) over a ladder of FMR targets —
  each target's threshold set on the calibration population with the same rule as above, computed
  exactly from a coarse key histogram and the exact scores of one or two of its bins
  (:func:`ladder_bins`, :func:`threshold_from_bins`); FDR at each threshold from the per-group
  counts; the targets scaled linearly to [0, 1] (min–max) and integrated with the trapezoid rule,
  as the FDR authors' ``fpr_auc_score`` (:func:`au_fdr`). It uses the same α (β = 1 − α) as FDR.
* **Bootstrap designs** (with ``bootstrap`` > 0 and a ``subject`` column): ``"probe"`` (default)
  resamples the row's subject only; ``"crossed"`` (with a ``ref_subject`` column) weighs an
  impostor comparison by ``w(probe)·w(reference)`` (two-way Poisson bootstrap) and a genuine one by
  ``w(subject)``.
* **Subject-level** rates (with a ``subject`` column): a subject's genuine comparisons count as one
  false non-match if none of them matches; its impostor comparisons count as one false match if any
  of them matches (credo-ai lens "subject" level).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from raigov.errors import ValidationFailed
from raigov.evaluation import intervals as iv
from raigov.evaluation.stats import (
    GENUINE,
    IMPOSTOR,
    BinValues,
    CrossedBootstrapStats,
    ScoreHistogram,
    ScoreStats,
    SubjectStats,
    cell_labels,
    score_bins,
    subject_keys,
)

PAIRINGS = ("all", "same-group")
ZERO_RULES = ("upper-bound", "epsilon", "undefined")
FAILURE_MODES = ("algorithm-only", "end-to-end")
BOOTSTRAP_DESIGNS = ("probe", "crossed")

__all__ = [
    "BiometricResult",
    "BiometricSpec",
    "BiometricStats",
    "CalibrationStats",
    "au_fdr",
    "au_fdr_targets",
    "differentials",
    "failure_rates",
    "fdr",
    "fmr_ladder",
    "garbe",
    "gini",
    "ir",
    "ladder_bins",
    "map_biometric_batch",
    "map_calibration_batch",
    "map_ladder_batch",
    "max_geomean",
    "max_min_ratio",
    "threshold_at_fmr",
    "threshold_at_fnmr",
    "threshold_from_bins",
    "threshold_from_tail",
    "werm",
    "zero_adjusted",
]


# ---------------------------------------------------------------------------------------------
# summary measures (pure functions of group rates)
# ---------------------------------------------------------------------------------------------


def gini(x) -> float | None:
    """Gini coefficient with the G/(G−1) correction; 0 when all values are 0; None for G < 2."""
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = x.size
    if n < 2:
        return None
    tot = x.sum()
    if tot == 0:
        return 0.0
    k = np.arange(1, n + 1)
    pair_sum = 2.0 * np.dot(2 * k - n - 1, x)
    return float((n / (n - 1)) * pair_sum / (2.0 * n * tot))


def garbe(fmr, fnmr, alpha: float = 0.5) -> float | None:
    a, b = gini(fmr), gini(fnmr)
    if a is None or b is None:
        return None
    return alpha * a + (1 - alpha) * b


def fdr(fmr, fnmr, alpha: float = 0.5) -> float | None:
    fmr, fnmr = np.asarray(fmr, float), np.asarray(fnmr, float)
    if fmr.size < 1 or fnmr.size < 1:
        return None
    return float(1 - (alpha * (fmr.max() - fmr.min()) + (1 - alpha) * (fnmr.max() - fnmr.min())))


def max_min_ratio(r) -> float | None:
    r = np.asarray(r, float)
    if r.size < 1 or r.min() <= 0:
        return None
    return float(r.max() / r.min())


def max_geomean(r) -> float | None:
    r = np.asarray(r, float)
    if r.size < 1 or r.min() <= 0:
        return None
    return float(r.max() / np.exp(np.log(r).mean()))


def ir(fmr, fnmr, alpha: float = 0.5) -> float | None:
    a, b = max_min_ratio(fmr), max_min_ratio(fnmr)
    if a is None or b is None:
        return None
    return float(a**alpha * b ** (1 - alpha))


def werm(fmr_max_geomean: float, fnmr_max_geomean: float, alpha: float = 0.5) -> float:
    """WERM (Linghu et al.): (max/geomean FMR)^α · (max/geomean FNMR)^(1−α)."""
    return float(fmr_max_geomean**alpha * fnmr_max_geomean ** (1 - alpha))


def au_fdr(fmr_targets, fdr_values) -> float:
    """Area under FDR over FMR-target thresholds, x scaled linearly to [0, 1], trapezoid rule
    (as the FDR authors' ``fpr_auc_score``)."""
    x = np.asarray(fmr_targets, float)
    y = np.asarray(fdr_values, float)
    xs = (x - x.min()) / (x.max() - x.min())
    o = np.argsort(xs, kind="stable")
    return float(np.trapezoid(y[o], xs[o]))


def au_fdr_targets(lo: float, hi: float, points: int = 0) -> tuple[float, ...]:
    """The FMR-target ladder for AU-FDR: ``points`` targets evenly spaced in log10 from ``lo`` to
    ``hi`` (both included; ``0`` = one per decade, at least 2), each rounded to 12 significant
    digits so that decades are exact (1e-05, not 9.999999999999999e-06)."""
    if not (0 < lo < hi < 1):
        raise ValueError("the AU-FDR range needs 0 < LO < HI < 1")
    if points == 0:
        points = max(2, math.ceil(math.log10(hi / lo) - 1e-9) + 1)
    if points < 2:
        raise ValueError("AU-FDR needs at least 2 targets")
    x = np.linspace(math.log10(lo), math.log10(hi), points)
    t = [float(f"{10.0 ** v:.12g}") for v in x]
    t[0], t[-1] = float(lo), float(hi)
    return tuple(sorted(set(t)))


def zero_adjusted(errors, n, rule: str = "upper-bound", confidence: float = 0.95, epsilon: float = 1e-6):
    """Rates for the ratio-type measures under a zero-handling rule (see module docstring)."""
    errors = np.asarray(errors, np.float64)
    n = np.asarray(n, np.float64)
    rate = errors / n
    if rule == "upper-bound":
        return np.where(errors == 0, iv.zero_error_upper_bound(n, confidence), rate)
    if rule == "epsilon":
        return rate + epsilon
    if rule == "undefined":
        return rate
    raise ValueError(f"unknown zero-handling rule {rule!r}; use one of {ZERO_RULES}")


def differentials(
    fm, n_imp, fnm, n_gen, alpha: float = 0.5, zero_rule: str = "upper-bound", confidence: float = 0.95,
    epsilon: float = 1e-6,
) -> dict[str, Any]:
    """All §1.4 summaries from per-group error counts (groups with n = 0 of a kind are left out)."""
    fm, n_imp = np.asarray(fm, np.float64), np.asarray(n_imp, np.float64)
    fnm, n_gen = np.asarray(fnm, np.float64), np.asarray(n_gen, np.float64)
    vi, vg = n_imp > 0, n_gen > 0
    fmr, fnmr = fm[vi] / n_imp[vi], fnm[vg] / n_gen[vg]
    afmr = zero_adjusted(fm[vi], n_imp[vi], zero_rule, confidence, epsilon)
    afnmr = zero_adjusted(fnm[vg], n_gen[vg], zero_rule, confidence, epsilon)
    both = fmr.size > 0 and fnmr.size > 0
    out = {
        "fmr_max_min_ratio": max_min_ratio(afmr),
        "fnmr_max_min_ratio": max_min_ratio(afnmr),
        "fmr_max_geomean": max_geomean(afmr),
        "fnmr_max_geomean": max_geomean(afnmr),
        "fmr_max_minus_min": float(fmr.max() - fmr.min()) if fmr.size else None,
        "fnmr_max_minus_min": float(fnmr.max() - fnmr.min()) if fnmr.size else None,
        "gini_fmr": gini(fmr),
        "gini_fnmr": gini(fnmr),
        "garbe": garbe(fmr, fnmr, alpha) if both else None,
        "fdr": fdr(fmr, fnmr, alpha) if both else None,
        "ir": ir(afmr, afnmr, alpha) if both else None,
    }
    a, b = out["fmr_max_geomean"], out["fnmr_max_geomean"]
    out["werm"] = float(a**alpha * b ** (1 - alpha)) if (a is not None and b is not None) else None
    out["alpha"] = alpha
    out["zero_handling"] = zero_rule
    out["groups_fmr"] = int(vi.sum())
    out["groups_fnmr"] = int(vg.sum())
    return out


def _fdr_from_counts(fm, n_imp, fnm, n_gen, alpha: float) -> float | None:
    """FDR from per-group counts, over the groups with comparisons of each kind (as differentials)."""
    fm, n_imp = np.asarray(fm, np.float64), np.asarray(n_imp, np.float64)
    fnm, n_gen = np.asarray(fnm, np.float64), np.asarray(n_gen, np.float64)
    vi, vg = n_imp > 0, n_gen > 0
    if not vi.any() or not vg.any():
        return None
    return fdr(fm[vi] / n_imp[vi], fnm[vg] / n_gen[vg], alpha)


def failure_rates(failed, groups: dict[str, object], ci_method: str = "wilson", confidence: float = 0.95):
    """FTE or FTA per group: ``failed`` is one boolean per enrolment transaction (FTE) or capture
    attempt (FTA); returns rows with attempts, failures, rate and interval, plus their Gini and
    max/min (zero handling ``upper-bound``)."""
    from raigov.evaluation.stats import encode_groups, n_cells

    f = np.asarray(failed, bool)
    levels, code = encode_groups(list(groups.values()))
    cells = n_cells(levels)
    att = np.bincount(code, minlength=cells)
    fail = np.bincount(code, weights=f, minlength=cells).astype(np.int64)
    lo, hi = iv.proportion_ci(fail, att, ci_method, confidence)
    rows = []
    for i, lab in enumerate(cell_labels(tuple(groups), levels)):
        if att[i]:
            rows.append({"group": lab, "attempts": int(att[i]), "failures": int(fail[i]),
                         "rate": float(fail[i] / att[i]), "ci": [float(lo[i]), float(hi[i])]})
    obs = att > 0
    rates = fail[obs] / att[obs]
    return {"groups": rows, "gini": gini(rates),
            "max_min_ratio": max_min_ratio(zero_adjusted(fail[obs], att[obs], "upper-bound", confidence))}


# ---------------------------------------------------------------------------------------------
# thresholds
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# mapping partitions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BiometricSpec:
    """Column mapping and options; picklable so the same map runs in Dask workers."""

    score: str
    genuine: str
    groups: tuple[str, ...]
    subject: str | None = None
    ref_groups: tuple[str, ...] = ()
    failure: str | None = None
    rank: str | None = None
    max_rank: int | None = None
    mode: str = "verification"  # or "identification"
    pairing: str = "all"
    failure_mode: str = "algorithm-only"
    thresholds: tuple[float, ...] = ()  # grid (and operating thresholds) counted per group
    operating: tuple[float, ...] = ()  # thresholds with per-subject and cross-group counts
    tail_k: int = 0
    ref_subject: str | None = None  # reference subject id column (crossed bootstrap)
    bootstrap_design: str = "probe"  # or "crossed"
    bootstrap: int = 0  # replicates computed while mapping (crossed design only)
    seed: int = 0
    hist_bits: int = 0  # calibration pass: also a key histogram of impostor scores (AU-FDR ladder)

    def validate(self) -> None:
        if self.pairing not in PAIRINGS:
            raise ValidationFailed.one("--impostor-pairing", f"use one of {PAIRINGS}")
        if self.pairing == "same-group" and not self.ref_groups:
            raise ValidationFailed.one("--impostor-pairing",
                                       "same-group pairing needs the reference group columns (--ref-group)")
        if self.ref_groups and len(self.ref_groups) != len(self.groups):
            raise ValidationFailed.one("--ref-group", "give one --ref-group per --group, in the same order")
        if self.failure_mode not in FAILURE_MODES:
            raise ValidationFailed.one("--failure-mode", f"use one of {FAILURE_MODES}")
        if self.mode not in ("verification", "identification"):
            raise ValidationFailed.one("--mode", "verification or identification")
        if self.bootstrap_design not in BOOTSTRAP_DESIGNS:
            raise ValidationFailed.one("--bootstrap-design", f"use one of {BOOTSTRAP_DESIGNS}")
        if self.bootstrap_design == "crossed" and not (self.subject and self.ref_subject):
            raise ValidationFailed.one("--bootstrap-design",
                                       "the crossed bootstrap needs --subject and --ref-subject")
        if self.ref_subject and self.bootstrap_design != "crossed":
            raise ValidationFailed.one("--ref-subject",
                                       "the reference subject is used by the crossed bootstrap only: "
                                       "add --bootstrap-design crossed")

    @property
    def columns(self) -> tuple[str, ...]:
        cols = [self.score, self.genuine, *self.groups, *self.ref_groups]
        cols += [c for c in (self.subject, self.failure, self.rank, self.ref_subject) if c]
        return tuple(dict.fromkeys(cols))

    def flags(self) -> dict[str, Any]:
        return {"--score": self.score, "--genuine": self.genuine, "--group": list(self.groups),
                "--ref-group": list(self.ref_groups), "--subject": self.subject, "--failure": self.failure,
                "--rank": self.rank, "--ref-subject": self.ref_subject}

    @property
    def crossed(self) -> bool:
        return self.bootstrap_design == "crossed" and self.bootstrap > 0 and bool(self.subject and self.ref_subject)

    def zero(self) -> BiometricStats:
        return BiometricStats.zero(self)


@dataclass
class BiometricStats:
    """The monoid for one pass: per-group score counts, optional per-subject and cross-group counts."""

    scores: ScoreStats
    subjects: SubjectStats | None = None
    cross: ScoreStats | None = None
    crossed: CrossedBootstrapStats | None = None  # crossed-bootstrap replicate counts of impostors

    @classmethod
    def zero(cls, spec: BiometricSpec) -> BiometricStats:
        ops = np.asarray(spec.operating, np.float64)
        return cls(
            ScoreStats.zero(spec.groups, spec.thresholds, spec.tail_k),
            SubjectStats.zero(spec.groups, ops) if spec.subject else None,
            ScoreStats.zero(spec.groups + tuple(f"ref:{c}" for c in spec.ref_groups), ops) if spec.ref_groups
            else None,
            CrossedBootstrapStats.zero(spec.groups, ops, spec.bootstrap, spec.seed) if spec.crossed else None,
        )

    def __add__(self, other: BiometricStats) -> BiometricStats:
        return BiometricStats(
            self.scores + other.scores,
            None if self.subjects is None else self.subjects + other.subjects,
            None if self.cross is None else self.cross + other.cross,
            None if self.crossed is None else self.crossed + other.crossed,
        )

    def equals(self, other: BiometricStats) -> bool:
        def eq(a, b):
            return (a is None and b is None) or (a is not None and b is not None and a.equals(b))

        return (eq(self.scores, other.scores) and eq(self.subjects, other.subjects) and eq(self.cross, other.cross)
                and eq(self.crossed, other.crossed))


@dataclass
class CalibrationStats:
    """The monoid of the calibration pass: totals and exact tails of every scored comparison, and
    (for an AU-FDR ladder) a coarse key histogram of the scored impostor comparisons."""

    scores: ScoreStats
    hist: ScoreHistogram | None = None

    def __add__(self, other: CalibrationStats) -> CalibrationStats:
        return CalibrationStats(self.scores + other.scores,
                                None if self.hist is None else self.hist + other.hist)


def _column(batch, name):
    return batch.column(name) if hasattr(batch, "column") else batch[name]


def _read_scores(spec: BiometricSpec, row_offset: int, batch):
    from raigov.evaluation.io import labels_to_bool, scores_to_float

    genuine = labels_to_bool(_column(batch, spec.genuine), spec.genuine, row_offset)
    failed = None
    if spec.failure:
        failed = labels_to_bool(_column(batch, spec.failure), spec.failure, row_offset)
    raw = _column(batch, spec.score)
    skip = failed
    if spec.mode == "identification":
        # a missing score means no candidate returned (non-mated) / mate not returned (mated)
        missing = np.asarray(pc.is_null(raw).to_numpy(zero_copy_only=False), bool)
        skip = missing if skip is None else (skip | missing)
        s = scores_to_float(raw, spec.score, row_offset, skip=skip)
        s = np.where(missing, -np.inf, s)
        if spec.rank and spec.max_rank is not None:
            rk = scores_to_float(_column(batch, spec.rank), spec.rank, row_offset, skip=~genuine | missing)
            s = np.where(genuine & ~missing & (rk > spec.max_rank), -np.inf, s)
        return s, genuine, failed
    s = scores_to_float(raw, spec.score, row_offset, skip=skip)
    return s, genuine, failed


def _scored_impostors(s, genuine, failed) -> np.ndarray:
    imp = ~genuine if failed is None else (~genuine & ~failed)
    return s[imp]


def map_calibration_batch(spec: BiometricSpec, row_offset: int, batch) -> CalibrationStats:
    """Pass 1: no groups, no grid; totals, min/max and the exact tails of every scored comparison,
    and with ``spec.hist_bits`` the key histogram of the scored impostor comparisons."""
    s, genuine, failed = _read_scores(spec, row_offset, batch)
    stats = ScoreStats.from_arrays(s, genuine, {}, [], tail_k=spec.tail_k, failed=failed)
    hist = ScoreHistogram.from_scores(_scored_impostors(s, genuine, failed), spec.hist_bits) if spec.hist_bits else None
    return CalibrationStats(stats, hist)


def map_ladder_batch(spec: BiometricSpec, bins: tuple[int, ...], row_offset: int, batch) -> BinValues:
    """Pass 1b (AU-FDR ladder): the exact scored impostor scores that fall in the given key bins."""
    s, genuine, failed = _read_scores(spec, row_offset, batch)
    return BinValues.from_scores(_scored_impostors(s, genuine, failed), bins, spec.hist_bits)


def map_biometric_batch(spec: BiometricSpec, row_offset: int, batch) -> BiometricStats:
    """Pass 2 (or the only pass): per-group counts on the declared thresholds, per-subject counts
    and the cross-group matrix at the operating thresholds."""
    from raigov.evaluation.io import check_group

    s, genuine, failed = _read_scores(spec, row_offset, batch)
    groups = {g: check_group(_column(batch, g), g, row_offset) for g in spec.groups}
    include = None
    refs = {}
    if spec.ref_groups:
        refs = {f"ref:{r}": check_group(_column(batch, r), r, row_offset) for r in spec.ref_groups}
        if spec.pairing == "same-group":
            same = np.ones(len(s), bool)
            for g, r in zip(spec.groups, spec.ref_groups):
                a, b = groups[g], refs[f"ref:{r}"]
                a = a.dictionary_decode() if pa.types.is_dictionary(a.type) else a
                b = b.dictionary_decode() if pa.types.is_dictionary(b.type) else b
                if a.type != b.type:
                    a, b = pc.cast(a, pa.string()), pc.cast(b, pa.string())
                same &= np.asarray(pc.equal(a, b).to_numpy(zero_copy_only=False), bool)
            include = genuine | same
    stats = ScoreStats.from_arrays(s, genuine, groups, spec.thresholds, tail_k=spec.tail_k, failed=failed,
                                   include=include)
    subjects = cross = None
    ops = np.asarray(spec.operating, np.float64)
    ok = np.ones(len(s), bool) if failed is None else ~failed
    if spec.subject:
        keys = subject_keys(_column(batch, spec.subject))
        inc = ok if include is None else ok & include
        subjects = SubjectStats.from_arrays(keys, s, genuine, groups, ops, include=inc)
    if spec.ref_groups:
        imp = ok & ~genuine
        cross = ScoreStats.from_arrays(s, np.zeros(len(s), bool), {**groups, **refs}, ops, include=imp)
    crossed = None
    if spec.crossed:
        from raigov.evaluation.io import bad_value

        imp = ok & ~genuine if include is None else ok & ~genuine & include
        ref = _column(batch, spec.ref_subject)
        if ref.null_count:
            missing = np.asarray(ref.is_null().to_numpy(zero_copy_only=False), bool) & imp
            if missing.any():
                raise bad_value(spec.ref_subject, row_offset + int(np.flatnonzero(missing)[0]) + 1,
                                "missing reference subject on an impostor comparison", "missing")
        crossed = CrossedBootstrapStats.from_arrays(keys, subject_keys(ref), s, groups, ops, spec.bootstrap,
                                                    spec.seed, include=imp)
    return BiometricStats(stats, subjects, cross, crossed)


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------


@dataclass
class BiometricResult:
    """Rates per group at the operating threshold, DET data on the grid, summaries and conventions."""

    spec: BiometricSpec
    stats: BiometricStats
    threshold: float
    threshold_rule: dict[str, Any]
    alpha: float = 0.5
    zero_rule: str = "upper-bound"
    ci_method: str = "wilson"
    confidence: float = 0.95
    bootstrap: int = 0
    seed: int = 0
    au_fdr_targets: tuple[float, ...] = ()  # FMR-target ladder (ascending) of AU-FDR; () = off
    au_fdr_thresholds: tuple[float, ...] = ()  # the threshold at each target (counted exactly)
    _cache: dict = field(default_factory=dict, repr=False)

    # -- counts at the operating threshold ---------------------------------------------------------
    def _index(self, threshold: float) -> int:
        t = self.stats.scores.thresholds
        i = int(np.searchsorted(t, threshold))
        if i >= t.size or t[i] != threshold:
            raise ValueError(f"the threshold {threshold!r} was not counted")
        return i

    def _op_index(self) -> int:
        return self._index(self.threshold)

    @property
    def labels(self) -> list[dict]:
        s = self.stats.scores
        return cell_labels(s.columns, s.levels)

    def counts(self) -> dict[str, np.ndarray]:
        """Flat per-cell counts at the operating threshold."""
        if "counts" not in self._cache:
            self._cache["counts"] = self._counts_at(self._op_index())
        return self._cache["counts"]

    def _counts_at(self, j: int) -> dict[str, np.ndarray]:
        s = self.stats.scores
        n = s.n.reshape(-1, 2)
        ge = s.ge.reshape(-1, 2, s.thresholds.size)[:, :, j]
        failed = s.failed.reshape(-1, 2)
        n_imp, n_gen = n[:, IMPOSTOR], n[:, GENUINE]
        fm = ge[:, IMPOSTOR]
        fnm = n_gen - ge[:, GENUINE]
        if self.spec.failure_mode == "end-to-end":
            fnm = fnm + failed[:, GENUINE]
            n_gen = n_gen + failed[:, GENUINE]
        return {"n_imp": n_imp, "n_gen": n_gen, "fm": fm, "fnm": fnm, "failed_imp": failed[:, IMPOSTOR],
                "failed_gen": failed[:, GENUINE]}

    def observed(self) -> np.ndarray:
        c = self.counts()
        return (c["n_imp"] + c["n_gen"] + c["failed_imp"] + c["failed_gen"]) > 0

    def rates(self) -> dict[str, np.ndarray]:
        c = self.counts()
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"fmr": c["fm"] / c["n_imp"], "fnmr": c["fnm"] / c["n_gen"]}

    def summaries(self) -> dict[str, Any]:
        c = self.counts()
        obs = self.observed()
        out = differentials(c["fm"][obs], c["n_imp"][obs], c["fnm"][obs], c["n_gen"][obs], self.alpha,
                            self.zero_rule, self.confidence)
        out["au_fdr"] = self.au_fdr()
        return out

    # -- AU-FDR over the FMR-target ladder -------------------------------------------------------------
    def fdr_curve(self) -> list[float | None] | None:
        """FDR (with this result's α) at each AU-FDR threshold, from the exact per-group counts."""
        if not self.au_fdr_targets or len(self.au_fdr_thresholds) != len(self.au_fdr_targets):
            return None
        obs = self.observed()
        out = []
        for t in self.au_fdr_thresholds:
            c = self._counts_at(self._index(t))
            out.append(_fdr_from_counts(c["fm"][obs], c["n_imp"][obs], c["fnm"][obs], c["n_gen"][obs], self.alpha))
        return out

    def au_fdr(self) -> float | None:
        """Area under FDR over the FMR-target ladder (None when off or when FDR is undefined)."""
        curve = self.fdr_curve()
        if curve is None or any(v is None for v in curve):
            return None
        return au_fdr(self.au_fdr_targets, curve)

    # -- bootstrap over subjects ---------------------------------------------------------------------
    def _replicates(self):
        """Replicate counts at every threshold with per-subject counts: ``(attempts[B, cells, kind],
        errors[B, cells, kind, T])``; the impostor side from the crossed statistics when present."""
        if "reps" in self._cache:
            return self._cache["reps"]
        sub = self.stats.subjects
        if self.bootstrap <= 0 or sub is None or self._subject_column() is None:
            return None
        s = self.stats.scores
        cells = len(self.labels)
        T = sub.thresholds.size
        codes = sub.dense_codes(s.levels)
        cell = codes * 2 + sub.kinds.astype(np.int64)
        att, err = iv.bootstrap_replicates(sub.keys, cell, cells * 2, sub.attempts, sub.errors, self.bootstrap,
                                           self.seed)
        att = att.reshape(self.bootstrap, cells, 2)
        err = err.reshape(self.bootstrap, cells, 2, T)
        cr = self.stats.crossed
        if cr is not None:
            if cr.replicates != self.bootstrap or cr.seed != self.seed or not np.array_equal(cr.thresholds,
                                                                                             sub.thresholds):
                raise ValueError("the crossed-bootstrap statistics were mapped with other replicates, seed or "
                                 "thresholds")
            ca, ce = cr.dense(s.levels)
            att[:, :, IMPOSTOR] = ca
            err[:, :, IMPOSTOR, :] = ce
        self._cache["reps"] = (att, err)
        return att, err

    def bootstrap_replicates(self):
        """``(attempts[B, cells, kind], errors[B, cells, kind])`` at the operating threshold, or None."""
        reps = self._replicates()
        if reps is None:
            return None
        att, err = reps
        _, j = self._subject_column()
        return att, err[..., j]

    def bootstrap_summary_ci(self) -> dict[str, Any] | None:
        reps = self.bootstrap_replicates()
        if reps is None:
            return None
        att, err = reps
        obs = self.observed()
        keys = ("fmr_max_min_ratio", "fnmr_max_min_ratio", "gini_fmr", "gini_fnmr", "garbe", "fdr", "ir")
        vals = {k: [] for k in keys}
        for b in range(att.shape[0]):
            d = differentials(err[b, obs, IMPOSTOR], att[b, obs, IMPOSTOR], err[b, obs, GENUINE],
                              att[b, obs, GENUINE], self.alpha, self.zero_rule, self.confidence)
            for k in keys:
                vals[k].append(np.nan if d[k] is None else d[k])
        out = {}
        for k in keys:
            lo, hi = iv.percentile_ci(np.array(vals[k]), self.confidence)
            out[k] = [float(lo), float(hi)]
        au = self._bootstrap_au_fdr()
        if au is not None:
            lo, hi = iv.percentile_ci(au, self.confidence)
            out["au_fdr"] = [float(lo), float(hi)]
        return out

    def _bootstrap_au_fdr(self) -> np.ndarray | None:
        """AU-FDR per replicate, when every ladder threshold has per-subject counts."""
        reps = self._replicates()
        if reps is None or not self.au_fdr_targets:
            return None
        t = self.stats.subjects.thresholds
        cols = [int(np.searchsorted(t, x)) for x in self.au_fdr_thresholds]
        if any(c >= t.size or t[c] != x for c, x in zip(cols, self.au_fdr_thresholds)):
            return None
        att, err = reps
        obs = self.observed()
        out = np.full(att.shape[0], np.nan)
        for b in range(att.shape[0]):
            curve = [_fdr_from_counts(err[b, obs, IMPOSTOR, c], att[b, obs, IMPOSTOR], err[b, obs, GENUINE, c],
                                      att[b, obs, GENUINE], self.alpha) for c in cols]
            if all(v is not None for v in curve):
                out[b] = au_fdr(self.au_fdr_targets, curve)
        return out

    def _subject_column(self):
        """(per-subject stats, column of the operating threshold), or None when they were not kept."""
        sub = self.stats.subjects
        if sub is None:
            return None
        j = int(np.searchsorted(sub.thresholds, self.threshold))
        if j >= sub.thresholds.size or sub.thresholds[j] != self.threshold:
            return None
        return sub, j

    def cluster_cis(self) -> dict[str, list] | None:
        """Cluster-robust (ratio-estimator) intervals per group from the per-subject counts."""
        found = self._subject_column()
        if found is None:
            return None
        sub, j = found
        cells = len(self.labels)
        codes = sub.dense_codes(self.stats.scores.levels)
        order = np.lexsort((sub.kinds, codes))
        key = codes[order] * 2 + sub.kinds[order]
        bounds = np.searchsorted(key, np.arange(cells * 2 + 1))
        e, a = sub.errors[order, j], sub.attempts[order]
        out: dict[str, list] = {"fmr": [], "fnmr": []}
        for c in range(cells):
            for kind, name in ((IMPOSTOR, "fmr"), (GENUINE, "fnmr")):
                lo, hi = bounds[c * 2 + kind], bounds[c * 2 + kind + 1]
                out[name].append(list(iv.cluster_ratio_ci(e[lo:hi], a[lo:hi], self.confidence)))
        return out

    # -- subject-level ------------------------------------------------------------------------------
    def subject_level(self) -> dict[str, np.ndarray] | None:
        found = self._subject_column()
        if found is None:
            return None
        sub, j = found
        cells = len(self.labels)
        codes = sub.dense_codes(self.stats.scores.levels)
        e = sub.errors[:, j]
        gen = sub.kinds == GENUINE
        n_gen = np.bincount(codes[gen], minlength=cells)
        fnm = np.bincount(codes[gen], weights=(e[gen] == sub.attempts[gen]), minlength=cells).astype(np.int64)
        n_imp = np.bincount(codes[~gen], minlength=cells)
        fm = np.bincount(codes[~gen], weights=(e[~gen] > 0), minlength=cells).astype(np.int64)
        return {"n_imp": n_imp, "n_gen": n_gen, "fm": fm, "fnm": fnm}

    # -- curves ---------------------------------------------------------------------------------
    def curves(self) -> dict[str, Any]:
        """FMR and FNMR per group (and overall) at every counted threshold (for DET plots)."""
        s = self.stats.scores
        T = s.thresholds.size
        n = s.n.reshape(-1, 2)
        ge = s.ge.reshape(-1, 2, T)
        with np.errstate(divide="ignore", invalid="ignore"):
            fmr = ge[:, IMPOSTOR, :] / n[:, IMPOSTOR, None]
            fnmr = 1 - ge[:, GENUINE, :] / n[:, GENUINE, None]
            tot = n.sum(axis=0)
            gtot = ge.sum(axis=0)
            ofmr = gtot[IMPOSTOR] / tot[IMPOSTOR]
            ofnmr = 1 - gtot[GENUINE] / tot[GENUINE]
        return {"thresholds": s.thresholds, "fmr": fmr, "fnmr": fnmr, "overall_fmr": ofmr, "overall_fnmr": ofnmr}

    def cross_matrix(self) -> list[dict[str, Any]] | None:
        cr = self.stats.cross
        if cr is None:
            return None
        j = int(np.searchsorted(cr.thresholds, self.threshold))
        if j >= cr.thresholds.size or cr.thresholds[j] != self.threshold:
            return None
        g = len(self.spec.groups)
        labels = cell_labels(cr.columns, cr.levels)
        n = cr.n.reshape(-1, 2)[:, IMPOSTOR]
        k = cr.ge.reshape(-1, 2, cr.thresholds.size)[:, IMPOSTOR, j]
        rows = []
        for i, lab in enumerate(labels):
            if n[i] == 0:
                continue
            items = list(lab.items())
            rows.append({"probe": dict(items[:g]), "reference": {c[4:]: v for c, v in items[g:]},
                         "impostor": int(n[i]), "false_matches": int(k[i]), "fmr": float(k[i] / n[i])})
        return rows

    # -- output ---------------------------------------------------------------------------------
    def conventions(self) -> dict[str, Any]:
        ident = self.spec.mode == "identification"
        return {
            "mode": self.spec.mode,
            "match_rule": "score >= threshold is a match (higher score = more similar)",
            "threshold_rule": self.threshold_rule,
            "impostor_pairing": {
                "all": "every impostor comparison counts toward the probe's group (the row's --group), "
                       "over all references",
                "same-group": "only impostor comparisons whose reference group equals the probe group count "
                              "toward per-group FMR",
            }[self.spec.pairing] + ("" if ident else f" [{self.spec.pairing}]"),
            "calibration_population": "all scored impostor comparisons in the input",
            "failures": self.spec.failure_mode if self.spec.failure else "no failure column",
            "alpha": self.alpha,
            "zero_handling": self.zero_rule,
            "zero_handling_note": {
                "upper-bound": "ratio-type measures (max/min, max/geomean, IR, WERM) replace a zero error count "
                               f"by the one-sided {self.confidence:.0%} upper bound 1-(1-c)^(1/n); "
                               "Gini, GARBE and FDR use the raw rates",
                "epsilon": "ratio-type measures add epsilon=1e-6 to every rate",
                "undefined": "ratio-type measures are null when a zero rate enters a denominator or log",
            }[self.zero_rule],
            "gini": "G/(G-1) small-sample correction; 0 when all rates are 0; null with fewer than 2 groups",
            "summaries_over": "observed groups with at least one comparison of the kind, all weighted equally",
            "intervals": f"{self.ci_method} {self.confidence:.0%} per group (independent binomial; a lower bound on "
                         "the uncertainty when subjects repeat)",
            "bootstrap": self._bootstrap_convention(),
            "bootstrap_design": self.spec.bootstrap_design if (self.bootstrap > 0 and self._subject_column()
                                                               is not None) else "off",
            "au_fdr": self._au_fdr_convention(),
            "empty_groups": "groups with no comparisons of a kind have a null rate and are left out of summaries",
            "null": "NaN and infinite values are written as JSON null",
        }

    def _bootstrap_convention(self) -> str:
        if not (self.bootstrap and self.stats.subjects is not None):
            return "off"
        if self.stats.crossed is not None:
            return (f"crossed (probe x reference) Poisson bootstrap, {self.bootstrap} replicates, seed {self.seed}, "
                    "threshold held fixed: each subject has one Poisson(1) weight per replicate (a hash of seed, "
                    "replicate and subject id, the same whether the subject is the probe or the reference); an "
                    "impostor comparison weighs w(probe)*w(reference), a genuine comparison w(subject)")
        return (f"subject-clustered Poisson bootstrap, {self.bootstrap} replicates, seed {self.seed}, "
                "threshold held fixed")

    def _au_fdr_convention(self) -> dict[str, Any] | str:
        if not self.au_fdr_targets:
            return "off"
        rate = "FPIR" if self.spec.mode == "identification" else "FMR"
        curve = self.fdr_curve()
        return {
            "range": [self.au_fdr_targets[0], self.au_fdr_targets[-1]],
            "points": len(self.au_fdr_targets),
            "targets": list(self.au_fdr_targets),
            "thresholds": list(self.au_fdr_thresholds),
            "fdr": None if curve is None else [None if v is None else float(v) for v in curve],
            "alpha": self.alpha,
            "beta": 1 - self.alpha,
            "target_rate": rate,
            "threshold_rule": "each target's threshold set on the calibration population with the threshold rule "
                              "(smallest observed impostor score u with #(s>=u) <= target*N), exact",
            "x": f"{rate} targets scaled linearly to [0, 1] (min-max), trapezoid rule (FDR authors' fpr_auc_score)",
            "definition": "FDR = 1 - (alpha*max|FMR_i-FMR_j| + beta*max|FNMR_i-FNMR_j|), beta = 1 - alpha; "
                          "AU-FDR in [0, 1], 1 = fair",
        }

    def to_dict(self) -> dict[str, Any]:
        c = self.counts()
        r = self.rates()
        lo_m, hi_m = iv.proportion_ci(c["fm"], c["n_imp"], self.ci_method, self.confidence)
        lo_n, hi_n = iv.proportion_ci(c["fnm"], c["n_gen"], self.ci_method, self.confidence)
        s = self.stats.scores
        fails = s.failed.reshape(-1, 2)
        attempts = s.n.reshape(-1, 2) + fails
        sl = self.subject_level()
        ident = self.spec.mode == "identification"
        km, kn = ("fpir", "fnir") if ident else ("fmr", "fnmr")
        groups = []
        obs = self.observed()
        for i, lab in enumerate(self.labels):
            if not obs[i]:
                continue
            g: dict[str, Any] = {
                "group": lab,
                "genuine": int(c["n_gen"][i]),
                "impostor": int(c["n_imp"][i]),
                km: float(r["fmr"][i]),
                kn: float(r["fnmr"][i]),
                f"{km}_ci": [float(lo_m[i]), float(hi_m[i])],
                f"{kn}_ci": [float(lo_n[i]), float(hi_n[i])],
                "false_matches": int(c["fm"][i]),
                "false_non_matches": int(c["fnm"][i]),
                "fewer_than_30_errors": {km: bool(c["fm"][i] < 30), kn: bool(c["fnm"][i] < 30)},
            }
            if self.spec.failure:
                fa, at = int(fails[i].sum()), int(attempts[i].sum())
                lo, hi = iv.proportion_ci(fa, at, self.ci_method, self.confidence)
                g["fta"] = fa / at if at else None
                g["fta_ci"] = [float(lo), float(hi)]
            if sl is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    g["subject_level"] = {
                        "subjects_genuine": int(sl["n_gen"][i]), "subjects_impostor": int(sl["n_imp"][i]),
                        km: float(sl["fm"][i] / sl["n_imp"][i]) if sl["n_imp"][i] else None,
                        kn: float(sl["fnm"][i] / sl["n_gen"][i]) if sl["n_gen"][i] else None,
                    }
            groups.append(g)
        cl = self.cluster_cis()
        if cl is not None:
            k = 0
            for i in range(len(self.labels)):
                if not obs[i]:
                    continue
                groups[k][f"{km}_ci_cluster"] = cl["fmr"][i]
                groups[k][f"{kn}_ci_cluster"] = cl["fnmr"][i]
                k += 1
        reps = self.bootstrap_replicates()
        if reps is not None:
            att, err = reps
            with np.errstate(divide="ignore", invalid="ignore"):
                bf = err[:, :, IMPOSTOR] / att[:, :, IMPOSTOR]
                bn = err[:, :, GENUINE] / att[:, :, GENUINE]
            flo, fhi = iv.percentile_ci(bf, self.confidence)
            nlo, nhi = iv.percentile_ci(bn, self.confidence)
            k = 0
            for i in range(len(self.labels)):
                if not obs[i]:
                    continue
                groups[k][f"{km}_ci_bootstrap"] = [float(flo[i]), float(fhi[i])]
                groups[k][f"{kn}_ci_bootstrap"] = [float(nlo[i]), float(nhi[i])]
                k += 1
        tot_imp, tot_gen = int(c["n_imp"].sum()), int(c["n_gen"].sum())
        tfm, tfnm = int(c["fm"].sum()), int(c["fnm"].sum())
        lo1, hi1 = iv.proportion_ci(tfm, tot_imp, self.ci_method, self.confidence)
        lo2, hi2 = iv.proportion_ci(tfnm, tot_gen, self.ci_method, self.confidence)
        diffs = self.summaries()
        if ident:
            diffs = {k.replace("fnmr", "fnir").replace("fmr", "fpir"): v for k, v in diffs.items()}
        out: dict[str, Any] = {
            "threshold": self.threshold,
            "groups": groups,
            "differentials": diffs,
            "overall": {"genuine": tot_gen, "impostor": tot_imp,
                        km: tfm / tot_imp if tot_imp else None, kn: tfnm / tot_gen if tot_gen else None,
                        f"{km}_ci": [float(lo1), float(hi1)], f"{kn}_ci": [float(lo2), float(hi2)]},
            "conventions": self.conventions(),
        }
        bci = self.bootstrap_summary_ci()
        if bci is not None:
            out["differentials_ci_bootstrap"] = bci
        cm = self.cross_matrix()
        if cm is not None:
            out["cross_group_fmr"] = cm
        return out
