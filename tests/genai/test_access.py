"""GenAI access on both databases: no grant without a supervisor, current training and an acknowledgement of the
current rules; only the supervisor decides; a revocation suspends every grant at once and notifies the holders;
an expired course, a new rules version or the end of the year make a grant unusable; the clock's re-attestation
notices; `suspend_lapsed` records the suspensions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from raigov.errors import Conflict, PermissionDenied, ValidationFailed
from raigov.genai import access, catalog, rules
from raigov.genai.clock import genai_due
from raigov.identity.supervisors import set_supervisor
from raigov.jobs.models import Notice
from raigov.training import service as training

TODAY = dt.date(2026, 12, 4)
COURSES = ["genai-responsible-use"]


@pytest.fixture
def world(db, make_user, actor_of, system):
    make_user("caio", "caio", password=False)
    make_user("coord", "training_coordinator", password=False)
    make_user("boss", "employee", org_unit="CBP", password=False)
    make_user("emp", "employee", org_unit="CBP", password=False)
    make_user("loner", "employee", org_unit="TSA", password=False)
    make_user("lead", "component_ai_lead@TSA", password=False)
    a = {u: actor_of(u) for u in ("caio", "coord", "boss", "emp", "loner", "lead")}
    with db.transaction() as s:
        set_supervisor(s, system, "emp", "boss")
        catalog.create_tool(s, a["caio"], "dhschat", "DHSChat", "internal", today=TODAY, course_ids=COURSES,
                            upstream_url="http://127.0.0.1:9/v1")
        catalog.create_tool(s, a["caio"], "chatgpt", "ChatGPT", "public", today=TODAY, course_ids=COURSES,
                            state="conditional", conditions="public information only", tos_amendment="GSA amendment")
        rules.publish_rules(s, a["caio"], "Rules of behavior", "Do not paste PII into public tools.")
    return a


def _ask(db, a, tool="dhschat"):
    with db.transaction() as s:
        return access.request_access(s, a["emp"], tool, "drafting public announcements", TODAY).id


def test_no_grant_without_supervisor_training_and_acknowledgement(db, world):
    a = world
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        access.request_access(s, a["loner"], "dhschat", "summarising public reports", TODAY)
    assert e.value.errors[0].code == "no_supervisor"
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        access.request_access(s, a["emp"], "dhschat", "short", TODAY)
    assert e.value.errors[0].field == "purpose"
    rid = _ask(db, a)
    with db.transaction() as s, pytest.raises(Conflict):
        access.request_access(s, a["emp"], "dhschat", "asking a second time for it", TODAY)
    # only the supervisor decides
    for who in ("caio", "lead", "emp"):
        with db.transaction() as s, pytest.raises(PermissionDenied):
            access.decide(s, a[who], rid, True, "", TODAY)
    # neither course nor rules: refused with both reasons, the request stays pending
    with db.transaction() as s, pytest.raises(Conflict) as e:
        access.decide(s, a["boss"], rid, True, "", TODAY)
    assert [x.message for x in e.value.errors] == [
        "the rules of behavior (version 1) are not acknowledged",
        "the course 'Responsible use of generative AI (Policy Statement 139-07)' is not current"]
    with db.transaction() as s:
        training.record_completion(s, a["coord"], "emp", "genai-responsible-use", TODAY, TODAY)
    with db.transaction() as s, pytest.raises(Conflict) as e:
        access.decide(s, a["boss"], rid, True, "", TODAY)
    assert len(e.value.errors) == 1 and "rules" in e.value.errors[0].message
    with db.transaction() as s:
        with pytest.raises(Conflict):
            rules.acknowledge(s, a["emp"], 2)
        rules.acknowledge(s, a["emp"], 1)
        req = access.decide(s, a["boss"], rid, True, "ok", TODAY)
        assert req.status == "approved"
        tool = catalog.get_tool(s, "dhschat")
        c = access.check(s, a["emp"].user_id, tool, TODAY)
        assert c.allowed and c.reasons == ()
        mine = {t["id"]: t for t in access.my_tools(s, a["emp"], TODAY)}
        assert mine["dhschat"]["grant"]["expires_on"] == dt.date(2027, 12, 4) and mine["dhschat"]["grant"]["usable"]
        assert mine["chatgpt"]["grant"] is None and mine["chatgpt"]["state"] == "conditional"
        with pytest.raises(Conflict):
            access.decide(s, a["boss"], rid, False, "", TODAY)  # decided already


def _granted(db, a, tool="dhschat"):
    with db.transaction() as s:
        training.record_completion(s, a["coord"], "emp", "genai-responsible-use", dt.date(2026, 1, 5), TODAY)
        rules.acknowledge(s, a["emp"], rules.current_rules(s).version)
    rid = _ask(db, a, tool)
    with db.transaction() as s:
        access.decide(s, a["boss"], rid, True, "", TODAY)


def test_revocation_suspends_every_grant_at_once_and_notifies_the_holders(db, world):
    a = world
    _granted(db, a)
    with db.transaction() as s, pytest.raises(ValidationFailed):
        catalog.set_state(s, a["caio"], "dhschat", "revoked", TODAY, "", TODAY)  # a reason is required
    with db.transaction() as s, pytest.raises(PermissionDenied):
        catalog.set_state(s, a["boss"], "dhschat", "revoked", TODAY, "vendor breach", TODAY)
    with db.transaction() as s:
        out = catalog.set_state(s, a["caio"], "dhschat", "revoked", TODAY, "vendor breach", TODAY)
    assert out["suspended"] == ["emp"] and out["tool"]["state"] == "revoked"
    with db.transaction() as s:
        tool = catalog.get_tool(s, "dhschat")
        c = access.check(s, a["emp"].user_id, tool, TODAY)
        assert not c.allowed and "suspended: the tool was revoked: vendor breach" in c.reasons[0]
        notices = s.scalars(select(Notice)).all()
        assert [(n.recipient_user, n.kind, n.object_type) for n in notices] == [("emp", "genai_access", "genai_grant")]
        with pytest.raises(ValidationFailed):  # nobody asks for a revoked tool
            access.request_access(s, a["emp"], "dhschat", "drafting public announcements", TODAY)
        # re-approved later: the old grant stays suspended until the supervisor renews it
        catalog.set_state(s, a["caio"], "dhschat", "approved", TODAY, "", TODAY)
        assert not access.check(s, a["emp"].user_id, tool, TODAY).allowed
        access.renew(s, a["boss"], c.grant_id, TODAY)
        assert access.check(s, a["emp"].user_id, tool, TODAY).allowed


def test_expired_course_new_rules_and_the_year_make_the_grant_unusable(db, world, settings):
    a = world
    _granted(db, a)  # course completed 2026-01-05: current until 2027-01-05; grant until 2027-12-04
    with db.transaction() as s:
        tool = catalog.get_tool(s, "dhschat")
        uid = a["emp"].user_id
        assert access.check(s, uid, tool, dt.date(2027, 1, 5)).allowed
        late = access.check(s, uid, tool, dt.date(2027, 1, 6))
        assert not late.allowed and "is not current" in late.reasons[0]
        rules.publish_rules(s, a["caio"], "Rules of behavior", "Version two.")
        assert access.check(s, uid, tool, TODAY).reasons == ("the rules of behavior (version 2) are not acknowledged",)
        rules.acknowledge(s, a["emp"], 2)
        training.record_completion(s, a["coord"], "emp", "genai-responsible-use", dt.date(2026, 12, 1), TODAY)
        end = access.check(s, uid, tool, dt.date(2027, 12, 5))
        assert end.reasons[0] == "the grant expired on 2027-12-04 (the yearly re-attestation is due)"
        assert not access.check(s, uid, tool, dt.date(2027, 12, 1)).reasons  # the last day of the new course
        # the clock: re-attestation reminder 30 days before, escalation after, to the holder and the supervisor
        soon = genai_due(s, dt.date(2027, 11, 20), settings)
        assert [(n.level, [r.username for r in n.recipients]) for n in soon] == [("reminder", ["emp", "boss"])]
        assert [n.level for n in genai_due(s, dt.date(2027, 12, 6), settings)] == ["escalation"]
        assert genai_due(s, TODAY, settings) == []
        # suspend_lapsed records what check says, once
        assert access.suspend_lapsed(s, a["caio"], TODAY) == []
        lapsed = access.suspend_lapsed(s, a["caio"], dt.date(2027, 12, 5))
        assert [(x["user"], x["tool"]) for x in lapsed] == [("emp", "dhschat")]
        assert access.suspend_lapsed(s, a["caio"], dt.date(2027, 12, 5)) == []


def test_reads_waiting_task_and_all_grants_by_scope(db, world):
    a = world
    rid = _ask(db, a)
    with db.transaction() as s:
        waiting = access.waiting_for(s, a["boss"], TODAY)
        assert [(w["id"], w["user"], w["tool"]) for w in waiting] == [(rid, "emp", "dhschat")]
        assert access.waiting_for(s, a["emp"], TODAY) == []
        asked = s.get(access.AccessRequest, rid).requested_at.date()  # the clock's day, not TODAY
        assert [(i.label, i.overdue) for i in access.requests_task(s, a["boss"], asked + dt.timedelta(days=7))] == [
            ("Emp asks for DHSChat", False)]
        items = access.requests_task(s, a["boss"], asked + dt.timedelta(days=8))
        assert [(i.label, i.overdue) for i in items] == [("Emp asks for DHSChat", True)]
    _granted(db, a, "chatgpt")
    with db.transaction() as s:
        assert [(g["user"], g["tool"], g["component"]) for g in access.all_grants(s, a["caio"], TODAY)] == [
            ("emp", "chatgpt", "CBP")]
        assert access.all_grants(s, a["lead"], TODAY) == []  # a TSA lead reads TSA's grants only
        assert access.all_grants(s, a["caio"], TODAY, tool="dhschat") == []
        with pytest.raises(PermissionDenied):
            access.all_grants(s, a["emp"], TODAY)
