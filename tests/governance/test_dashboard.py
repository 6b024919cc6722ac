"""The dashboard's numbers on both databases: a small agency built row by row (determinations, reviews of
known ages, practices overdue and not, waivers, pilots, two reporting cycles), the exact figures each query
returns, and the scoping (a CBP lead sees no TSA numbers)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from raigov.clock import agency_today
from raigov.datacall.models import ComponentCertification, ReportingCycle
from raigov.db.base import utcnow
from raigov.errors import PermissionDenied
from raigov.governance import dashboard as D
from raigov.governance.models import Pilot, Practice, Review, Waiver
from raigov.identity.models import OrgUnit
from raigov.inventory.models import UseCase
from raigov.policy.models import Determination

DAY = dt.timedelta(days=1)


def build_agency(db, now: dt.datetime) -> dict[str, str]:
    """CBP: 3 active use cases (high-impact, presumed-not awaiting the CAIO, none), a draft and a retired one;
    TSA: 3 active (M-24-10 rights-impacting, neither, not high-impact). Returns name -> business id."""
    today = agency_today(now=now)  # the dashboard compares with the agency's date
    with db.transaction() as s:
        units = {u.code: u.id for u in s.scalars(select(OrgUnit))}
        ucs: dict[str, UseCase] = {}
        for key, comp, status, stage, name in [
            ("CBP-1", "CBP", "active", "Deployed", "Face matching at entry"),
            ("CBP-2", "CBP", "active", "Pilot", "Cargo risk scoring"),
            ("CBP-3", "CBP", "active", "Deployed", "Translation of notices"),
            ("CBP-4", "CBP", "draft", "Pilot", "Draft chatbot"),
            ("CBP-5", "CBP", "retired", "Deployed", "Retired tool"),
            ("TSA-1", "TSA", "active", "Deployed", "Passenger screening assist"),
            ("TSA-2", "TSA", "active", None, "Staffing forecasts"),
            ("TSA-3", "TSA", "active", "Pilot", "Bag image triage"),
        ]:
            uc = UseCase(business_id=f"DHS-T{key}", name_key=f"name:DHS:{name.lower()}", agency="DHS",
                         org_unit_id=units[comp], name=name, status=status, stage=stage)
            s.add(uc)
            ucs[key] = uc
        s.flush()

        def det(key, decision, status="in_force", framework="M-25-21"):
            s.add(Determination(use_case_id=ucs[key].id, framework=framework, decision=decision, reason="r",
                                status=status, source="official", created_by="user:caio"))
            s.flush()

        det("CBP-1", "not-high-impact")
        det("CBP-1", "high-impact")  # the newest is the one in force
        det("CBP-2", "presumed-not-high-impact", status="awaiting_caio")
        det("CBP-5", "high-impact")
        det("TSA-1", "rights-impacting", framework="M-24-10")
        det("TSA-2", "neither", framework="M-24-10")
        det("TSA-3", "not-high-impact")

        for key, lane, cycle, status, age in [
            ("CBP-1", "privacy", 1, "approved", dt.timedelta(days=100)),
            ("CBP-1", "privacy", 2, "open", dt.timedelta(days=40)),
            ("CBP-2", "privacy", 1, "changes_requested", dt.timedelta(days=10)),
            ("TSA-1", "privacy", 1, "open", dt.timedelta(days=31)),
            ("TSA-3", "privacy", 1, "open", dt.timedelta(days=30, hours=23)),  # 30 whole days: not overdue
            ("CBP-5", "privacy", 1, "open", dt.timedelta(days=200)),  # retired: not counted
            ("CBP-1", "component_ai_lead", 1, "open", dt.timedelta(days=5)),
            ("TSA-1", "component_ai_lead", 1, "open", dt.timedelta(days=50)),
            ("CBP-1", "crcl", 1, "open", dt.timedelta(days=2)),
            ("TSA-2", "crcl", 1, "open", dt.timedelta(days=8)),
            ("TSA-3", "crcl", 1, "open", dt.timedelta(days=20)),
            ("CBP-1", "independent", 1, "withdrawn", dt.timedelta(days=60)),
        ]:
            s.add(Review(use_case_id=ucs[key].id, lane=lane, cycle=cycle, status=status, required_by=[],
                         revision_number=1, opened_at=now - age))

        for key, item, required, status, due in [
            ("CBP-1", "P1", True, "not_started", -10),
            ("CBP-1", "P2", True, "in_progress", -3),
            ("CBP-1", "P3", True, "done", -20),
            ("CBP-1", "P4", True, "not_started", 5),
            ("CBP-1", "P5", False, "not_started", -30),
            ("CBP-1", "P6", True, "waived", -40),
            ("CBP-2", "P1", True, "not_started", -1),
            ("CBP-5", "P1", True, "not_started", -9),  # retired
            ("TSA-1", "P1", True, "not_started", -100),
            ("TSA-1", "P2", True, "not_applicable", -5),
            ("TSA-1", "P3", True, "not_started", None),
        ]:
            s.add(Practice(use_case_id=ucs[key].id, item=item, pack="omb-m-25-21@1", title=f"Practice {item}",
                           citation="M-25-21", required=required, status=status,
                           due_on=None if due is None else today + due * DAY, updated_by="test"))

        def waiver(key, status, expires, certified, report_due, reported):
            s.add(Waiver(use_case_id=ucs[key].id, practice_item="P6", grounds="increases-risk", determination="d",
                         risk_assessment="r", public_summary="p", status=status, granted_by="user:caio",
                         expires_on=today + expires * DAY, certified_on=today + certified * DAY,
                         omb_report_due=today + report_due * DAY,
                         omb_reported_on=None if reported is None else today + reported * DAY))

        waiver("CBP-1", "active", 30, -100, -70, -75)  # expiring in 30 days
        waiver("TSA-1", "active", 200, -320, -290, None)  # re-certification due in 45 days; OMB report overdue
        waiver("CBP-2", "revoked", 10, -350, 20, None)  # revoked: only its OMB report is due
        waiver("CBP-3", "active", 61, -10, -20, -25)  # nothing due

        def pilot(key, status, starts, ends):
            s.add(Pilot(use_case_id=ucs[key].id, scale="s", starts_on=today + starts * DAY, ends_on=today + ends * DAY,
                        opt_in_out="o", practices_applied="p", status=status, certified_by="user:caio"))

        pilot("CBP-2", "active", -30, 20)
        pilot("TSA-3", "active", -300, -2)
        pilot("CBP-1", "ended", -200, -100)

        old = ReportingCycle(year=2025, title="2025 data call", due_on=today - 300 * DAY, status="certified",
                             opened_by="user:caio")
        cur = ReportingCycle(year=2026, title="2026 data call", due_on=today + 20 * DAY, status="open",
                             opened_by="user:caio")
        s.add_all([old, cur])
        s.flush()
        for cycle, comp, n in [(old, "TSA", 2), (cur, "CBP", 2), (cur, "CBP", 3), (cur, "FEMA", 0)]:
            s.add(ComponentCertification(cycle_id=cycle.id, component=comp, use_case_count=n, content_sha256="0" * 64,
                                         statement="certified", certified_by=f"user:{comp.lower()}.lead"))
        return {k: v.business_id for k, v in ucs.items()}


@pytest.fixture
def actors(make_user, actor_of):
    for name, roles in {"caio": ["caio"], "auditor": ["auditor"], "cbp.lead": ["component_ai_lead@CBP"],
                        "tsa.lead": ["component_ai_lead@TSA"], "privacy": ["privacy_reviewer"],
                        "employee": ["employee"]}.items():
        make_user(name, *roles)
    return {n: actor_of(n) for n in ("caio", "auditor", "cbp.lead", "tsa.lead", "privacy", "employee")}


def _counts(rows) -> dict:
    return {r.key: r.value for r in rows}


def test_department_wide_numbers(db, actors):
    now = utcnow()
    today = agency_today(now=now)  # the dashboard compares with the agency's date
    ids = build_agency(db, now)
    with db.transaction() as s:
        for who in ("caio", "auditor"):
            sc = D.scope_of(s, actors[who])
            assert sc.unit_ids is None
            inv = D.inventory(s, sc)
            assert inv.total == 6 and inv.drafts == 1 and inv.awaiting_caio == 1
            assert _counts(inv.by_determination) == {"high-impact": 1, "presumed-not-high-impact": 1,
                                                     "not-high-impact": 1, "m-24-10-impacting": 1,
                                                     "m-24-10-neither": 1, "none": 1}
            assert [(c.label, c.value) for c in inv.by_stage] == [("Deployed", 3), ("Pilot", 2), ("Not stated", 1)]
            assert [(r.component, r.total) for r in inv.by_component] == [("CBP", 3), ("TSA", 3)]
            assert inv.by_component[0].values == {"high-impact": 1, "presumed-not-high-impact": 1, "not-high-impact": 0,
                                                  "m-24-10-impacting": 0, "m-24-10-neither": 0, "none": 1}
            assert inv.by_component[1].values == {"high-impact": 0, "presumed-not-high-impact": 0, "not-high-impact": 1,
                                                  "m-24-10-impacting": 1, "m-24-10-neither": 1, "none": 0}

        sc = D.scope_of(s, actors["caio"])
        pr = D.practices_overdue(s, sc, today)
        assert (pr.total, pr.open_required) == (4, 6)
        assert [(c.key, c.value) for c in pr.by_component] == [("CBP", 3), ("TSA", 1)]
        assert [(w.business_id, w.overdue, w.oldest_due, w.days_overdue) for w in pr.worst] == [
            (ids["CBP-1"], 2, today - 10 * DAY, 10), (ids["TSA-1"], 1, today - 100 * DAY, 100),
            (ids["CBP-2"], 1, today - DAY, 1)]

        wv = D.waivers(s, sc, today)
        assert [(w.business_id, w.days) for w in wv.expiring] == [(ids["CBP-1"], 30)]
        assert [(w.business_id, w.days, w.recertify_on) for w in wv.recertification] == [
            (ids["TSA-1"], 45, today + 45 * DAY)]
        assert [(w.business_id, w.status, w.days) for w in wv.omb_reports] == [
            (ids["TSA-1"], "active", -290), (ids["CBP-2"], "revoked", 20)]

        q = D.review_queues(s, sc, now=now)
        assert q.due_days == 30
        assert [(x.lane, x.open, x.median_days, x.max_days, x.overdue) for x in q.lanes] == [
            ("component_ai_lead", 2, 27.5, 50, 1), ("privacy", 4, 30.5, 40, 2), ("crcl", 3, 8, 20, 0)]
        assert (q.open, q.overdue) == (9, 3)
        assert [(i.business_id, i.lane, i.age_days, i.overdue) for i in q.oldest[:4]] == [
            (ids["TSA-1"], "component_ai_lead", 50, True), (ids["CBP-1"], "privacy", 40, True),
            (ids["TSA-1"], "privacy", 31, True), (ids["TSA-3"], "privacy", 30, False)]
        assert len(q.oldest) == 9

        assert [(p.business_id, p.days_left) for p in D.pilots(s, sc, today)] == [(ids["TSA-3"], -2), (ids["CBP-2"], 20)]

        dc = D.data_call(s, sc)
        assert (dc.year, dc.status, dc.expected, dc.certified) == (2026, "open", 2, 1)
        assert [(r.component, r.active_use_cases, r.certified, r.certified_count) for r in dc.rows] == [
            ("CBP", 3, True, 3), ("FEMA", 0, True, 0), ("TSA", 3, False, None)]


def test_component_lead_sees_only_the_component(db, actors):
    now = utcnow()
    today = agency_today(now=now)  # the dashboard compares with the agency's date
    ids = build_agency(db, now)
    with db.transaction() as s:
        sc = D.scope_of(s, actors["cbp.lead"])
        assert sc.components == {"CBP"}
        inv = D.inventory(s, sc)
        assert (inv.total, inv.drafts, inv.awaiting_caio) == (3, 1, 1)
        assert _counts(inv.by_determination) == {"high-impact": 1, "presumed-not-high-impact": 1, "not-high-impact": 0,
                                                 "m-24-10-impacting": 0, "m-24-10-neither": 0, "none": 1}
        assert [(c.label, c.value) for c in inv.by_stage] == [("Deployed", 2), ("Pilot", 1)]
        assert [r.component for r in inv.by_component] == ["CBP"]

        pr = D.practices_overdue(s, sc, today)
        assert (pr.total, pr.open_required) == (3, 4)
        assert [(c.key, c.value) for c in pr.by_component] == [("CBP", 3)]
        assert [w.business_id for w in pr.worst] == [ids["CBP-1"], ids["CBP-2"]]

        wv = D.waivers(s, sc, today)
        assert [w.business_id for w in wv.expiring] == [ids["CBP-1"]]
        assert wv.recertification == []
        assert [w.business_id for w in wv.omb_reports] == [ids["CBP-2"]]

        q = D.review_queues(s, sc, now=now)
        assert [(x.lane, x.open, x.median_days, x.max_days, x.overdue) for x in q.lanes] == [
            ("component_ai_lead", 1, 5, 5, 0), ("privacy", 2, 25, 40, 1), ("crcl", 1, 2, 2, 0)]
        assert {i.business_id for i in q.oldest} == {ids["CBP-1"], ids["CBP-2"]}
        assert not any(i.component == "TSA" for i in q.oldest)

        assert [p.business_id for p in D.pilots(s, sc, today)] == [ids["CBP-2"]]
        dc = D.data_call(s, sc)
        assert [(r.component, r.active_use_cases, r.certified) for r in dc.rows] == [("CBP", 3, True)]
        assert (dc.expected, dc.certified) == (1, 1)

        # the TSA lead sees TSA only, and cannot widen the scope to CBP
        tsa = D.scope_of(s, actors["tsa.lead"])
        assert [r.component for r in D.inventory(s, tsa).by_component] == ["TSA"]
        assert D.inventory(s, D.scope_of(s, actors["tsa.lead"], {"CBP"})).total == 0
        # the CAIO may narrow to one component
        assert D.inventory(s, D.scope_of(s, actors["caio"], {"TSA"})).total == 3


def test_reviewer_lanes_and_refusal(db, actors):
    now = utcnow()
    ids = build_agency(db, now)
    with db.transaction() as s:
        assert D.lanes_of(actors["privacy"]) == {"privacy"}
        assert D.lanes_of(actors["caio"]) == {"independent"}
        q = D.review_queues(s, D.scope_of(s, actors["privacy"]), lanes={"privacy"}, now=now)
        assert [(x.lane, x.open, x.median_days, x.max_days, x.overdue) for x in q.lanes] == [("privacy", 4, 30.5, 40, 2)]
        assert [(i.business_id, i.age_days) for i in q.oldest] == [
            (ids["CBP-1"], 40), (ids["TSA-1"], 31), (ids["TSA-3"], 30), (ids["CBP-2"], 10)]
        # a lane with nothing open is still listed, with no ages
        q = D.review_queues(s, D.scope_of(s, actors["privacy"]), lanes={"privacy", "legal"}, now=now)
        assert [(x.lane, x.open, x.median_days, x.max_days) for x in q.lanes] == [
            ("privacy", 4, 30.5, 40), ("legal", 0, None, None)]
        with pytest.raises(PermissionDenied):
            D.scope_of(s, actors["employee"])


def test_empty_agency(db, actors):
    with db.transaction() as s:
        sc = D.scope_of(s, actors["caio"])
        inv = D.inventory(s, sc)
        assert inv.total == 0 and all(c.value == 0 for c in inv.by_determination) and inv.by_component == []
        assert D.practices_overdue(s, sc).total == 0
        assert D.review_queues(s, sc).lanes == []
        assert D.data_call(s, sc).year is None
