"""Issue #12 item 4 over the adapters, on both databases: a grant of a deciding role made by an administrator
(API, pages) is shown pending and gives nothing until a second person of the CAIO's office confirms it (the caio
role by another CAIO); the operator's CLI grants at once (the bootstrap path); `raigov users confirm-grant --as`
is the second person on the command line."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from raigov.audit.models import AuditEvent
from raigov.errors import problem_type
from tests.conftest import PASSWORD
from tests.web.conftest import csrf_from
from tests.web.internal_ids import find_internal_ids

PROBLEM = "application/problem+json"


def test_api_admin_made_caio_is_pending_until_another_caio_confirms(client, make_user, token_for, db):
    make_user("adm", "admin", password=False)
    make_user("boss", "caio", password=False)
    make_user("deleg", "caio_delegate", password=False)
    adm = token_for("adm")
    r = client.post("/api/v1/users", headers=adm, json={"username": "mallory", "display_name": "Mallory",
                                                        "roles": [{"role": "caio"}]})
    assert r.status_code == 201
    [role] = r.json()["roles"]
    assert {k: role[k] for k in ("role", "component", "status", "requested_by")} == {
        "role": "caio", "component": None, "status": "pending", "requested_by": "user:adm"}
    pid = role["pending_id"]
    m = token_for("mallory")
    assert client.get("/api/v1/me", headers=m).json()["roles"] == []  # a pending grant gives nothing
    assert client.post("/api/v1/audit/heads", headers=m).status_code == 403  # a CAIO's act, refused

    listed = client.get("/api/v1/pending-role-grants", headers=token_for("deleg")).json()
    assert [(g["id"], g["username"], g["role"]) for g in listed] == [(pid, "mallory", "caio")]
    for who, words in (("adm", "may not identity.role.confirm"), ("deleg", "only by another caio"), ("mallory", "may not")):
        r = client.post(f"/api/v1/users/mallory/roles/{pid}/confirm", headers=token_for(who))
        assert r.status_code == 403 and r.headers["content-type"] == PROBLEM, who
        assert r.json()["type"] == problem_type("forbidden") and words in r.json()["detail"], who
    assert client.post("/api/v1/users/mallory/roles/999/confirm", headers=token_for("boss")).status_code == 404

    r = client.post(f"/api/v1/users/mallory/roles/{pid}/confirm", headers=token_for("boss"))
    assert r.status_code == 200 and r.json()["roles"][0]["status"] == "active"
    assert client.get("/api/v1/me", headers=m).json()["roles"] == [{"role": "caio", "component": None}]
    assert client.post("/api/v1/audit/heads", headers=m).status_code == 201
    assert client.get("/api/v1/pending-role-grants", headers=token_for("boss")).json() == []


def test_api_decline_names_the_field_and_keeps_the_reason(client, make_user, token_for, db):
    make_user("adm", "admin", password=False)
    make_user("deleg", "caio_delegate", password=False)
    make_user("lee", password=False)
    r = client.post("/api/v1/users/lee/roles", headers=token_for("adm"), json={"role": "legal_reviewer"})
    assert r.status_code == 200 and r.json()["roles"][0]["status"] == "pending"
    pid = r.json()["roles"][0]["pending_id"]
    r = client.post(f"/api/v1/users/lee/roles/{pid}/decline", headers=token_for("deleg"), json={"reason": "x" * 1001})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = client.post(f"/api/v1/users/lee/roles/{pid}/decline", headers=token_for("deleg"), json={"reason": "wrong person"})
    assert r.status_code == 200 and r.json()["roles"] == []
    with db.transaction() as s:
        e = s.scalar(select(AuditEvent).where(AuditEvent.action == "identity.role.decline"))
        assert e.actor == "user:deleg" and json.loads(e.details)["reason"] == "wrong person"


def test_pages_show_pending_and_the_caio_office_confirms_with_csrf(client, make_user, sign_in, actor_of):
    make_user("adm", "admin")
    make_user("deleg", "caio_delegate")
    make_user("rita", password=False)
    sign_in("adm")
    token = csrf_from(client.get("/admin/users/rita").text)
    r = client.post("/admin/users/rita/grant", data={"role": "privacy_reviewer", "component": "", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    detail = client.get("/admin/users/rita").text
    assert "pending" in detail and "waiting for a second person" in detail and "Withdraw Privacy Office reviewer" in detail
    assert "Privacy Office reviewer (pending)" in client.get("/admin/users").text
    assert actor_of("rita").grants == ()
    page = client.get("/admin/pending-grants")  # the administrator sees the list, without the buttons
    assert page.status_code == 200 and "rita" in page.text and "Confirm the role" not in page.text
    client.post("/sign-out", data={"csrf_token": csrf_from(client.get("/account").text)})

    sign_in("deleg")
    assert 'href="/admin/pending-grants"' in client.get("/home").text  # on the home panel of the CAIO's office
    page = client.get("/admin/pending-grants")
    assert page.status_code == 200 and "Confirm the role of Privacy Office reviewer for" in page.text
    # who asked, by name (make_user's display name), never the actor label; no role id anywhere on the page
    asked = re.search(r'data-label="Asked by">([^<]*)<', page.text).group(1)
    assert asked and "user:" not in asked and asked != "adm", asked
    assert find_internal_ids(page.text) == []
    action = re.search(r'action="(/admin/pending-grants/\d+/confirm)"', page.text).group(1)
    r = client.post(action, data={"username": "rita"}, follow_redirects=False)
    assert r.status_code == 403 and actor_of("rita").grants == ()  # no CSRF token, nothing done
    r = client.post(action, data={"username": "rita", "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/pending-grants?done=confirm"
    assert actor_of("rita").roles == {"privacy_reviewer"}
    again = client.post(action, data={"username": "rita", "csrf_token": csrf_from(page.text)})
    assert again.status_code == 404 and "waiting for confirmation" in again.text


def test_admin_cannot_confirm_on_the_pages(client, make_user, sign_in, actor_of, db):
    from raigov.identity import service
    from raigov.identity.schemas import RoleGrantIn

    make_user("adm", "admin")
    make_user("rita", password=False)
    adm = actor_of("adm")
    with db.transaction() as s:
        service.grant_role(s, adm, "rita", RoleGrantIn(role="rug_member"))
        pid = service.pending_grant_id(s, "rita", "rug_member")
    sign_in("adm")
    token = csrf_from(client.get("/admin/pending-grants").text)
    r = client.post(f"/admin/pending-grants/{pid}/confirm", data={"username": "rita", "csrf_token": token})
    assert r.status_code == 403 and actor_of("rita").grants == ()


def test_cli_grants_at_once_and_confirm_grant_is_the_second_person(cli_env, make_user, actor_of, db):
    from typer.testing import CliRunner

    from raigov.cli.users import app
    from raigov.identity import service
    from raigov.identity.schemas import RoleGrantIn

    make_user("boss", "caio")
    make_user("adm", "admin", password=False)
    make_user("ana", password=False)
    run = CliRunner().invoke
    res = run(app, ["grant", "ana", "crcl_reviewer"])  # the operator's shell: the bootstrap path, at once
    assert res.exit_code == 0, res.output
    assert actor_of("ana").roles == {"crcl_reviewer"}

    adm = actor_of("adm")
    with db.transaction() as s:
        service.grant_role(s, adm, "ana", RoleGrantIn(role="caio_delegate"))
    res = run(app, ["pending", "--json"])
    assert res.exit_code == 0 and [(g["username"], g["role"]) for g in json.loads(res.output)] == [("ana", "caio_delegate")]
    res = run(app, ["list", "--json"])
    ana = next(u for u in json.loads(res.output) if u["username"] == "ana")
    assert [(r["role"], r["status"]) for r in ana["roles"]] == [("crcl_reviewer", "active"), ("caio_delegate", "pending")]

    res = run(app, ["confirm-grant", "ana", "caio_delegate"])  # the shell itself is nobody's second person
    assert res.exit_code == 2 and "--as" in res.output
    res = run(app, ["confirm-grant", "ana", "caio_delegate", "--as", "boss", "--password-stdin"], input="wrong-password\n")
    assert res.exit_code == 2 and "caio_delegate" not in actor_of("ana").roles
    res = run(app, ["confirm-grant", "ana", "caio_delegate", "--as", "boss", "--password-stdin", "--json"],
              input=PASSWORD + "\n")
    assert res.exit_code == 0, res.output
    assert actor_of("ana").roles == {"crcl_reviewer", "caio_delegate"}
    res = run(app, ["confirm-grant", "ana", "caio_delegate", "--as", "boss", "--password-stdin"], input=PASSWORD + "\n")
    assert res.exit_code == 2 and "waits for confirmation" in res.output
