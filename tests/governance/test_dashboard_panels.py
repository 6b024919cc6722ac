"""The dashboard's waiver and pilot panels on both databases: the agency of test_dashboard plus expired
waivers, pilots ended while the use case's stage still says pilot (and the cases that must not count), the
exact rows each audience gets (the CAIO's office: everything; a CBP lead: CBP's only; a TSA lead: TSA's only),
and the page a CBP lead sees."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from raigov.clock import agency_today
from raigov.db.base import utcnow
from raigov.errors import PermissionDenied
from raigov.governance import dashboard as D
from raigov.governance.models import Pilot, Waiver
from raigov.identity.models import OrgUnit
from raigov.inventory.models import UseCase
from tests.governance.test_dashboard import build_agency

DAY = dt.timedelta(days=1)


def build(db, now: dt.datetime) -> dict[str, str]:
    today = agency_today(now=now)  # the services compare with the agency's date
    ids = build_agency(db, now)
    with db.transaction() as s:
        units = {u.code: u.id for u in s.scalars(select(OrgUnit))}
        ucs = {k: s.scalar(select(UseCase).where(UseCase.business_id == v)) for k, v in ids.items()}
        for key, comp, status, stage, name in [
            ("CBP-6", "CBP", "active", "Pilot", "Document triage pilot"),
            ("CBP-7", "CBP", "active", "pilot phase", "Second pilot of a tool"),
            ("TSA-4", "TSA", "active", "Pilot", "Checkpoint queue model"),
        ]:
            uc = UseCase(business_id=f"DHS-T{key}", name_key=f"name:DHS:{name.lower()}", agency="DHS",
                         org_unit_id=units[comp], name=name, status=status, stage=stage)
            s.add(uc)
            ucs[key] = uc
            ids[key] = uc.business_id
        s.flush()

        def waiver(key, item, grounds, expires, report_due, reported):
            s.add(Waiver(use_case_id=ucs[key].id, practice_item=item, grounds=grounds, determination="d",
                         risk_assessment="r", public_summary="p", status="active", granted_by="user:caio",
                         expires_on=today + expires * DAY, certified_on=today - 100 * DAY,
                         omb_report_due=today + report_due * DAY,
                         omb_reported_on=None if reported is None else today + reported * DAY))

        waiver("CBP-3", "P7", "impedes-operations", -5, 10, None)  # past its expiry, still active
        waiver("TSA-2", "P1", "increases-risk", -1, -40, -45)

        def pilot(key, status, starts, ends, ended_days_ago=None):
            s.add(Pilot(use_case_id=ucs[key].id, scale="s", starts_on=today + starts * DAY, ends_on=today + ends * DAY,
                        opt_in_out="o", practices_applied="p", status=status, certified_by="user:caio",
                        ended_at=None if ended_days_ago is None else now - ended_days_ago * DAY))

        pilot("CBP-6", "ended", -100, -10, 10)  # ended; the stage still says Pilot
        pilot("CBP-7", "ended", -300, -200, 200)  # an older pilot ended...
        pilot("CBP-7", "active", -5, 40)  # ...a new one runs: not stale
        pilot("TSA-4", "revoked", -20, 30, 3)  # revoked three days ago, before its end date
        pilot("CBP-4", "ended", -90, -60, 60)  # a draft: not counted
    return ids


@pytest.fixture
def actors(make_user, actor_of):
    for name, roles in {"caio": ["caio"], "auditor": ["auditor"], "cbp.lead": ["component_ai_lead@CBP"],
                        "tsa.lead": ["component_ai_lead@TSA"], "employee": ["employee"]}.items():
        make_user(name, *roles, password=False)
    return {n: actor_of(n) for n in ("caio", "auditor", "cbp.lead", "tsa.lead", "employee")}


def _ids(rows) -> list[str]:
    return [r.business_id for r in rows]


def test_waiver_panel(db, actors):
    now = utcnow()
    today = agency_today(now=now)  # the services compare with the agency's date
    ids = build(db, now)
    with db.transaction() as s:
        for who in ("caio", "auditor"):
            w = D.waiver_panel(s, D.scope_of(s, actors[who]))
            assert _ids(w.active) == [ids["CBP-1"], ids["CBP-3"], ids["TSA-1"]]  # revoked CBP-2 is not in force
            assert _ids(w.expiring) == [ids["CBP-1"]]
            assert _ids(w.expired) == [ids["CBP-3"], ids["TSA-2"]]
        w = D.waiver_panel(s, D.scope_of(s, actors["caio"]))
        cbp1, _cbp3, tsa1 = w.active
        assert (cbp1.practice, cbp1.grounds, cbp1.grounds_label, cbp1.component) == \
            ("P6", "increases-risk", "Raises overall risk", "CBP")
        assert cbp1.expires_on == today + 30 * DAY and cbp1.days_left == 30 and cbp1.omb_report_due is None  # reported
        assert tsa1.omb_report_due == today - 290 * DAY and tsa1.days_left == 200 and tsa1.component == "TSA"
        x = w.expired[0]
        assert (x.practice, x.grounds_label, x.days_left, x.omb_report_due) == \
            ("P7", "Impedes critical operations", -5, today + 10 * DAY)
        assert w.expired[1].days_left == -1 and w.expired[1].omb_report_due is None

        # a component lead: their component's waivers only
        lead = D.waiver_panel(s, D.scope_of(s, actors["cbp.lead"], {"CBP"}))
        assert _ids(lead.active) == [ids["CBP-1"], ids["CBP-3"]]
        assert _ids(lead.expiring) == [ids["CBP-1"]] and _ids(lead.expired) == [ids["CBP-3"]]
        assert {r.component for r in lead.active + lead.expired} == {"CBP"}
        tsa = D.waiver_panel(s, D.scope_of(s, actors["tsa.lead"], {"TSA"}))
        assert _ids(tsa.active) == [ids["TSA-1"]] and tsa.expiring == [] and _ids(tsa.expired) == [ids["TSA-2"]]
        # a lead asking for another component gets nothing of it
        assert D.waiver_panel(s, D.scope_of(s, actors["cbp.lead"], {"TSA"})).active == []
        # the window moves with the day: in 31 days CBP-1 has expired, CBP-3's P6 expires within 60 days
        later = D.waiver_panel(s, D.scope_of(s, actors["caio"]), today=today + 31 * DAY)
        assert _ids(later.expiring) == [ids["CBP-3"]] and ids["CBP-1"] in _ids(later.expired)
        with pytest.raises(PermissionDenied):
            D.scope_of(s, actors["employee"])


def test_pilot_panel(db, actors):
    now = utcnow()
    today = agency_today(now=now)  # the services compare with the agency's date
    ids = build(db, now)
    with db.transaction() as s:
        p = D.pilot_panel(s, D.scope_of(s, actors["caio"]))
        assert _ids(p.certified) == [ids["TSA-3"], ids["CBP-2"], ids["CBP-7"]]  # by end date
        assert [x.days_left for x in p.certified] == [-2, 20, 40] and p.running == 2
        assert p.certified[1].ends_on == today + 20 * DAY and p.certified[1].starts_on == today - 30 * DAY
        assert _ids(p.ended) == [ids["CBP-6"], ids["TSA-4"], ids["TSA-3"]]
        why = {x.business_id: x for x in p.ended}
        assert why[ids["TSA-3"]].why == "certified pilot past its end date, not yet ended"
        assert why[ids["CBP-6"]].why == "the pilot ended; the use case's stage is still 'Pilot'"
        assert why[ids["CBP-6"]].ends_on == today - 10 * DAY and why[ids["CBP-6"]].days_left == -10
        assert why[ids["TSA-4"]].ends_on == today - 3 * DAY  # revoked before its end date: the day it ended
        # not stale: CBP-7 runs a new pilot, CBP-1's stage is Deployed, CBP-4 is a draft

        lead = D.pilot_panel(s, D.scope_of(s, actors["cbp.lead"], {"CBP"}))
        assert _ids(lead.certified) == [ids["CBP-2"], ids["CBP-7"]] and lead.running == 2
        assert _ids(lead.ended) == [ids["CBP-6"]]
        tsa = D.pilot_panel(s, D.scope_of(s, actors["tsa.lead"], {"TSA"}))
        assert _ids(tsa.certified) == [ids["TSA-3"]] and tsa.running == 0
        assert _ids(tsa.ended) == [ids["TSA-4"], ids["TSA-3"]]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_lead_page_shows_component_panels(db, settings, make_user, backend):
    """The CBP lead's dashboard: the waiver and pilot tables, with captions and header scopes, CBP's rows only."""
    import re

    from fastapi.testclient import TestClient

    from raigov.web.app import create_app
    from tests.web.conftest import csrf_from

    ids = build(db, utcnow())
    make_user("cbp.lead", "component_ai_lead@CBP")
    make_user("the.caio", "caio")

    def dashboard(user: str) -> str:
        from tests.conftest import PASSWORD

        with TestClient(create_app(settings, db), base_url="http://testserver") as c:
            page = c.get("/sign-in")
            c.post("/sign-in", data={"username": user, "password": PASSWORD, "next": "/home",
                                     "csrf_token": csrf_from(page.text)}, follow_redirects=False)
            r = c.get("/dashboard")
            assert r.status_code == 200
            return r.text

    def table(html: str, tid: str) -> str:
        m = re.search(rf'<table[^>]*id="{tid}">(.*?)</table>', html, re.DOTALL)
        assert m, tid
        return m.group(1)

    html = dashboard("cbp.lead")
    main = html[html.index("<main"):]
    assert "TSA" not in main and 'id="waivers-expiring"' not in html
    for tid in ("component-waivers-active", "component-waivers-expiring", "component-waivers-expired",
                "component-table-pilots", "component-table-pilots-ended"):
        t = table(html, tid)
        assert "<caption>" in t and '<th scope="col">' in t
    assert ids["CBP-1"] in table(html, "component-waivers-expiring")
    assert ids["CBP-3"] in table(html, "component-waivers-expired")
    assert "Impedes critical operations" in table(html, "component-waivers-expired")
    assert ids["CBP-6"] in table(html, "component-table-pilots-ended")
    assert re.search(r'data-figure="waivers-expiring">1<', html) and re.search(r'data-figure="pilots-ended">1<', html)

    html = dashboard("the.caio")
    assert ids["TSA-2"] in table(html, "waivers-expired") and ids["TSA-4"] in table(html, "table-pilots-ended")
    assert 'id="component-waivers-active"' not in html and 'id="waivers-recertify"' in html
