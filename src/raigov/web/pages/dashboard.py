"""The governance dashboard: department-wide for the CAIO's office (CAIO, delegate, auditor), a component's
numbers, overdue practices, reviews, waivers and pilots for its AI lead, the lanes' queues and oldest items for reviewers.
Read-only: the numbers come from raigov.governance.dashboard, the charts are server-rendered SVG with their
tables (templates/_charts.html)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from raigov.domains import allowed, load
from raigov.errors import PermissionDenied
from raigov.governance import dashboard as D
from raigov.identity.permissions import require
from raigov.web.deps import require_page_actor, uow
from raigov.web.templating import render

router = APIRouter(prefix="/dashboard", include_in_schema=False)

OFFICE = {"caio", "caio_delegate", "auditor"}
REVIEWER = {"privacy_reviewer", "crcl_reviewer", "legal_reviewer", "ocio_reviewer", "rug_member"}
DETERMINATION_COLORS = {"high-impact": "#b50909", "presumed-not-high-impact": "#c05600", "not-high-impact": "#005ea2",
                        "m-24-10-impacting": "#54278f", "m-24-10-neither": "#00687d", "none": "#71767a"}


def _inventory_view(inv: D.Inventory) -> dict:
    return {
        "determination": [{"label": c.label, "value": c.value} for c in inv.by_determination],
        "stage": [{"label": c.label, "value": c.value} for c in inv.by_stage],
        "component": [{"label": r.component, "total": r.total, "values": r.values} for r in inv.by_component],
        "series": [{"key": k, "label": label, "color": DETERMINATION_COLORS[k]} for k, label in D.DETERMINATION_CATEGORIES],
    }


def _queue_view(q: D.Queues) -> dict:
    return {
        "rows": [{"label": x.title, "total": x.open, "values": {"due": x.open - x.overdue, "overdue": x.overdue}}
                 for x in q.lanes],
        "series": [{"key": "due", "label": f"Open {q.due_days} days or less", "color": "#005ea2"},
                   {"key": "overdue", "label": f"Open more than {q.due_days} days", "color": "#b50909"}],
    }


@router.get("")
def dashboard(request: Request):
    actor = require_page_actor(request)
    require(actor, "governance.dashboard.read")  # the navigation shows the page to the same people (governance/register.py)
    roles = actor.roles
    office = bool(roles & OFFICE)
    lead_units = {g.org_unit for g in actor.grants if g.role == "component_ai_lead"}
    lead = not office and bool(lead_units)
    lanes = D.lanes_of(actor)
    reviewer = not office and bool(roles & REVIEWER) and bool(lanes)
    if not (office or lead or reviewer):
        raise PermissionDenied(f"{actor.label} has no dashboard: it is for the CAIO's office, component AI leads "
                               "and reviewers")
    ctx: dict = {"nav": "dashboard", "office": office, "lead": lead, "reviewer": reviewer}
    with uow(request) as s:
        if office or lead:
            scope = D.scope_of(s, actor, None if office or None in lead_units else lead_units)
            ctx["scope_label"] = "the whole department" if scope.components is None else \
                ", ".join(sorted(scope.components))
            inv = D.inventory(s, scope)
            ctx["inv"], ctx["inv_view"] = inv, _inventory_view(inv)
            pr = D.practices_overdue(s, scope)
            ctx["practices"] = pr
            ctx["practices_rows"] = [{"label": c.label, "value": c.value} for c in pr.by_component]
            q = D.review_queues(s, scope)
            ctx["queues"], ctx["queue_view"] = q, _queue_view(q)
            ctx["waiver_panel"] = D.waiver_panel(s, scope)
            ctx["pilot_panel_data"] = D.pilot_panel(s, scope)
        if office:
            ctx["waivers"] = D.waivers(s, scope)
            dc = D.data_call(s, scope)
            ctx["datacall"] = dc
            ctx["datacall_rows"] = [{"label": "Components with active use cases", "total": dc.expected,
                                     "values": {"certified": dc.certified, "pending": dc.expected - dc.certified}}]
            ctx["datacall_series"] = [{"key": "certified", "label": "Certified", "color": "#216e1f"},
                                      {"key": "pending", "label": "Not yet certified", "color": "#71767a"}]
        if reviewer:
            rq = D.review_queues(s, D.scope_of(s, actor), lanes=lanes)
            ctx["my_queues"], ctx["my_queue_view"] = rq, _queue_view(rq)
        # the panels other domains register (<domain>/register.py), each for who may take its action
        ctx["domain_panels"] = [{"panel": p, "data": load(p.data)(s, actor)}
                                for p in request.app.state.dashboard_panels if allowed(actor, p.action)]
    return render(request, "dashboard/index.html", ctx)
