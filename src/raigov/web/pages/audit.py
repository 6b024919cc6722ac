"""The audit trail pages (roles `auditor` and `caio`): filter, read an event, verify."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter, Request

from raigov.audit import service as audit
from raigov.clock import agency_zone
from raigov.errors import ValidationFailed
from raigov.identity import service as identity
from raigov.web.deps import require_page_actor, settings_of, uow
from raigov.web.params import PageNo, Seq
from raigov.web.templating import render

router = APIRouter(prefix="/audit", include_in_schema=False)
PAGE = 25


def _day(value: str, field: str, zone) -> datetime | None:
    """The start of an agency day (the filter's dates are the agency's, as the times shown are)."""
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=zone).astimezone(UTC)
    except ValueError:
        raise ValidationFailed.one(field, "use a date as YYYY-MM-DD") from None


@router.get("")
def events(request: Request, actor: str = "", action: str = "", object_type: str = "", object_id: str = "",
           since: str = "", until: str = "", page: PageNo = 1):
    who = require_page_actor(request)
    errors = {}
    try:
        zone = agency_zone(settings_of(request))
        since_dt = _day(since, "since", zone)
        until_dt = _day(until, "until", zone)
    except ValidationFailed as exc:
        errors[exc.errors[0].field] = exc.errors[0].message
        since_dt = until_dt = None
    flt = audit.EventFilter(actor or None, action or None, object_type or None, object_id or None, since_dt,
                            until_dt + timedelta(days=1) if until_dt else None)
    page = max(page, 1)
    with uow(request) as s:
        rows, total = audit.list_events(s, who, flt, limit=PAGE, offset=(page - 1) * PAGE)
        types = audit.distinct_values(s, who, "object_type")
        head = audit.latest_head(s)
        names = identity.display_names(s, [e.actor for e in rows])
    pages = max(1, -(-total // PAGE))
    filters = {"actor": actor, "action": action, "object_type": object_type, "object_id": object_id, "since": since,
               "until": until}
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return render(request, "audit/events.html", {"events": rows, "total": total, "page": page, "pages": pages,
                                                 "filters": filters, "query": query, "types": types, "head": head,
                                                 "errors": errors, "names": names})


@router.get("/verify")
def verify(request: Request):
    who = require_page_actor(request)
    with uow(request) as s:
        result = audit.verify(s, who)
    return render(request, "audit/verify.html", {"result": result})


@router.get("/{seq}")
def event(request: Request, seq: Seq):
    who = require_page_actor(request)
    with uow(request) as s:
        ev = audit.get_event(s, who, seq)
        data = audit.event_as_dict(ev)
        proof = audit.inclusion(s, who, seq)
        names = identity.display_names(s, [data["actor"]])
    return render(request, "audit/event.html", {"e": data, "proof": proof, "names": names})
