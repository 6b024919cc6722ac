"""Appeals and remedies (issue #15 item 5), on both databases: filing by the system (API) and by staff intake
(page), deciding with a rationale (errors at the field), the permission rules, the clock (a reminder before the
due date, an escalation after it, once each), the reversal counts and the alert past the threshold, the home
task, and `raigov oversight appeals`."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from raigov.audit.models import AuditEvent
from raigov.cli.main import app as cli_app
from raigov.clock import agency_today
from raigov.errors import Conflict, PermissionDenied, ValidationFailed
from raigov.oversight import remedy_counts
from raigov.oversight import service as oversight
from raigov.oversight.appeals import waiting
from raigov.oversight.appeals_clock import due
from raigov.oversight.remedies import remedies
from tests.oversight.conftest import NOW, decision
from tests.web.conftest import csrf_from


@pytest.fixture
def officers(db, make_user, actor_of, people):
    """An appeals officer of CBP, one of TSA, and officer.ng: the CBP operator who reviews the decisions, who is
    also a CBP appeals officer (so may not decide the appeals of decisions they reviewed)."""
    make_user("appeals.cbp", "appeals_officer@CBP")
    make_user("appeals.tsa", "appeals_officer@TSA", password=False)
    make_user("officer.ng", "appeals_officer@CBP", password=False)
    return {u: actor_of(u) for u in ("appeals.cbp", "appeals.tsa", "officer.ng")}


def _record(db, people, key, bid, *ns, **over) -> list[int]:
    parsed = [oversight.parse_decision(json.dumps(decision(bid, n, **over)).encode()) for n in ns]
    with db.transaction() as s:
        res = oversight.record_decisions(s, people["cbp-sys"], key, parsed, now=NOW)
    return [r["id"] for r in res.rows]


def _actions(db, action: str) -> list[AuditEvent]:
    with db.transaction() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_file_decide_and_count(db, people, officers, use_cases, key):
    low = use_cases["low"]
    [pk] = _record(db, people, key, low, 1)
    with db.transaction() as s:
        a, new = oversight.file_appeal(s, people["cbp-sys"], pk, "the pay stubs were last year's", now=NOW)
        assert new and a.channel == "system" and a.status == "open"
        assert a.due_on == agency_today(now=NOW) + dt.timedelta(days=remedies().clock_days)
        appeal_id = a.id
    with db.transaction() as s:  # the system retries: the same appeal, nothing new
        again, new = oversight.file_appeal(s, people["cbp-sys"], pk, "the pay stubs were last year's", now=NOW)
        assert (again.id, new) == (appeal_id, False)
    with db.transaction() as s, pytest.raises(Conflict):  # another filing while one is open
        oversight.file_appeal(s, people["lead"], pk, "another ground", now=NOW)
    with db.transaction() as s:
        assert [x["id"] for x in oversight.list_appeals(s, officers["appeals.cbp"])] == [appeal_id]
        assert oversight.list_appeals(s, officers["appeals.tsa"]) == []  # scoped to the component
    with db.transaction() as s:
        a = oversight.decide_appeal(s, officers["appeals.cbp"], appeal_id, "reversed", "this year's pay stubs show "
                                    "an income under the limit", now=NOW + dt.timedelta(days=3))
        assert (a.status, a.outcome, a.decided_by) == ("decided", "reversed", "user:appeals.cbp")
    with db.transaction() as s, pytest.raises(Conflict):
        oversight.decide_appeal(s, officers["appeals.cbp"], appeal_id, "upheld", "again")
    with db.transaction() as s:
        rm = oversight.stats(s, people["lead"], low)["remedies"]
    assert (rm["appeal_filed"], rm["appeal_reversed"], rm["appeals_decided"], rm["reversal_rate"]) == (1, 1, 1, 1.0)
    filed, decided = _actions(db, "oversight.appeal.file"), _actions(db, "oversight.appeal.decide")
    assert len(filed) == 1 and len(decided) == 1
    assert json.loads(decided[0].details)["outcome"] == "reversed" and json.loads(decided[0].details)["within_clock"]


def test_permissions_and_field_errors(db, people, officers, use_cases, key):
    low = use_cases["low"]
    [pk] = _record(db, people, key, low, 1)
    for who in ("tsa-sys", "tsa.lead", "auditor", "privacy", "owner"):  # other component, or readers only
        with db.transaction() as s, pytest.raises(PermissionDenied):
            oversight.file_appeal(s, people[who], pk, "grounds", now=NOW)
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        oversight.file_appeal(s, people["lead"], pk, "   ", now=NOW)
    assert e.value.errors[0].field == "grounds"
    with db.transaction() as s:
        appeal_id = oversight.file_appeal(s, people["lead"], pk, "wrong person", now=NOW)[0].id
    for who in ("appeals.tsa",):
        with db.transaction() as s, pytest.raises(PermissionDenied):
            oversight.decide_appeal(s, officers[who], appeal_id, "upheld", "fine")
    for who in ("lead", "caio", "auditor", "cbp-sys"):  # nobody but an appeals officer decides
        with db.transaction() as s, pytest.raises(PermissionDenied):
            oversight.decide_appeal(s, people[who], appeal_id, "upheld", "fine")
    with db.transaction() as s:  # the auditor and the CRCL reviewer read
        assert oversight.get_appeal(s, people["auditor"], appeal_id)["may_decide"] is False
        assert oversight.list_appeals(s, people["crcl"])[0]["id"] == appeal_id
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        oversight.decide_appeal(s, officers["appeals.cbp"], appeal_id, "annulled", " ")
    assert {x.field for x in e.value.errors} == {"outcome", "rationale"}
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:  # the reviewer of the decision
        oversight.decide_appeal(s, officers["officer.ng"], appeal_id, "upheld", "I was right")
    assert e.value.errors[0].code == "independence"


def test_the_clock_reminds_then_escalates_once(db, people, officers, use_cases, key, settings):
    [pk] = _record(db, people, key, use_cases["low"], 1)
    with db.transaction() as s:
        a, _ = oversight.file_appeal(s, people["cbp-sys"], pk, "grounds", now=NOW)
        appeal_id, due_on = a.id, a.due_on
    r = remedies()
    with db.transaction() as s:
        assert due(s, due_on - dt.timedelta(days=r.reminder_days + 1), settings) == []
        early = due(s, due_on - dt.timedelta(days=2), settings)
        late = due(s, due_on + dt.timedelta(days=1), settings)
        later = due(s, due_on + dt.timedelta(days=9), settings)
    assert [(n.key, n.level) for n in early] == [(f"appeal:{appeal_id}:due:{due_on.isoformat()}", "reminder")]
    assert {x.username for x in early[0].recipients} == {"appeals.cbp", "officer.ng"}
    assert [(n.key, n.level) for n in late] == [(f"appeal:{appeal_id}:overdue:{due_on.isoformat()}", "escalation")]
    assert {x.username for x in late[0].recipients} == {"appeals.cbp", "officer.ng", "lead", "caio"}
    assert [n.key for n in later] == [n.key for n in late]  # the same key: the jobs send it once
    assert "appeals.tsa" not in {x.username for x in late[0].recipients}
    with db.transaction() as s:  # the home task of a CBP appeals officer
        items = waiting(s, officers["appeals.cbp"], due_on + dt.timedelta(days=1))
        assert [(i.href, i.overdue) for i in items] == [(f"/oversight/appeals/{appeal_id}", True)]
        assert waiting(s, officers["appeals.tsa"], due_on) == []
    with db.transaction() as s:
        oversight.decide_appeal(s, officers["appeals.cbp"], appeal_id, "upheld", "the decision stands")
    with db.transaction() as s:
        assert due(s, due_on + dt.timedelta(days=1), settings) == []


def test_reversals_past_the_threshold_ask_the_reviewers_to_look_again(db, people, officers, use_cases, key, settings):
    low = use_cases["low"]
    n = remedies().reversal_threshold
    pks = _record(db, people, key, low, *range(1, n + 2))
    ids = []
    for pk in pks:
        with db.transaction() as s:
            ids.append(oversight.file_appeal(s, people["cbp-sys"], pk, "grounds", now=NOW)[0].id)
    today = agency_today(now=NOW)
    uc_id = _uc_id(db, low)
    for appeal_id in ids[:n - 1]:
        with db.transaction() as s:
            oversight.decide_appeal(s, officers["appeals.cbp"], appeal_id, "reversed", "wrong", now=NOW)
    with db.transaction() as s:
        oversight.decide_appeal(s, officers["appeals.cbp"], ids[-1], "upheld", "right", now=NOW)
    with db.transaction() as s:
        assert [x for x in due(s, today, settings) if x.kind == "appeal_reversals"] == []
        assert not remedy_counts.stats(s, uc_id, today=today)["reversal_alert"]
    with db.transaction() as s:
        oversight.decide_appeal(s, officers["appeals.cbp"], ids[n - 1], "reversed", "wrong again", now=NOW)
    with db.transaction() as s:
        alerts = [x for x in due(s, today, settings) if x.kind == "appeal_reversals"]
        rm = remedy_counts.stats(s, uc_id, today=today)
        assert oversight.stats(s, people["lead"], low)["remedies"]["appeal_reversed"] == n
    assert len(alerts) == 1 and alerts[0].key == f"appeal_reversals:{uc_id}:{ids[n - 1]}"
    assert {(x.username, x.role) for x in alerts[0].recipients} == {("officer.ng", "operator"),
                                                                    ("lead", "component_ai_lead")}
    assert "look again" in alerts[0].subject
    assert rm["reversal_alert"] and rm["appeal_reversed"] == n and rm["appeal_upheld"] == 1
    window = remedies().reversal_window_days
    with db.transaction() as s:  # reversals older than the window no longer count
        assert [x for x in due(s, today + dt.timedelta(days=window), settings) if x.kind == "appeal_reversals"] == []


def _uc_id(db, bid: str) -> int:
    from raigov.inventory.models import UseCase

    with db.transaction() as s:
        return s.scalar(select(UseCase.id).where(UseCase.business_id == bid))


def test_api_files_lists_and_decides(db, client, people, officers, use_cases, key, token_for):
    [pk] = _record(db, people, key, use_cases["low"], 1)
    h = token_for("cbp-sys")
    r = client.post(f"/api/v1/decisions/{pk}/appeals", json={"grounds": "the stubs are old"}, headers=h)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["channel"] == "system" and out["status"] == "open" and out["decision"] == pk
    r = client.post(f"/api/v1/decisions/{pk}/appeals", json={"grounds": "the stubs are old"}, headers=h)
    assert r.status_code == 200 and r.json()["id"] == out["id"]
    r = client.post(f"/api/v1/decisions/{pk}/appeals", json={"grounds": "x"}, headers=token_for("tsa-sys"))
    assert r.status_code == 403
    r = client.post(f"/api/v1/decisions/{pk}/appeals", json={"grounds": "other"}, headers=token_for("lead"))
    assert r.status_code == 409
    r = client.post("/api/v1/decisions/99999/appeals", json={"grounds": "x"}, headers=h)
    assert r.status_code == 404
    r = client.post(f"/api/v1/decisions/{pk}/appeals", json={"grounds": "x", "name": "J. Doe"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name"
    ho = token_for("appeals.cbp")
    r = client.get("/api/v1/appeals", headers=ho)
    assert r.status_code == 200 and [a["id"] for a in r.json()] == [out["id"]]
    assert client.get("/api/v1/appeals", headers=token_for("appeals.tsa")).json() == []
    r = client.post(f"/api/v1/appeals/{out['id']}/decision", json={"outcome": "annulled", "rationale": "x"}, headers=ho)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "outcome"
    r = client.post(f"/api/v1/appeals/{out['id']}/decision", json={"outcome": "upheld", "rationale": "x"},
                    headers=token_for("lead"))
    assert r.status_code == 403
    r = client.post(f"/api/v1/appeals/{out['id']}/decision", json={"outcome": "modified", "rationale": "partly"},
                    headers=ho)
    assert r.status_code == 200 and r.json()["outcome"] == "modified" and r.json()["may_decide"] is False
    r = client.get(f"/api/v1/appeals/{out['id']}", headers=token_for("auditor"))
    assert r.status_code == 200 and r.json()["decision_detail"]["decision_id"] == "D-1"
    assert client.get("/api/v1/appeals/0", headers=ho).status_code == 422


def test_pages_intake_queue_and_decide(db, client, people, officers, use_cases, key, sign_in, make_user):
    [pk] = _record(db, people, key, use_cases["low"], 1)
    make_user("intake", "appeals_officer@CBP")
    assert sign_in("intake").status_code == 303
    page = client.get("/oversight/appeals/new")
    assert page.status_code == 200
    r = client.post("/oversight/appeals/new", data={"decision": "abc", "grounds": "x",
                                                    "csrf_token": csrf_from(page.text)})
    assert r.status_code == 422 and "decision-error" in r.text
    r = client.post("/oversight/appeals/new", data={"decision": str(pk), "grounds": " ",
                                                    "csrf_token": csrf_from(page.text)})
    assert r.status_code == 422 and "grounds-error" in r.text
    r = client.post("/oversight/appeals/new", data={"decision": str(pk), "grounds": "filed at the counter",
                                                    "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    url = r.headers["location"].split("?")[0]
    queue = client.get("/oversight/appeals")
    assert queue.status_code == 200 and url in queue.text
    page = client.get(url)
    assert page.status_code == 200 and "Decide the appeal" in page.text and "staff intake" in page.text
    r = client.post(f"{url}/decide", data={"outcome": "reversed", "rationale": "", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 422 and "rationale-error" in r.text and "usa-form-group--error" in r.text
    r = client.post(f"{url}/decide", data={"outcome": "reversed", "rationale": "old pay stubs",
                                           "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(url)
    assert "Reversed" in page.text and "Decide the appeal" not in page.text
    assert "Reversed" in client.get("/oversight/appeals?status=decided").text
    assert client.get("/oversight/appeals?status=bogus").status_code == 422


def test_home_task_and_cli(db, client, people, officers, use_cases, key, sign_in, cli_env):
    [pk] = _record(db, people, key, use_cases["low"], 1)
    with db.transaction() as s:
        appeal_id = oversight.file_appeal(s, people["cbp-sys"], pk, "grounds")[0].id
    assert sign_in("appeals.cbp").status_code == 303
    home = client.get("/home")
    assert "Appeals waiting for your decision" in home.text
    tasks = client.get("/tasks/appeals")
    assert tasks.status_code == 200 and f"/oversight/appeals/{appeal_id}" in tasks.text
    r = CliRunner().invoke(cli_app, ["oversight", "appeals", "--json"])
    assert r.exit_code == 0, r.output
    assert [a["id"] for a in json.loads(r.output)] == [appeal_id]
    r = CliRunner().invoke(cli_app, ["oversight", "appeals", "--status", "decided"])
    assert r.exit_code == 0 and "no decided appeals" in r.output
    r = CliRunner().invoke(cli_app, ["oversight", "stats", use_cases["low"]])
    assert r.exit_code == 0 and "appeals: 1 filed, 0 of 0 decided reversed" in r.output


def test_a_decisions_page_links_to_the_intake(db, client, people, use_cases, key, sign_in, make_user):
    [pk] = _record(db, people, key, use_cases["low"], 1, notice={"given": True, "method": "letter"})
    make_user("lead2", "component_ai_lead@CBP")
    assert sign_in("lead2").status_code == 303
    page = client.get(f"/oversight/decisions/{pk}")
    assert page.status_code == 200 and f"/oversight/appeals/new?decision={pk}" in page.text
    assert "Given (letter)" in page.text
    intake = client.get(f"/oversight/appeals/new?decision={pk}")
    assert intake.status_code == 200 and f'value="{pk}"' in intake.text


def test_an_appeals_officer_alone_makes_a_token_and_reads_the_decisions_of_their_component(
        db, settings, client, people, officers, use_cases, key, token_for, actor_of):
    """An appeals officer with no other role judges an appeal with the decision and its proof at hand: they read
    their component's decisions (not another's) and may create their own API token for the appeals queue."""
    from raigov.identity import service as identity

    (did,) = _record(db, people, key, use_cases["low"], 1)
    with db.transaction() as s:
        token, _ = identity.create_token(s, actor_of("appeals.cbp"), "appeals.cbp", "appeals desk", settings)
    with pytest.raises(PermissionDenied), db.transaction() as s:  # their own only
        identity.create_token(s, actor_of("appeals.cbp"), "appeals.tsa", "someone else's", settings)
    auth = {"Authorization": f"Bearer {token}"}
    r = client.get(f"/api/v1/decisions/{did}", headers=auth)
    assert r.status_code == 200 and r.json()["use_case"] == use_cases["low"]
    assert client.get(f"/api/v1/decisions/{did}/proof", headers=auth).status_code == 200
    assert client.get(f"/api/v1/decisions/{did}", headers=token_for("appeals.tsa")).status_code == 403
