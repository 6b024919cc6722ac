"""Oversight pages: the use cases whose decisions the person may read, with their counts (from the daily
counts), a use case's newest decisions and statistics, and one decision with its proof checked. Read only:
decisions are recorded by operational systems through the API. The use case's page also carries the forms review
uses to set its authorized scale, declare the protected characteristics its model takes as inputs and (CRCL)
approve their justification (errors at the field; the rules live in raigov.oversight.review)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse

from raigov.errors import RaigovError, ValidationFailed
from raigov.identity.permissions import can, require
from raigov.oversight import service as oversight
from raigov.oversight.review import settings_page
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, uow
from raigov.web.pages.forms import field_errors
from raigov.web.params import INT64_MAX
from raigov.web.templating import render

router = APIRouter(prefix="/oversight", include_in_schema=False)
flash.register({"oversight.settings_saved": "Oversight settings saved."})


@router.get("")
def index(request: Request):
    actor = require_page_actor(request)
    require(actor, "oversight.decision.read")
    with uow(request) as s:
        rows = oversight.overview(s, actor)
        alerts = oversight.visible_alerts(s, actor)
    return render(request, "oversight/index.html", {"nav": "oversight", "rows": rows, "alerts": alerts})


def _use_case_page(request: Request, business_id: str, values: dict | None = None, errors: dict | None = None,
                   status: int = 200, period: dict | None = None):
    actor = require_page_actor(request)
    period = period or {}
    trend, trend_errors = None, {}
    with uow(request) as s:
        st = oversight.stats(s, actor, business_id)
        try:
            trend = oversight.trends(s, actor, business_id, period.get("since"), period.get("until"),
                                     period.get("bucket"))
        except ValidationFailed as exc:
            trend_errors, status = field_errors(exc), 422
        decisions = oversight.list_decisions(s, actor, business_id, limit=50)
        alerts = oversight.visible_alerts(s, actor, business_id)
        settings = settings_page(s, actor, business_id)
    return render(request, "oversight/use_case.html", {
        "nav": "oversight", "stats": st, "decisions": decisions, "alerts": alerts, "settings": settings,
        "values": values or {}, "errors": errors or {}, "flash": flash.banner(request), "period": period,
        "trend": trend, "trend_charts": trend_charts(trend) if trend else [], "trend_errors": trend_errors}, status)


def trend_charts(t: dict) -> list[dict]:
    """The trends (oversight.trends) as the charts of the page, each with the same numbers as its table: counts,
    and rates as percentages (a rate whose denominator is 0 is shown as "no data")."""
    week = t["bucket"] == "week"
    labels = [f"{r['start']} to {r['end']}" if week else r["start"].isoformat() for r in t["series"]]
    per = "per week" if week else "per day"

    def col(key: str, pct: bool = False) -> list:
        return [None if r[key] is None else round(r[key] * 100, 1) if pct else r[key] for r in t["series"]]

    def chart(key: str, title: str, header: str, series: list[tuple[str, str]], pct: bool) -> dict:
        return {"id": f"trend-{key}", "title": f"{title} {per}", "windows": labels, "value_header": header,
                "fmt": "%.1f" if pct else "%d", "series": [{"name": n, "values": col(k, pct)} for k, n in series]}

    return [chart("decisions", "Decisions recorded and attempts refused", "Count",
                  [("recorded", "recorded"), ("refused", "refused")], False),
            chart("review", "Share with human review and override rate", "Per cent",
                  [("review_share", "reviewed"), ("override_rate", "overridden")], True),
            chart("appeals", "Appeals filed, decided and reversed", "Count",
                  [("appeals", "filed"), ("appeals_decided", "decided"), ("appeals_reversed", "reversed")], False),
            chart("appeal-rates", "Appeal rate and reversal rate", "Per cent",
                  [("appeal_rate", "appeal rate"), ("reversal_rate", "reversal rate")], True)]


@router.get("/use-cases/{business_id}")
def use_case(request: Request, business_id: str, since: str | None = None, until: str | None = None,
             bucket: str | None = None):
    return _use_case_page(request, business_id, period={"since": since, "until": until, "bucket": bucket})


def _scale(value: str) -> int | None:
    value = value.strip().replace(",", "")
    if not value:
        return None
    if not value.isdigit():
        raise ValidationFailed.one("authorized_scale", "a whole number of subjects per day, or empty for none")
    return int(value)


@router.post("/use-cases/{business_id}/settings/{what}")
async def save_settings(request: Request, business_id: str, what: str):
    """One of the three forms: ``scale``, ``protected-inputs``, ``justification``."""
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = {"authorized_scale": str(form.get("authorized_scale") or ""),
              "characteristics": [str(c) for c in form.getlist("characteristics")],
              "justification": str(form.get("justification") or "")}
    try:
        with uow(request) as s:
            if what == "scale":
                oversight.set_scale(s, actor, business_id, _scale(values["authorized_scale"]))
            elif what == "protected-inputs":
                oversight.declare_protected(s, actor, business_id, values["characteristics"])
            elif what == "justification":
                oversight.justify_protected(s, actor, business_id, values["justification"])
            else:
                raise ValidationFailed.one("form", "unknown form")
    except RaigovError as exc:
        if exc.status in (403, 404):
            raise
        errors = {k.split(".")[0]: v for k, v in reversed(field_errors(exc).items())}
        if what == "justification" and "characteristics" in errors:  # nothing declared: said at the approval
            errors["justification"] = errors.pop("characteristics")
        return _use_case_page(request, business_id, {**values, "form": what}, errors, 422)
    return RedirectResponse(flash.done_url(f"/oversight/use-cases/{business_id}#settings", "oversight.settings_saved"),
                            status_code=303)


@router.get("/decisions/{decision_id}")
def decision(request: Request, decision_id: Annotated[int, Path(ge=1, le=INT64_MAX)]):
    actor = require_page_actor(request)
    with uow(request) as s:
        proof = oversight.prove(s, actor, decision_id)
    return render(request, "oversight/decision.html", {"nav": "oversight", "p": proof,
                                                       "may_appeal": can(actor, "oversight.appeal.file")})
