"""Issue #14, bug 4: the practice states a page shows are the states the gate uses (one function,
``governance.practices.states.practice_rows``), each with what moves it on; attaching evidence to a practice
or saving the impact assessment moves a practice not started to in progress, with an audit event.
Through the service, the governance page and the use case page, on both databases."""

from __future__ import annotations

import re

from sqlalchemy import select

from raigov.audit.models import AuditEvent
from raigov.governance import service as gov
from raigov.governance.practices.states import practice_rows
from raigov.governance.requirements import requirements_of
from raigov.inventory import service as inventory
from raigov.policy import service as policy
from tests.governance.test_governance_service import FR, PDF, SECTIONS

IA = "M-25-21.4(b)(ii)"
STATE = re.compile(r'class="practice-state" data-item="([^"]+)" data-status="([a-z_]+)"')


def _people(make_user, actor_of):
    for u, roles in {"owner": ["submitter@CBP"], "caio": ["caio"], "lead": ["component_ai_lead@CBP"]}.items():
        make_user(u, *roles)
    return {u: actor_of(u) for u in ("owner", "caio", "lead")}


def _gate_states(db, actor, bid):
    """{practice: status} of the gate's practice_not_met reasons, and those reasons' next steps."""
    with db.transaction() as s:
        reasons = [r for r in gov.authorization(s, actor, bid).reasons if r["code"] == "practice_not_met"]
    return {r["practice"]: r["status"] for r in reasons}, {r["practice"]: r.get("next_step", "") for r in reasons}


def _page_states(client, bid):
    page = client.get(f"/inventory/{bid}/governance")
    assert page.status_code == 200, page.text[:500]
    return dict(STATE.findall(page.text)), page.text


def test_page_and_gate_show_the_same_practice_states(db, settings, client, sign_in, make_user, actor_of):
    p = _people(make_user, actor_of)
    with db.transaction() as s:
        bid = inventory.create_use_case(s, p["owner"], component="CBP", values=FR, reason="new",
                                        settings=settings).business_id
    # a draft: its practices are not opened yet, and the gate counts them not started; so does the page
    gate, steps = _gate_states(db, p["caio"], bid)
    assert gate and set(gate.values()) == {"not_started"}
    assert sign_in("caio").status_code == 303
    page, html = _page_states(client, bid)
    assert "No minimum practice is required." not in html
    assert page == gate
    assert "Opened when the use case is submitted for review" in html
    assert all(s.startswith("Opened when the use case is submitted") for s in steps.values())

    with db.transaction() as s:
        inventory.submit_use_case(s, p["owner"], bid)
    with db.transaction() as s:
        policy.screen_use_case(s, p["owner"], bid)
        policy.decide(s, p["caio"], bid, "high-impact", "face recognition")
        gov.sync(s, p["owner"], bid)
    gate, steps = _gate_states(db, p["caio"], bid)
    assert IA in gate and len(gate) >= 3 and set(gate.values()) == {"not_started"}
    assert _page_states(client, bid)[0] == gate
    assert steps[IA] == "Save the impact assessment to start it."
    other = next(i for i in gate if i != IA)
    assert steps[other].startswith("Attach evidence to this practice to start it")

    with db.transaction() as s:  # evidence attached to a practice starts it
        ev = gov.add_file(s, p["owner"], settings, bid, PDF, filename="plan.pdf", title="Plan", category="procedure",
                          practice=other)
        ev_id = ev.id
        gov.save_assessment(s, p["owner"], bid, SECTIONS)  # the impact assessment starts its practice
    gate, steps = _gate_states(db, p["caio"], bid)
    assert gate[other] == gate[IA] == "in_progress"
    assert steps[other] == "Its evidence is attached: mark it done."
    assert steps[IA].startswith("Mark it done once the risk-accepting official has signed")
    page, html = _page_states(client, bid)
    assert page == gate  # every required practice, the same state
    assert "Next: Its evidence is attached: mark it done." in html
    detail = client.get(f"/inventory/{bid}")  # the use case page's gate says the same
    assert detail.status_code == 200 and "Next: Its evidence is attached: mark it done." in detail.text
    with db.transaction() as s:
        events = [(e.details, e.actor) for e in s.scalars(select(AuditEvent).where(
            AuditEvent.action == "governance.practice.update", AuditEvent.object_id == bid).order_by(AuditEvent.seq))]
        uc = inventory.get_use_case(s, p["caio"], bid)
        rows = practice_rows(s, uc, requirements_of(s, uc))
    import json

    details = [json.loads(d) if isinstance(d, str) else d for d, _ in events]
    assert [(d["practice"], d["status"], d["because"]) for d in details] == [
        (other, "in_progress", f"evidence {ev_id} attached"), (IA, "in_progress", "impact assessment version 1 saved")]
    assert {r.item: r.status for r in rows} == gate

    with db.transaction() as s:  # a second piece of evidence, or a new assessment version, moves nothing further
        gov.add_link(s, p["owner"], bid, url="https://example.invalid/x", title="More", category="procedure",
                     practice=other)
        gov.save_assessment(s, p["owner"], bid, {**SECTIONS, "E_costs": "revised"})
        n = len(s.scalars(select(AuditEvent).where(AuditEvent.action == "governance.practice.update",
                                                   AuditEvent.object_id == bid)).all())
    assert n == 2
    with db.transaction() as s:  # done is still the owner's decision, with evidence
        gov.update_practice(s, p["owner"], bid, other, status="done")
    gate, _ = _gate_states(db, p["caio"], bid)
    assert other not in gate
    page, _ = _page_states(client, bid)
    assert page[other] == "done" and {k: v for k, v in page.items() if k != other} == gate
