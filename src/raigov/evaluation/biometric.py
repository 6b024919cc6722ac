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

Modules: ``biometric_measures`` (summary measures of group rates), ``biometric_thresholds`` (thresholds
at a target), ``biometric_batches`` (the spec and the per-partition statistics); this module holds the
result (``BiometricResult``) and re-exports their public names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from raigov.evaluation import intervals as iv
from raigov.evaluation.biometric_batches import (
    BOOTSTRAP_DESIGNS,
    FAILURE_MODES,
    PAIRINGS,
    BiometricSpec,
    BiometricStats,
    CalibrationStats,
    map_biometric_batch,
    map_calibration_batch,
    map_ladder_batch,
)
from raigov.evaluation.biometric_measures import (
    ZERO_RULES,
    au_fdr,
    au_fdr_targets,
    differentials,
    failure_rates,
    fdr,
    fdr_from_counts,
    garbe,
    gini,
    ir,
    max_geomean,
    max_min_ratio,
    werm,
    zero_adjusted,
)
from raigov.evaluation.biometric_thresholds import (
    fmr_ladder,
    ladder_bins,
    threshold_at_fmr,
    threshold_at_fnmr,
    threshold_at_fnmr_from_tail,
    threshold_from_bins,
    threshold_from_tail,
    thresholds_at_targets,
)
from raigov.evaluation.stats import GENUINE, IMPOSTOR, cell_labels

__all__ = [
    "BOOTSTRAP_DESIGNS",
    "FAILURE_MODES",
    "PAIRINGS",
    "ZERO_RULES",
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
    "threshold_at_fnmr_from_tail",
    "threshold_from_bins",
    "threshold_from_tail",
    "thresholds_at_targets",
    "werm",
    "zero_adjusted",
]


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
            out.append(fdr_from_counts(c["fm"][obs], c["n_imp"][obs], c["fnm"][obs], c["n_gen"][obs], self.alpha))
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
            curve = [fdr_from_counts(err[b, obs, IMPOSTOR, c], att[b, obs, IMPOSTOR], err[b, obs, GENUINE, c],
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
        """The result as JSON-ready data. Long because it lists every key of the stored result, in one
        place, so the format is read in one go."""
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
