"""The Notices page and its service (jobs.list_notices, jobs.retry_notice) on SQLite and PostgreSQL: who sees
which notices (the CAIO's office and auditors and admin all; a component AI lead those addressed to them or about
their component's use cases; anybody else their own), the filters, and "retry now" (the CAIO's office and admin,
audited)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from raigov.audit.models import AuditEvent
from raigov.errors import Conflict, PermissionDenied
from raigov.governance.models import Practice
from raigov.identity import service as identity
from raigov.identity.schemas import RoleGrantIn, UserCreate
from raigov.inventory import service as inventory
from raigov.jobs import service as jobs
from raigov.jobs.models import Notice
from raigov.web.app import create_app
from tests.conftest import PASSWORD
from tests.jobs.test_jobs import LOW, SYSTEM, TODAY, _smtp, agency, d, sink  # noqa: F401 - fixtures
from tests.web.conftest import csrf_from


def _user(db, settings, system, username, spec, *, email=True, password=False):
    role, _, unit = spec.partition("@")
    with db.transaction() as s:
        identity.create_user(s, system, UserCreate(
            username=username, display_name=username.title(), email=f"{username}@example.gov" if email else None,
            password=PASSWORD if password else None, roles=[RoleGrantIn(role=role, component=unit or None)]),
            settings)


@pytest.fixture
def outbox(db, settings, system, agency, actor_of):  # noqa: F811
    """The jobs fixture's CBP agency, plus a TSA use case with an overdue practice, a TSA lead, an auditor, an
    admin and an employee with one notice of their own; the jobs run without SMTP (everything pending)."""
    for name, spec in (("tsa.owner", "submitter@TSA"), ("tsa.lead", "component_ai_lead@TSA"),
                       ("the.auditor", "auditor"), ("the.admin", "admin"), ("an.employee", "employee")):
        _user(db, settings, system, name, spec)
    tsa_owner = actor_of("tsa.owner")
    with db.transaction() as s:
        uc = inventory.create_use_case(s, tsa_owner, component="TSA", values=LOW, reason="new",
                                       settings=settings)
        tsa_bid = uc.business_id
        s.add(Practice(use_case_id=uc.id, item="M-25-21.4(b)(v)", pack="omb-m-25-21@1", title="Operator training",
                       citation="M-25-21 App. §4(b)(v)", status="not_started", due_on=d(-2), updated_by="test"))
    summary = jobs.run(db, SYSTEM, settings, today=TODAY)
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        s.add(Notice(key="hand:employee", kind="test", level="reminder", recipient="an.employee@example.gov",
                     recipient_user="an.employee", subject="[raigov] a note for the employee", body="x",
                     object_type="test", object_id="1", created_at=now + dt.timedelta(seconds=5)))
    return {**agency, "tsa_bid": tsa_bid, "created": summary.created}


def _keys(page) -> set[str]:
    return {r.key for r in page.rows}


PEOPLE = ("caio", "delegate", "the.auditor", "the.admin", "lead", "tsa.lead", "an.employee", "owner")


def test_who_sees_which_notices(db, outbox, actor_of):
    A = {u: actor_of(u) for u in PEOPLE}
    created = set(outbox["created"])
    assert len(created) == 14  # the jobs fixture's 10, TSA's overdue practice (3) and TSA's data call (1)
    everything = created | {"hand:employee"}
    tsa = {k for k in created if k.endswith((":to:tsa.owner", ":to:tsa.lead"))
           or (k.startswith("practice:") and k.endswith(":to:caio") and ":2026-11-24:" in k)}
    assert len(tsa) == 4
    with db.transaction() as s:
        for who in ("caio", "delegate", "the.auditor", "the.admin"):
            page = jobs.list_notices(s, A[who])
            assert (page.total, page.scope, _keys(page)) == (15, "all", everything), who
        cbp = jobs.list_notices(s, A["lead"])
        assert cbp.scope == "component" and _keys(cbp) == created - tsa and cbp.total == 10
        tsa_lead = jobs.list_notices(s, A["tsa.lead"])
        assert _keys(tsa_lead) == tsa
        uc_links = {r.key: r.use_cases for r in tsa_lead.rows}
        assert all(v == [outbox["tsa_bid"]] for k, v in uc_links.items() if k.startswith("practice:"))
        assert [r.use_cases for r in tsa_lead.rows if r.key.startswith("cycle:")] == [[]]
        emp = jobs.list_notices(s, A["an.employee"])
        assert (emp.scope, _keys(emp)) == ("own", {"hand:employee"})
        owner = jobs.list_notices(s, A["owner"])  # a submitter: their own two reminders
        assert _keys(owner) == {k for k in created if k.endswith(":to:owner")} and owner.total == 2
        # newest first
        assert jobs.list_notices(s, A["caio"]).rows[0].key == "hand:employee"


def test_filters_and_pagination(db, outbox, actor_of):
    caio, lead = actor_of("caio"), actor_of("lead")
    with db.transaction() as s:
        failed = jobs.list_notices(s, caio, jobs.NoticeFilter(status="failed"))
        # the evidence owner has no e-mail address: the one failed notice
        assert [(r.recipient, r.last_error, r.status) for r in failed.rows] == [("user:tester", "no e-mail address",
                                                                                  "failed")]
        assert jobs.list_notices(s, caio, jobs.NoticeFilter(status="pending")).total == 14
        assert jobs.list_notices(s, caio, jobs.NoticeFilter(status="sent")).total == 0
        kinds = jobs.list_notices(s, caio).kinds
        assert kinds == ["datacall_certification", "evidence_expiry", "practice_due", "review_overdue", "test",
                         "waiver_omb_report"]
        dc = jobs.list_notices(s, caio, jobs.NoticeFilter(kind="datacall_certification"))
        assert sorted(r.recipient for r in dc.rows) == ["lead@example.gov", "tsa.lead@example.gov"]
        mine = jobs.list_notices(s, caio, jobs.NoticeFilter(recipient="TSA.LEAD"))
        assert {r.recipient_user for r in mine.rows} == {"tsa.lead"} and mine.total == 2
        # a lead's filters stay within what they may see
        assert jobs.list_notices(s, lead, jobs.NoticeFilter(recipient="tsa.")).total == 0
        today = dt.datetime.now(dt.UTC).date()
        assert jobs.list_notices(s, caio, jobs.NoticeFilter(created_from=today - dt.timedelta(days=1),
                                                            created_to=today + dt.timedelta(days=1))).total == 15
        assert jobs.list_notices(s, caio, jobs.NoticeFilter(created_to=today - dt.timedelta(days=2))).total == 0
        p1 = jobs.list_notices(s, caio, jobs.NoticeFilter(per_page=6))
        p3 = jobs.list_notices(s, caio, jobs.NoticeFilter(per_page=6, page=3))
        assert (p1.pages, len(p1.rows), p3.page, len(p3.rows)) == (3, 6, 3, 3)
        all_keys = [r.key for p in (1, 2, 3) for r in jobs.list_notices(s, caio, jobs.NoticeFilter(per_page=6,
                                                                                                      page=p)).rows]
        assert len(all_keys) == len(set(all_keys)) == 15


def test_retry_permission_and_audit(db, settings, outbox, actor_of, sink):  # noqa: F811
    with db.transaction() as s:
        nid = s.scalar(select(Notice.id).where(Notice.recipient_user == "tester"))
        ok_id = s.scalar(select(Notice.id).where(Notice.key == "hand:employee"))
    st = _smtp(settings, sink)
    for who in ("the.auditor", "lead", "owner", "an.employee"):
        with pytest.raises(PermissionDenied):
            jobs.retry_notice(db, actor_of(who), st, nid)
    # no address yet: refused, nothing sent
    with pytest.raises(Conflict, match="no e-mail address"):
        jobs.retry_notice(db, actor_of("caio"), st, nid)
    with pytest.raises(Conflict, match="has not failed"):
        jobs.retry_notice(db, actor_of("caio"), st, ok_id)
    # the server refuses: failed, the error kept, the attempt audited
    with db.transaction() as s:
        from raigov.identity.models import User

        s.execute(update(User).where(User.username == "tester").values(email="tester@example.gov"))
    sink.refuse = {"tester@example.gov"}
    res = jobs.retry_notice(db, actor_of("the.admin"), st, nid)
    assert res.result == "failed" and "550" in res.error and sink.messages == []
    sink.refuse = set()
    res = jobs.retry_notice(db, actor_of("delegate"), st, nid)
    assert (res.result, res.recipient) == ("sent", "tester@example.gov")
    assert [m["X-Raigov-Notice"] for _, _, m in sink.messages] == [res.key]
    with db.transaction() as s:
        n = s.get(Notice, nid)
        assert n.sent_at is not None and n.last_error is None and n.attempts == 2
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "jobs.notice.retry").order_by(AuditEvent.seq)).all()
        assert [(e.actor, json.loads(e.details)["result"]) for e in events] == [("user:the.admin", "failed"),
                                                                                 ("user:delegate", "sent")]
        assert all(e.object_type == "notice" and e.object_id == res.key for e in events)
    with pytest.raises(Conflict):  # sent now: nothing to retry
        jobs.retry_notice(db, actor_of("caio"), st, nid)
    # a later jobs run does not send it again
    jobs.run(db, SYSTEM, st, today=TODAY)
    assert [m["X-Raigov-Notice"] for _, _, m in sink.messages].count(res.key) == 1


def test_retry_without_smtp_queues_it_for_the_next_run(db, settings, outbox, actor_of):
    with db.transaction() as s:
        from raigov.identity.models import User

        s.execute(update(User).where(User.username == "tester").values(email="tester@example.gov"))
        nid = s.scalar(select(Notice.id).where(Notice.recipient_user == "tester"))
    res = jobs.retry_notice(db, actor_of("caio"), settings, nid)
    assert res.result == "queued"
    with db.transaction() as s:
        n = s.get(Notice, nid)
        assert (n.recipient, n.last_error, n.sent_at) == ("tester@example.gov", None, None)


# ---------------------------------------------------------------- the page


@pytest.fixture
def client(settings, db):
    with TestClient(create_app(settings, db), base_url="http://testserver") as c:
        yield c


def _sign_in(client, username):
    page = client.get("/sign-in")
    r = client.post("/sign-in", data={"username": username, "password": PASSWORD, "next": "/home",
                                      "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303, r.text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_page(db, settings, system, outbox, client, backend):
    _user(db, settings, system, "web.caio", "caio", password=True)
    _user(db, settings, system, "web.auditor", "auditor", password=True)
    _user(db, settings, system, "web.employee", "employee", password=True)
    assert client.get("/notices", follow_redirects=False).status_code in (303, 401)

    _sign_in(client, "web.employee")
    r = client.get("/notices")
    assert r.status_code == 200 and 'href="/notices"' in r.text and "0 notices match." in r.text
    client.cookies.clear()

    _sign_in(client, "web.auditor")
    r = client.get("/notices?status=failed")
    assert r.status_code == 200 and "1 notice match." in r.text and "user:tester" in r.text
    assert "Retry now" not in r.text  # auditors read, they do not retry
    with db.transaction() as s:
        nid = s.scalar(select(Notice.id).where(Notice.recipient_user == "tester"))
    r = client.post(f"/notices/{nid}/retry", data={"csrf_token": csrf_from(r.text)})
    assert r.status_code == 403
    client.cookies.clear()

    _sign_in(client, "web.caio")
    r = client.get("/notices?kind=practice_due&recipient=tsa")
    assert r.status_code == 200 and f'href="/inventory/{outbox["tsa_bid"]}"' in r.text and "2 notices match." in r.text
    r = client.get("/notices?status=failed")
    assert "Retry now" in r.text
    token = csrf_from(r.text)
    assert client.post(f"/notices/{nid}/retry", data={"csrf_token": "bad"}).status_code == 403
    r = client.post(f"/notices/{nid}/retry", data={"csrf_token": token, "back": "status=failed"})
    assert r.status_code == 409 and "no e-mail address" in r.text
    with db.transaction() as s:
        from raigov.identity.models import User

        s.execute(update(User).where(User.username == "tester").values(email="tester@example.gov"))
    r = client.post(f"/notices/{nid}/retry", data={"csrf_token": token, "back": "status=failed"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/notices?status=failed&done=queued"
    r = client.get(r.headers["location"])
    assert "next jobs run" in r.text and "0 notices match." in r.text
    assert client.get("/notices?since=yesterday").status_code == 200
