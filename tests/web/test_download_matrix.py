"""The authorization matrix of every file download and export, role by role, through the app on both
databases (issue #12): evidence files (API and page), an evaluation run's report (page, and as evidence),
OMB exports and the inventory list's CSV. Who may read is written here independently of the code: a
draft's files follow the draft's read rule (not the component's ``usecase.read``), an evaluation report
follows ``eval.read``, exports ``inventory.export`` in the component."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from raigov.governance import service as gov
from raigov.identity import service as identity
from raigov.inventory import service as inventory
from tests.conftest import PASSWORD
from tests.web.conftest import csrf_from

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PEOPLE = {"cbp.owner": "submitter@CBP", "cbp.lead": "component_ai_lead@CBP", "cbp.te": "te_engineer@CBP",
          "tsa.sub": "submitter@TSA", "tsa.lead": "component_ai_lead@TSA", "tsa.te": "te_engineer@TSA",
          "privacy": "privacy_reviewer", "auditor": "auditor", "employee": "employee"}
# who gets 200 (everybody else: 403)
DRAFT_FILE = {"cbp.owner", "cbp.lead", "privacy", "auditor"}  # usecase.read_draft@CBP (not te_engineer)
ACTIVE_FILE = DRAFT_FILE | {"cbp.te"}  # usecase.read@CBP
REPORT = {"cbp.owner", "cbp.lead", "cbp.te", "privacy", "auditor"}  # eval.read@CBP
EXPORT_CBP = {"cbp.lead", "auditor"}  # inventory.export@CBP


@pytest.fixture
def world(app, db, settings, make_user, tmp_path_factory):
    from raigov.evaluation import service as evaluation

    for u, role in PEOPLE.items():
        make_user(u, role)
    actors = {}
    with db.transaction() as s:
        for u in PEOPLE:
            actors[u] = identity.actor_for(s, identity.get_user(s, u))
    owner, lead = actors["cbp.owner"], actors["cbp.lead"]
    values = {"use_case_name": "Cargo X-ray triage", "development_stage": "Pilot"}
    with db.transaction() as s:
        draft = inventory.create_use_case(s, owner, component="CBP", values={**values, "use_case_name": "Draft"},
                                          reason="new", settings=settings).business_id
        active = inventory.create_use_case(s, owner, component="CBP", values=values, reason="new",
                                           settings=settings).business_id
        inventory.submit_use_case(s, owner, active)
        draft_ev = gov.add_file(s, owner, settings, draft, PDF, filename="draft.pdf", title="Draft PIA",
                                category="pia").id
        active_ev = gov.add_file(s, owner, settings, active, PDF + b"%active\n", filename="active.pdf",
                                 title="PIA", category="pia").id
    data = tmp_path_factory.mktemp("eval") / "scores.csv"
    data.write_text("y_true,y_pred\n1,1\n0,0\n")
    with db.transaction() as s:
        run = evaluation.record_run(s, lead, settings, data, "classifier", {}, {"data": {"rows": 2}}, PDF + b"%r\n",
                                    business_id=draft)
        run_id, report_ev = run.id, run.report_pdf_evidence_id
    return {"draft": draft, "active": active, "draft_ev": draft_ev, "active_ev": active_ev, "run": run_id,
            "report_ev": report_ev}


def _page_client(app, username) -> TestClient:
    c = TestClient(app, base_url="http://testserver")
    page = c.get("/sign-in")
    r = c.post("/sign-in", data={"username": username, "password": PASSWORD, "next": "/home",
                                 "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    return c


def _expect(who, allowed) -> int:
    return 200 if who in allowed else 403


def test_every_download_and_export_by_role(app, client, world, token_for):
    w = world
    seen = []
    for who in PEOPLE:
        api = token_for(who)
        for ev, allowed in ((w["draft_ev"], DRAFT_FILE), (w["active_ev"], ACTIVE_FILE), (w["report_ev"], REPORT)):
            r = client.get(f"/api/v1/evidence/{ev}/file", headers=api)
            seen.append((who, f"api evidence {ev}", r.status_code, _expect(who, allowed)))
        page = _page_client(app, who)
        for ev, allowed in ((w["draft_ev"], DRAFT_FILE), (w["active_ev"], ACTIVE_FILE), (w["report_ev"], REPORT)):
            r = page.get(f"/evidence/{ev}/download")
            seen.append((who, f"page evidence {ev}", r.status_code, _expect(who, allowed)))
        r = page.get(f"/evaluation/runs/{w['run']}/report.pdf")
        seen.append((who, "run report", r.status_code, _expect(who, REPORT)))
        for fmt in ("omb-2025-csv", "omb-2025-xlsx"):
            r = page.get(f"/inventory/export/{fmt}?component=CBP")
            seen.append((who, f"export {fmt} CBP", r.status_code, _expect(who, EXPORT_CBP)))
        r = page.get("/inventory.csv")
        seen.append((who, "list csv", r.status_code, 200))
        listed = r.text if r.status_code == 200 else ""
        can_draft, can_active = who in DRAFT_FILE, who in ACTIVE_FILE
        seen.append((who, "list csv has the draft", w["draft"] in listed, can_draft))
        seen.append((who, "list csv has the active", w["active"] in listed, can_active))
        page.close()
    wrong = [(who, what, got, want) for who, what, got, want in seen if got != want]
    assert wrong == []
    # a download is an attachment, never rendered
    r = client.get(f"/api/v1/evidence/{w['active_ev']}/file", headers=token_for("cbp.owner"))
    assert r.headers["content-disposition"].startswith("attachment") and r.headers["x-content-type-options"] == "nosniff"


def test_a_component_lead_exports_only_their_component(app, world):
    page = _page_client(app, "tsa.lead")
    r = page.get("/inventory/export/omb-2025-csv")
    assert r.status_code == 403 or world["active"] not in r.text
