"""The CAIO ends a certified pilot (governance.service.end_pilot) from the governance page, the API
(POST /api/v1/pilots/{id}/end) and the CLI (`raigov review end-pilot`), on both databases: the end is
audited, the pilot shows ended, and the gate no longer treats the use case as a pilot; a delegate or a
component lead is refused, a reason is required, and ending twice is a conflict. Nothing is written on a
refusal."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from raigov.audit.models import AuditEvent
from raigov.clock import agency_today
from raigov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from raigov.governance import service as gov
from raigov.governance.models import Pilot
from raigov.inventory import service as inventory
from raigov.policy import service as policy
from tests.conftest import PASSWORD
from tests.governance.test_governance_service import FR
from tests.web.conftest import csrf_from

END = "governance.pilot.end"


@pytest.fixture
def world(db, settings, make_user, actor_of):
    """A high-impact CBP use case with its practices open and a running pilot certified by the CAIO."""
    make_user("owner", "submitter@CBP", password=False)
    make_user("lead", "component_ai_lead@CBP", password=False)
    make_user("caio", "caio")
    make_user("delegate", "caio_delegate")
    make_user("gate", "service@CBP", kind="service")
    people = {u: actor_of(u) for u in ("owner", "lead", "caio", "delegate", "gate")}
    with db.transaction() as s:
        bid = inventory.create_use_case(s, people["owner"], component="CBP", values=FR, reason="new",
                                        settings=settings).business_id
    with db.transaction() as s:
        inventory.submit_use_case(s, people["owner"], bid)
    with db.transaction() as s:
        policy.screen_use_case(s, people["owner"], bid)
        policy.decide(s, people["caio"], bid, "high-impact", "matches face recognition presumption")
        gov.sync(s, people["owner"], bid)
    today = agency_today()
    with db.transaction() as s:
        pid = gov.certify_pilot(s, people["caio"], bid, scale="two lanes at one airport", starts_on=today,
                                ends_on=today + dt.timedelta(days=60), opt_in_out="travelers may opt out",
                                practices_applied="testing and monitoring").id
    return {"bid": bid, "pilot": pid, "people": people}


def _codes(db, world) -> set[str]:
    with db.transaction() as s:
        return {r["code"] for r in gov.authorization(s, world["people"]["gate"], world["bid"]).reasons}


def _pilot(db, pid) -> tuple[str, str | None]:
    with db.transaction() as s:
        p = s.get(Pilot, pid)
        return p.status, p.end_reason


def _ends(db) -> list[tuple[str, str, dict]]:
    with db.transaction() as s:
        return [(a, o, json.loads(d)) for a, o, d in s.execute(
            select(AuditEvent.actor, AuditEvent.object_id, AuditEvent.details).where(AuditEvent.action == END)
            .order_by(AuditEvent.seq))]


def test_service_the_caio_ends_a_pilot_and_the_gate_requires_the_practices_again(db, world):
    p, bid, pid = world["people"], world["bid"], world["pilot"]
    running = _codes(db, world)
    assert "practice_not_met" not in running and "risk_not_accepted" not in running
    for who in ("delegate", "lead"):
        with db.transaction() as s, pytest.raises(PermissionDenied, match="not delegable"):
            gov.end_pilot(s, p[who], pid, "enough")
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        gov.end_pilot(s, p["caio"], pid, "   ")
    assert [x.field for x in e.value.errors] == ["reason"]
    with db.transaction() as s, pytest.raises(NotFound):
        gov.end_pilot(s, p["caio"], pid + 999, "enough")
    assert _pilot(db, pid) == ("active", None) and _ends(db) == []

    with db.transaction() as s:
        ended = gov.end_pilot(s, p["caio"], pid, "  the evaluation showed enough  ")
        assert (ended.status, ended.end_reason) == ("ended", "the evaluation showed enough")
        assert ended.ended_at is not None
    assert _ends(db) == [("user:caio", str(pid), {"use_case": bid, "reason": "the evaluation showed enough"})]
    codes = _codes(db, world)
    assert {"practice_not_met", "risk_not_accepted"} <= codes and "pilot_expired" not in codes
    with db.transaction() as s, pytest.raises(Conflict, match="already ended"):
        gov.end_pilot(s, p["caio"], pid, "again")
    assert len(_ends(db)) == 1


def test_api_end_pilot(client, db, world, token_for):
    pid, bid = world["pilot"], world["bid"]
    url = f"/api/v1/pilots/{pid}/end"
    r = client.post(url, json={"reason": "enough"}, headers=token_for("delegate"))
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert "not delegable" in r.json()["detail"]
    assert client.post(url, json={"reason": "enough"}, headers=token_for("lead")).status_code == 403
    caio = token_for("caio")
    r = client.post(url, json={}, headers=caio)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["reason"]
    r = client.post(url, json={"reason": "  "}, headers=caio)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["reason"]
    r = client.post(url, json={"reason": "x", "status": "revoked"}, headers=caio)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["status"]
    assert client.post(f"/api/v1/pilots/{pid + 999}/end", json={"reason": "x"}, headers=caio).status_code == 404
    assert _pilot(db, pid) == ("active", None) and _ends(db) == []

    r = client.post(url, json={"reason": "the evaluation showed enough"}, headers=caio)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["id"], out["status"], out["end_reason"]) == (pid, "ended", "the evaluation showed enough")
    assert out["ended_at"]
    listed = client.get(f"/api/v1/use-cases/{bid}/pilots", headers=token_for("lead"))
    assert [(x["id"], x["status"]) for x in listed.json()] == [(pid, "ended")]
    gate = client.get(f"/api/v1/use-cases/{bid}/authorization", headers=token_for("gate")).json()
    assert "practice_not_met" in {x["code"] for x in gate["reasons"]}
    r = client.post(url, json={"reason": "again"}, headers=caio)
    assert r.status_code == 409 and "already ended" in r.json()["detail"]
    assert [a for a, _, _ in _ends(db)] == ["user:caio"]


def test_page_end_pilot(client, db, world, sign_in):
    pid, bid = world["pilot"], world["bid"]
    page_url = f"/inventory/{bid}/governance"
    assert sign_in("delegate").status_code == 303
    page = client.get(page_url)
    assert page.status_code == 200 and "End pilot" not in page.text
    r = client.post(f"/pilots/{pid}/end", data={"business_id": bid, "reason": "enough", "csrf_token": csrf_from(page.text)},
                    follow_redirects=False)
    # refused on the page itself (no redirect with the message in the URL), in words
    assert r.status_code == 403 and "not delegable" in r.text and "location" not in r.headers
    assert _pilot(db, pid) == ("active", None)

    assert sign_in("caio").status_code == 303
    page = client.get(page_url)
    assert f'action="/pilots/{pid}/end"' in page.text and "End pilot" in page.text
    token = csrf_from(page.text)
    r = client.post(f"/pilots/{pid}/end", data={"business_id": bid, "reason": "enough"}, follow_redirects=False)
    assert r.status_code == 403  # no CSRF token
    r = client.post(f"/pilots/{pid}/end", data={"business_id": bid, "reason": " ", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 422 and 'id="form-error"' in r.text  # the end-pilot form open again, with the error
    assert "location" not in r.headers
    assert _pilot(db, pid) == ("active", None) and _ends(db) == []

    r = client.post(f"/pilots/{pid}/end", data={"business_id": bid, "reason": "the evaluation showed enough",
                                                "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"{page_url}?open=pilot&done=gov.pilot_ended")
    assert _pilot(db, pid) == ("ended", "the evaluation showed enough")
    page = client.get(page_url)
    assert "Ended: the evaluation showed enough" in page.text and f'action="/pilots/{pid}/end"' not in page.text
    r = client.post(f"/pilots/{pid}/end", data={"business_id": bid, "reason": "again", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 409 and "already ended" in r.text
    # no message is ever taken from the URL
    assert "Anything at all" not in client.get(f"{page_url}?error=Anything%20at%20all&field=reason").text
    assert len(_ends(db)) == 1


def cli(*args, password: str | None = PASSWORD):
    from typer.testing import CliRunner

    from raigov.cli.review import app

    res = CliRunner().invoke(app, ["end-pilot", *args], input=None if password is None else password + "\n")
    res.said = " ".join(res.output.split())  # the console wraps long lines
    return res


def test_cli_end_pilot(db, world, cli_env):
    pid = str(world["pilot"])
    res = cli(pid, "--reason", "enough", password=None)
    assert res.exit_code == 2 and "--as" in res.said
    res = cli(pid, "--reason", "enough", "--as", "delegate", "--password-stdin")
    assert res.exit_code == 2 and "not delegable" in res.said
    res = cli(pid, "--reason", " ", "--as", "caio", "--password-stdin")
    assert res.exit_code == 2 and "reason" in res.said
    assert _pilot(db, world["pilot"]) == ("active", None) and _ends(db) == []

    res = cli(pid, "--reason", "the evaluation showed enough", "--as", "caio", "--password-stdin", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert (out["id"], out["status"], out["end_reason"]) == (world["pilot"], "ended", "the evaluation showed enough")
    assert [a for a, _, _ in _ends(db)] == ["user:caio"]
    assert "practice_not_met" in _codes(db, world)
    res = cli(pid, "--reason", "again", "--as", "caio", "--password-stdin")
    assert res.exit_code == 2 and "already ended" in res.said
