"""Issue #12 item 6, on both databases: the permission is checked before an upload is read or kept (a
refused caller leaves no file), a kept inventory upload is mode 0600 in a 0700 folder and is deleted once
imported (or when its dry run is refused), and a caller without the right gets 403, never a 422 that
describes what the route would accept."""

from __future__ import annotations

import stat

import pytest

from raigov.identity import service as identity
from raigov.inventory import service as inventory
from tests.web.conftest import csrf_from

PROBLEM = "application/problem+json"
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _use_case(db, settings, username, component="CBP", submit=True) -> str:
    with db.transaction() as s:
        actor = identity.actor_for(s, identity.get_user(s, username))
        bid = inventory.create_use_case(s, actor, component=component, settings=settings, reason="new",
                                        values={"use_case_name": "Cargo X-ray triage", "development_stage": "Pilot"}
                                        ).business_id
        if submit:
            inventory.submit_use_case(s, actor, bid)
    return bid


def _files(settings) -> list:
    root = settings.data_dir / "uploads"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _csv(client) -> bytes:
    r = client.get("/inventory/export/omb-2025-csv?component=CBP")
    assert r.status_code == 200
    return r.content


def _sign_out(client):
    client.post("/sign-out", data={"csrf_token": csrf_from(client.get("/account").text)})


def test_import_upload_is_refused_before_it_is_kept(client, db, settings, make_user, sign_in):
    make_user("cbp.lead", "component_ai_lead@CBP")
    make_user("cbp.sub", "submitter@CBP")
    _use_case(db, settings, "cbp.lead")
    sign_in("cbp.lead")
    data = _csv(client)
    token = csrf_from(client.get("/inventory/import/file").text)
    _sign_out(client)
    sign_in("cbp.sub")  # a submitter may not import
    token = csrf_from(client.get("/inventory/import/file").text)
    r = client.post("/inventory/import/file", data={"csrf_token": token},
                    files={"file": ("inventory.csv", data, "text/csv")})
    assert r.status_code == 403
    assert _files(settings) == []  # was: the file kept under DATA_DIR/uploads/<sha>/ (mode 0644), never removed
    r = client.post("/inventory/import/commit", data={"csrf_token": token, "sha": "0" * 64, "name": "x.csv"})
    assert r.status_code == 403


def test_import_upload_is_private_and_deleted_after_the_import(client, db, settings, make_user, sign_in):
    make_user("cbp.lead", "component_ai_lead@CBP")
    _use_case(db, settings, "cbp.lead")
    sign_in("cbp.lead")
    data = _csv(client)
    token = csrf_from(client.get("/inventory/import/file").text)
    r = client.post("/inventory/import/file", data={"csrf_token": token},
                    files={"file": ("../inventory 2025.csv", data, "text/csv")})
    assert r.status_code == 200 and "Dry run" in r.text
    [kept] = _files(settings)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((settings.data_dir / "uploads").stat().st_mode) == 0o700
    assert kept.name == "inventory 2025.csv"
    sha = kept.parent.name
    r = client.post("/inventory/import/commit", data={"csrf_token": token, "sha": sha, "name": kept.name})
    assert r.status_code == 200 and "Imported" in r.text
    assert _files(settings) == [] and not kept.parent.exists()
    r = client.post("/inventory/import/commit", data={"csrf_token": token, "sha": sha, "name": kept.name})
    assert r.status_code == 404  # used once
    # a file the dry run refuses is not kept either
    r = client.post("/inventory/import/file", data={"csrf_token": token},
                    files={"file": ("notes.csv", b"just,some\ntext,here\n", "text/csv")})
    assert r.status_code == 422 and _files(settings) == []


def test_evidence_upload_checks_the_permission_before_the_body(client, db, settings, make_user, token_for):
    make_user("cbp.owner", "submitter@CBP")
    make_user("privacy", "privacy_reviewer")  # reads the use case, may not attach evidence
    make_user("tsa.sub", "submitter@TSA")  # may attach evidence, but not to CBP's
    bid = _use_case(db, settings, "cbp.owner")
    url = f"/api/v1/use-cases/{bid}/evidence"
    for who in ("privacy", "tsa.sub"):
        for data in ({}, {"title": "x" * 600, "category": "gossip", "dated_on": "yesterday"},
                     {"title": "PIA", "category": "pia"}):
            r = client.post(url, headers=token_for(who), data=data, files={"file": ("pia.pdf", PDF, "application/pdf")})
            assert r.status_code == 403 and r.headers["content-type"] == PROBLEM, (who, data, r.text)
    assert not (settings.data_dir / "evidence").exists()
    # the owner: bad input names the field, good input is stored
    owner = token_for("cbp.owner")
    r = client.post(url, headers=owner, data={"category": "pia"}, files={"file": ("pia.pdf", PDF, "application/pdf")})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "title"
    r = client.post(url, headers=owner, data={"title": "PIA", "category": "pia", "expires_on": "soon"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "expires_on"
    r = client.post(url, headers=owner, data={"title": "PIA", "category": "pia"},
                    files={"file": ("pia.pdf", PDF, "application/pdf")})
    assert r.status_code == 201 and r.json()["media_type"] == "application/pdf"
    r = client.post(url, headers=owner, data={"title": "PIA link", "category": "pia", "url": "https://x.gov/pia"})
    assert r.status_code == 201 and r.json()["url"] == "https://x.gov/pia"


@pytest.mark.parametrize("method,path,body", [
    ("post", "/api/v1/reviews/1/decision", {"decision": "maybe"}),
    ("patch", "/api/v1/use-cases/{bid}/practices/x", {"status": "finished", "colour": 1}),
    ("post", "/api/v1/use-cases/{bid}/determinations", {"decision": 5}),
    ("post", "/api/v1/users", {"username": "??"}),
    ("post", "/api/v1/users/cbp.owner/roles", {"role": 7}),
    ("patch", "/api/v1/use-cases/{bid}", {"values": "nope"}),
])
def test_a_caller_without_the_right_gets_403_not_422(client, db, settings, make_user, token_for, method, path, body):
    make_user("cbp.owner", "submitter@CBP")
    make_user("auditor", "auditor")  # reads everything, changes nothing
    bid = _use_case(db, settings, "cbp.owner")
    r = getattr(client, method)(path.format(bid=bid), headers=token_for("auditor"), json=body)
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM, r.text


def test_evaluation_upload_is_refused_before_it_is_read(client, make_user, sign_in):
    make_user("sub", "submitter@CBP")  # reads runs, may not start one
    sign_in("sub")
    token = csrf_from(client.get("/evaluation").text)
    r = client.post("/evaluation/runs", data={"csrf_token": token, "kind": "classifier"},
                    files={"file": ("x.csv", b"y_true,y_pred\n1,1\n", "text/csv")})
    assert r.status_code == 403
