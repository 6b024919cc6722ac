"""Biometric T&E reports (HTML and PDF) with pass/fail against plain-number criteria.

:class:`Criteria` holds the limits as plain numbers so that a policy pack can supply them later;
:func:`build_report` turns a :class:`~raigov.evaluation.biometric.BiometricResult` and its data
summary into a :class:`Report` (plain data), which :func:`render_html` and :func:`render_pdf` draw.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from raigov.errors import ValidationFailed
from raigov.evaluation.report.html import render_html
from raigov.evaluation.report.pdf import render_pdf
from raigov.evaluation.runner import json_safe


@dataclass(frozen=True)
class Criteria:
    """Limits; ``None`` means not checked. Rates are fractions (1e-4, not 0.01 %)."""

    max_fmr: float | None = None  # every group's FMR (FPIR) at the threshold
    max_fnmr: float | None = None  # every group's FNMR (FNIR)
    max_fmr_ratio: float | None = None  # FMR max/min ratio across groups
    max_fnmr_ratio: float | None = None
    max_garbe: float | None = None
    min_fdr: float | None = None
    max_gini_fmr: float | None = None
    max_gini_fnmr: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return asdict(self)

    @classmethod
    def from_pack(cls, pack, item_id: str | None = None, **overrides: float | None) -> tuple[Criteria, str]:
        """The limits a policy pack sets on a practice (its ``criteria``), with explicit values taking
        precedence; returns them and the source (``pack@version item``). ``item_id`` picks the practice
        when the pack has several with criteria."""
        items = [i for i in pack.items if i.criteria and (item_id is None or i.id == item_id)]
        if not items:
            where = f"item {item_id}" if item_id else "any item"
            raise ValidationFailed.one("--criteria-pack", f"{pack.key} sets no criteria on {where}")
        if len(items) > 1:
            raise ValidationFailed.one("--criteria-item", f"{pack.key} sets criteria on {', '.join(i.id for i in items)}: "
                                       "choose one")
        values = {**items[0].criteria, **{k: v for k, v in overrides.items() if v is not None}}
        return cls(**values), f"{pack.key} {items[0].id}"


@dataclass
class Check:
    name: str
    limit: float
    value: float | None
    passed: bool | None
    detail: str = ""


@dataclass
class Report:
    title: str
    created: str
    mode: str
    threshold: float
    result: dict[str, Any]
    data: dict[str, Any]
    criteria: dict[str, Any]
    checks: list[Check]
    curves: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool | None:
        verdicts = [c.passed for c in self.checks]
        if not verdicts:
            return None
        if any(v is False for v in verdicts):
            return False
        if any(v is None for v in verdicts):
            return None
        return True

    def summary(self) -> dict[str, Any]:
        return json_safe({"title": self.title, "passed": self.passed, "threshold": self.threshold,
                          "checks": [asdict(c) for c in self.checks], "data": self.data})


def evaluate_criteria(result: dict[str, Any], criteria: Criteria) -> list[Check]:
    """Compare a biometric result dict (``BiometricResult.to_dict()``) with the limits.

    A value that cannot be computed (e.g. a max/min ratio with a zero rate under
    ``zero_handling='undefined'``) gives ``passed=None`` (not evaluable), never a silent pass.
    """
    ident = result["conventions"]["mode"] == "identification"
    km, kn = ("fpir", "fnir") if ident else ("fmr", "fnmr")
    d = result["differentials"]
    checks: list[Check] = []

    def add(name, limit, value, upper=True, detail=""):
        if limit is None:
            return
        if value is None or (isinstance(value, float) and np.isnan(value)):
            checks.append(Check(name, limit, None, None, detail or "not computable"))
            return
        ok = value <= limit if upper else value >= limit
        checks.append(Check(name, limit, float(value), bool(ok), detail))

    for key, limit in ((km, criteria.max_fmr), (kn, criteria.max_fnmr)):
        if limit is None:
            continue
        vals = [(g[key], g["group"]) for g in result["groups"] if g[key] is not None and not np.isnan(g[key])]
        if not vals:
            add(f"max group {key.upper()}", limit, None)
            continue
        worst = max(vals, key=lambda v: v[0])
        label = ", ".join(f"{k}={v}" for k, v in worst[1].items())
        add(f"max group {key.upper()}", limit, worst[0], detail=f"worst group: {label}")
    add(f"{km.upper()} max/min ratio", criteria.max_fmr_ratio, d.get(f"{km}_max_min_ratio"))
    add(f"{kn.upper()} max/min ratio", criteria.max_fnmr_ratio, d.get(f"{kn}_max_min_ratio"))
    add("GARBE", criteria.max_garbe, d.get("garbe"))
    add("FDR", criteria.min_fdr, d.get("fdr"), upper=False)
    add(f"Gini {km.upper()}", criteria.max_gini_fmr, d.get(f"gini_{km}"))
    add(f"Gini {kn.upper()}", criteria.max_gini_fnmr, d.get(f"gini_{kn}"))
    return checks


def build_report(result, data: dict[str, Any], criteria: Criteria | None = None,
                 title: str = "Biometric demographic differential evaluation") -> Report:
    """``result``: a BiometricResult. Curves are included when more than one threshold was counted."""
    criteria = criteria or Criteria()
    res = json_safe(result.to_dict())
    curves = None
    cv = result.curves()
    if cv["thresholds"].size > 1:
        obs = result.observed()
        curves = {
            "thresholds": cv["thresholds"],
            "groups": [{"group": lab, "fmr": cv["fmr"][i], "fnmr": cv["fnmr"][i]}
                       for i, lab in enumerate(result.labels) if obs[i]],
            "overall_fmr": cv["overall_fmr"], "overall_fnmr": cv["overall_fnmr"],
        }
    return Report(
        title=title,
        created=_dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        mode=result.spec.mode,
        threshold=result.threshold,
        result=res,
        data=json_safe(data),
        criteria=criteria.as_dict(),
        checks=evaluate_criteria(res, criteria),
        curves=curves,
    )


__all__ = ["Check", "Criteria", "Report", "build_report", "evaluate_criteria", "render_html", "render_pdf"]
