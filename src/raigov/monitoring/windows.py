"""A window against its monitor's reference, pure: the stored spec back to a :class:`Spec`, a window's counts
checked against the spec (every error names the feature or group), the drift of each feature on the fixed
bins, fairness from the window's confusion counts, and the alert rules (data) applied to the results.

Counts of a window, as ``POST /api/v1/monitors/{id}/windows`` takes them and as the file ingest computes
them (docs/monitoring.md, "Windows"): ``{"rows": N, "features": {name: [count per bin of the spec]},
"outcomes": {group: [tp, fp, fn, tn]}}``; every feature's counts add up to ``rows`` (missing values have
their own bin); outcomes are optional and may cover fewer rows (labels arrive later).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from raigov.errors import FieldError, ValidationFailed
from raigov.monitoring import drift as m
from raigov.monitoring.performance import auc_from_bins, fairness, performance
from raigov.monitoring.profile import CategoricalSpec, NumericSpec, Profile, Spec

SEVERITIES = ("high", "medium")
CADENCES = {"daily": 1, "weekly": 7, "monthly": 31}
PSI_MAJOR = 0.25
DEFAULT_RULES: dict[str, dict] = {
    # each rule: the metric it reads, its threshold and the severity of the alert it raises
    "psi_critical": {"severity": "medium", "source": "sample-size-aware critical value (1/N + 1/M) chi2_0.95(B-1)"},
    "psi_major": {"value": PSI_MAJOR, "severity": "high",
                  "source": "policy bound: PSI above 0.25 (a major shift) and above its critical value"},
    "chi2": {"alpha": m.ALPHA, "severity": "medium",
             "source": "significance: Benjamini-Hochberg-adjusted two-sample chi-square p below alpha"},
    "selection_rate_ratio": {"value": 0.8, "severity": "high", "min_count": 30,
                             "source": "policy bound: four-fifths rule (selection-rate ratio below 0.8)"},
    # face-recognition monitors (monitoring/biometric.py): the limits are the criteria of the monitor's pack
    "fmr_ratio": {"severity": "high", "source": "policy bound: FMR max/min ratio above the pack's limit"},
    "fnmr_ratio": {"severity": "medium", "source": "policy bound: FNMR max/min ratio above the pack's limit"},
}


def merge_rules(override: dict | None) -> dict:
    """The default rules with a monitor's overrides (only known rules and keys; severity high or medium)."""
    rules = {k: dict(v) for k, v in DEFAULT_RULES.items()}
    for name, over in (override or {}).items():
        if name not in rules:
            raise ValidationFailed.one("rules", f"unknown rule {name!r} (known: {', '.join(rules)})")
        if not isinstance(over, dict):
            raise ValidationFailed.one(f"rules.{name}", "must be an object")
        for k, v in over.items():
            if k not in rules[name]:
                raise ValidationFailed.one(f"rules.{name}.{k}", f"unknown key (known: {', '.join(rules[name])})")
            if k == "severity" and v not in (*SEVERITIES, "off"):
                raise ValidationFailed.one(f"rules.{name}.severity", "high, medium or off")
            if k in ("value", "alpha", "min_count") and (not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0):
                raise ValidationFailed.one(f"rules.{name}.{k}", "must be a non-negative number")
            rules[name][k] = v
    return rules


def spec_from_dict(d: dict) -> Spec:
    feats: list[NumericSpec | CategoricalSpec] = []
    for f in d["features"]:
        if f["kind"] == "numeric":
            feats.append(NumericSpec(f["name"], tuple(float(e) for e in f["edges"])))
        else:
            feats.append(CategoricalSpec(f["name"], tuple(f["top"]), frozenset(f["reference"])))
    return Spec(tuple(feats), tuple(float(e) for e in d["score_edges"]))


def _count_list(value, field: str, length: int | None) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValidationFailed.one(field, "must be a list of whole numbers")
    if length is not None and len(value) != length:
        raise ValidationFailed.one(field, f"has {len(value)} counts; the monitor's bins for it are {length}")
    if any(v < 0 for v in value):
        raise ValidationFailed.one(field, "counts cannot be negative")
    return value


def check_counts(spec: Spec, body: dict) -> tuple[int, dict[str, list[int]], dict[str, list[int]]]:
    """(rows, feature counts, outcomes) of a window's counts, or ValidationFailed naming every bad feature."""
    if not isinstance(body, dict):
        raise ValidationFailed.one("body", "must be a JSON object")
    rows = body.get("rows")
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
        raise ValidationFailed.one("rows", "must be a whole number of rows")
    if rows == 0:
        raise ValidationFailed.one("rows", "the window is empty (0 rows)", "empty")
    feats = body.get("features")
    if not isinstance(feats, dict):
        raise ValidationFailed.one("features", "must be an object: feature name -> counts per bin")
    names = [f.name for f in spec.features]
    errors = [FieldError(f"features.{n}", "missing: the monitor watches this feature", "missing-column")
              for n in names if n not in feats]
    errors += [FieldError(f"features.{n}", f"not a feature of the monitor (its features: {', '.join(names)})",
                          "unknown-column") for n in feats if n not in names]
    if errors:
        raise ValidationFailed("the window's features do not match the monitor: "
                               + ", ".join(e.field.removeprefix("features.") for e in errors), errors=errors)
    out = {}
    for f in spec.features:
        counts = _count_list(feats[f.name], f"features.{f.name}", f.n_bins)
        if sum(counts) != rows:
            raise ValidationFailed.one(f"features.{f.name}", f"counts add up to {sum(counts)}, not to the window's "
                                       f"{rows} rows (missing values have their own bin)", "counts-mismatch")
        out[f.name] = counts
    outcomes = body.get("outcomes") or {}
    if not isinstance(outcomes, dict):
        raise ValidationFailed.one("outcomes", "must be an object: group -> [tp, fp, fn, tn]")
    conf = {str(g): _count_list(v, f"outcomes.{g}", 4) for g, v in outcomes.items()}
    if sum(sum(v) for v in conf.values()) > rows:
        raise ValidationFailed.one("outcomes", "more labelled outcomes than rows in the window", "counts-mismatch")
    return rows, out, conf


def check_scores(spec: Spec, body: dict, outcomes: dict[str, list[int]]) -> dict[str, dict[str, list[int]]]:
    """A window's optional score-bin counts ``{"scores": {group: {"positive": [...], "negative": [...]}}}``: per
    group of the outcomes, the labelled rows per score bin of ``spec.score_edges`` (label 1, label 0). They must
    add up to the group's outcomes: positives to tp + fn, negatives to fp + tn. Errors name the field."""
    scores = body.get("scores") or {}
    if not isinstance(scores, dict):
        raise ValidationFailed.one("scores", "must be an object: group -> {positive: [...], negative: [...]}")
    nb = len(spec.score_edges) - 1
    out = {}
    for g, v in scores.items():
        g = str(g)
        if g not in outcomes:
            raise ValidationFailed.one(f"scores.{g}", "a group without outcomes: scores count labelled rows, send "
                                       "the group's [tp, fp, fn, tn] in outcomes")
        if not isinstance(v, dict) or set(v) != {"positive", "negative"}:
            raise ValidationFailed.one(f"scores.{g}", "must be {\"positive\": [...], \"negative\": [...]}: labelled "
                                       "rows per score bin, label 1 and label 0")
        tp, fp, fn, tn = outcomes[g]
        pair = {}
        for k, want in (("positive", tp + fn), ("negative", fp + tn)):
            c = _count_list(v[k], f"scores.{g}.{k}", nb)
            if sum(c) != want:
                raise ValidationFailed.one(f"scores.{g}.{k}", f"counts add up to {sum(c)}, not to the group's {want} "
                                           f"rows labelled {1 if k == 'positive' else 0} in outcomes",
                                           "counts-mismatch")
            pair[k] = c
        out[g] = pair
    return out


def performance_of(spec: Spec, outcomes: dict[str, list[int]], scores: dict | None) -> dict:
    """The window's performance once labels are there (performance.performance on its counts): accuracy,
    selection rate, TPR, FPR, precision of all groups, and with scores the AUC from the score bins and the
    calibration per score bin; per group its AUC. NaN (nothing to divide by) is None."""
    prof = Profile(spec)
    for g, v in outcomes.items():
        prof.confusion[("w", g, "")] = np.asarray(v, np.int64)
    for g, v in (scores or {}).items():
        prof.scores[("w", g, "1")] = np.asarray(v["positive"], np.int64)
        prof.scores[("w", g, "0")] = np.asarray(v["negative"], np.int64)
    out = performance(prof, "w")
    if not scores:
        out["auc"], out["calibration"] = None, []
        out["method"] = "rates from the confusion counts (no score column: no AUC, no calibration)"
    out["groups_auc"] = {g: auc_from_bins(v["positive"], v["negative"]) for g, v in (scores or {}).items()}
    return _clean(out)


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


@dataclass
class Finding:
    feature: str
    group: str
    metric: str
    method: str
    value: float
    threshold: float
    source: str
    n_reference: int
    n_current: int
    severity: str


def _finite(v):
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v


def feature_drift(f, r: np.ndarray, c: np.ndarray) -> dict:
    """PSI (critical value), JS distance, two-sample chi-square and, for numeric features, KS on the grid with
    its bound: all on the fixed bins (a window stored as counts has no raw values)."""
    if f.kind == "numeric":
        r, c = m.fold_outer(r), m.fold_outer(c)
    kr, _ = m.kept(r, c)
    b, n, mm = int(kr.size), int(r.sum()), int(c.sum())
    stat, dof, p = m.chi2_two_sample(r, c)
    out = {"name": f.name, "kind": f.kind, "n_reference": n, "n_current": mm, "psi": m.psi(r, c),
           "psi_critical": _finite(m.psi_critical(n, mm, b)), "js_distance": m.js_distance(r, c),
           "js_base": m.JS_BASE, "chi2": stat, "chi2_dof": dof, "chi2_p": p, "ks_grid": None, "ks_grid_bound": None}
    if f.kind == "numeric":
        d, width = m.ks_binned(r[1:], c[1:])  # the ordered bins, without the missing bin
        out.update(ks_grid=d, ks_grid_bound=width)
    bins = ("quantile bins with infinite outer edges + missing" if f.kind == "numeric"
            else "top categories + missing, other, unseen")
    out["method"] = (f"B = {b} bins non-empty in either sample ({bins}); "
                     f"PSI = sum (p-q) ln(p/q) with +{m.PSI_SMOOTHING} per bin; psi_critical = (1/N + 1/M) "
                     f"chi2_0.95(B-1), N = {n}, M = {mm}; JS distance base {m.JS_BASE:g}; chi-square two-sample on the "
                     f"2 x B table, no continuity correction"
                     + ("; KS on the bin edges (the exact D lies within ks_grid + ks_grid_bound)" if f.kind == "numeric" else ""))
    return out


def evaluate(spec: Spec, reference: dict[str, list[int]], counts: dict[str, list[int]],
             outcomes: dict[str, list[int]], rules: dict, scores: dict | None = None) -> dict:
    """The window's results: each feature's drift, the chi-square p-values adjusted (Benjamini-Hochberg) across
    the features, and fairness and performance (AUC and calibration with scores) when outcomes came."""
    feats = [feature_drift(f, np.asarray(reference[f.name], np.int64), np.asarray(counts[f.name], np.int64))
             for f in spec.features]
    adjusted = m.benjamini_hochberg(np.array([x["chi2_p"] for x in feats]))
    for x, q in zip(feats, adjusted, strict=True):
        x["chi2_p_adjusted"] = _finite(float(q))
    fair = None
    if outcomes:
        prof = Profile(spec)
        for g, v in outcomes.items():
            prof.confusion[("w", g, "")] = np.asarray(v, np.int64)
        fair = fairness(prof, "w", min_count=int(rules["selection_rate_ratio"].get("min_count", 30)))
        fair = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in fair.items()}
        for g in fair["groups"].values():
            for k, v in list(g.items()):
                if isinstance(v, float) and not math.isfinite(v):
                    g[k] = None
    perf = performance_of(spec, outcomes, scores) if outcomes else None
    return {"features": feats, "fairness": fair, "performance": perf}


def findings(results: dict, rules: dict) -> list[Finding]:
    """The alerts the rules raise on a window's results: per feature the most severe rule that fired."""
    out: list[Finding] = []
    for x in results["features"]:
        fired: list[Finding] = []
        n, mm = x["n_reference"], x["n_current"]
        crit = x["psi_critical"]
        r = rules["psi_major"]
        if r["severity"] != "off" and crit is not None and x["psi"] > max(crit, r["value"]):
            fired.append(Finding(x["name"], "", "psi", x["method"], x["psi"], max(crit, r["value"]), r["source"], n, mm,
                                 r["severity"]))
        r = rules["psi_critical"]
        if r["severity"] != "off" and crit is not None and x["psi"] > crit:
            fired.append(Finding(x["name"], "", "psi", x["method"], x["psi"], crit, r["source"], n, mm, r["severity"]))
        r = rules["chi2"]
        q = x.get("chi2_p_adjusted")
        if r["severity"] != "off" and q is not None and q < r["alpha"]:
            fired.append(Finding(x["name"], "", "chi2_p_adjusted", x["method"], q, r["alpha"], r["source"], n, mm,
                                 r["severity"]))
        if fired:
            out.append(min(fired, key=lambda f: SEVERITIES.index(f.severity)))
    fair, r = results.get("fairness"), rules["selection_rate_ratio"]
    if fair and r["severity"] != "off" and fair.get("selection_rate_ratio") is not None \
            and fair["selection_rate_ratio"] < r["value"]:
        groups = fair["groups"]
        ok = {g: v for g, v in groups.items() if v["status"] == "ok"}
        low = min(ok, key=lambda g: ok[g]["selection_rate"])
        out.append(Finding("selection rate", low, "selection_rate_ratio",
                           "selection-rate ratio = min / max selection rate over the groups with at least "
                           f"{fair['min_count']} rows", fair["selection_rate_ratio"], r["value"], r["source"],
                           0, sum(v["n"] for v in groups.values()), r["severity"]))
    return out
