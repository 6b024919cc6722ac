"""Face-recognition monitors (issue #17 item 4): FMR and FNMR per demographic group per window, from the
biometric counts the evaluation engine uses (`evaluation.biometric.BiometricResult.counts()`: per group, at one
threshold, the impostor comparisons `n_imp` and the false matches among them `fm`, the genuine comparisons
`n_gen` and the false non-matches among them `fnm`). The counts add, so partitions and hosts merge exactly by
summing them. The summaries (FMR and FNMR max/min ratios, GARBE, ...) are the evaluation engine's
(`biometric_measures.differentials`, zero counts replaced by the one-sided upper bound, NIST IR 8429 §4.2), and
the limits are the criteria of a policy pack (`dhs-026-11` by default) checked by the evaluation report's own
`evaluate_criteria`. Pure, apart from reading the pack; NumPy and the evaluation engine are imported when a window is evaluated.

A window's counts (``biometric`` in ``POST /api/v1/monitors/{id}/windows``)::

    {"threshold": 0.62,
     "groups": {"female": {"n_gen": 5000, "fnm": 41, "n_imp": 200000, "fm": 31}, ...}}

`threshold` must be the monitor's (``config.biometric.threshold``): rates at another threshold are another
measure and are refused.
"""

from __future__ import annotations

import math

from raigov.errors import ValidationFailed
from raigov.evaluation.pipeline import criteria as pack_criteria

KEYS = ("n_gen", "fnm", "n_imp", "fm")
MAX_COUNT = 2**53  # exact in a float, far from int64's limit when groups are summed
DEFAULT_PACK = "dhs-026-11"
RULES = {
    # which criterion of the monitor's pack each rule reads; the severity is the monitor's rule (windows.DEFAULT_RULES)
    "fmr_ratio": {"severity": "high", "criterion": "max_fmr_ratio",
                  "metric": "fmr_max_min_ratio", "label": "FMR max/min ratio"},
    "fnmr_ratio": {"severity": "medium", "criterion": "max_fnmr_ratio",
                   "metric": "fnmr_max_min_ratio", "label": "FNMR max/min ratio"},
}


def config(threshold: float | None, pack: str = DEFAULT_PACK) -> dict | None:
    """A monitor's biometric configuration (None: not a face-recognition monitor); the pack must set criteria."""
    if threshold is None:
        return None
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or not math.isfinite(threshold):
        raise ValidationFailed.one("biometric_threshold", "must be a finite number (the match threshold)")
    criteria(pack, "biometric_pack")
    return {"threshold": float(threshold), "pack": pack}


def criteria(pack_ref: str, field: str = "pack") -> tuple[dict, str]:
    """(limits, source) of the pack's criteria, e.g. ({"max_fmr_ratio": 3.0, ...}, "dhs-026-11@1.2.0 D026-11.X")."""
    crit, source = pack_criteria({}, pack_ref, None, field=field)
    return crit.as_dict(), source


def check(cfg: dict | None, body) -> dict | None:
    """The window's biometric counts checked against the monitor (None when there are none), or ValidationFailed
    naming the field (`biometric`, `biometric.threshold`, `biometric.groups.<group>.<key>`)."""
    if body is None or body == {}:
        return None
    if cfg is None:
        raise ValidationFailed.one("biometric", "this monitor has no match threshold: it is not a face-recognition "
                                   "monitor (create it with a biometric threshold)")
    if not isinstance(body, dict) or set(body) - {"threshold", "groups"}:
        raise ValidationFailed.one("biometric", "must be an object with threshold and groups")
    t = body.get("threshold")
    if not isinstance(t, (int, float)) or isinstance(t, bool) or float(t) != cfg["threshold"]:
        raise ValidationFailed.one("biometric.threshold", f"the counts must be at the monitor's threshold "
                                   f"{cfg['threshold']:g} (got {t!r})")
    groups = body.get("groups")
    if not isinstance(groups, dict) or not groups:
        raise ValidationFailed.one("biometric.groups", "must be an object: group -> {n_gen, fnm, n_imp, fm}", "empty")
    out = {}
    for g, c in groups.items():
        field = f"biometric.groups.{g}"
        if not isinstance(c, dict) or set(c) != set(KEYS):
            raise ValidationFailed.one(field, f"must have exactly the counts {', '.join(KEYS)}")
        for k in KEYS:
            v = c[k]
            if not isinstance(v, int) or isinstance(v, bool) or v < 0 or v > MAX_COUNT:
                raise ValidationFailed.one(f"{field}.{k}", f"must be a whole number from 0 to {MAX_COUNT}")
        if c["fnm"] > c["n_gen"]:
            raise ValidationFailed.one(f"{field}.fnm", "more false non-matches than genuine comparisons",
                                       "counts-mismatch")
        if c["fm"] > c["n_imp"]:
            raise ValidationFailed.one(f"{field}.fm", "more false matches than impostor comparisons", "counts-mismatch")
        out[str(g)] = {k: int(c[k]) for k in KEYS}
    if not any(c["n_gen"] + c["n_imp"] for c in out.values()):
        raise ValidationFailed.one("biometric.groups", "no comparison in any group", "empty")
    return {"threshold": cfg["threshold"], "groups": out}


def _num(v):
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else float(v)


def evaluate(counts: dict, pack_ref: str = DEFAULT_PACK) -> dict:
    """Per group FMR and FNMR with Wilson 95 % intervals; the differentials across the groups with comparisons of
    that kind; the pack's criteria checked (each check: name, limit, value, passed)."""
    import numpy as np

    from raigov.evaluation.biometric_measures import differentials
    from raigov.evaluation.intervals import wilson
    from raigov.evaluation.report import Criteria, evaluate_criteria

    names = sorted(counts["groups"])
    c = {k: np.array([counts["groups"][g][k] for g in names], np.int64) for k in KEYS}
    lo_m, hi_m = wilson(c["fm"], c["n_imp"])
    lo_n, hi_n = wilson(c["fnm"], c["n_gen"])
    groups = {}
    for i, g in enumerate(names):
        ni, ng = int(c["n_imp"][i]), int(c["n_gen"][i])
        groups[g] = {**counts["groups"][g],
                     "fmr": c["fm"][i] / ni if ni else None, "fmr_ci": [_num(lo_m[i]), _num(hi_m[i])] if ni else None,
                     "fnmr": c["fnm"][i] / ng if ng else None,
                     "fnmr_ci": [_num(lo_n[i]), _num(hi_n[i])] if ng else None}
    d = {k: (_num(v) if isinstance(v, float) else v)
         for k, v in differentials(c["fm"], c["n_imp"], c["fnm"], c["n_gen"]).items()}
    limits, source = criteria(pack_ref)
    result = {"conventions": {"mode": "verification"}, "differentials": d,
              "groups": [{"group": {"group": g}, "fmr": v["fmr"], "fnmr": v["fnmr"]} for g, v in groups.items()]}
    checks = [{"name": k.name, "limit": k.limit, "value": k.value, "passed": k.passed, "detail": k.detail}
              for k in evaluate_criteria(result, Criteria(**limits))]
    return {"threshold": counts["threshold"], "groups": groups, "differentials": d, "criteria": limits,
            "criteria_source": source, "checks": checks,
            "method": "FMR = fm / n_imp, FNMR = fnm / n_gen per group at the monitor's threshold (match iff score >= "
                      "threshold), Wilson 95 % intervals; max/min ratios over the groups with comparisons of that kind, "
                      "a zero count replaced by its one-sided 95 % upper bound 1 - 0.05^(1/n) (NIST IR 8429 4.2); "
                      f"limits: {source}"}


def findings(results: dict | None, rules: dict, finding) -> list:
    """The alerts of a window's biometric results: a ratio above the pack's limit (one per rule); `finding`
    builds the alert record (windows.Finding)."""
    if not results:
        return []
    out = []
    for name, default in RULES.items():
        r = {**default, "severity": (rules.get(name) or default)["severity"]}
        limit, value = results["criteria"].get(r["criterion"]), results["differentials"].get(r["metric"])
        if r["severity"] == "off" or limit is None or value is None or value <= limit:
            continue
        key = "fmr" if r["metric"].startswith("fmr") else "fnmr"
        rated = {g: v for g, v in results["groups"].items() if v[key] is not None}
        worst = max(rated, key=lambda g: rated[g][key])
        n = sum(v["n_imp" if key == "fmr" else "n_gen"] for v in rated.values())
        out.append(finding("face recognition", worst, r["metric"], results["method"], float(value), float(limit),
                           f"policy bound: {r['label']} above {limit:g} ({results['criteria_source']})", 0, n,
                           r["severity"]))
    return out
