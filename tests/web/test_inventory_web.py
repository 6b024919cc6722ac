"""Inventory pages through the app: OMB export download, retire with a reason, department fields."""

import io

import openpyxl

from raigov.identity import service as identity
from raigov.inventory import service as inventory
from tests.web.conftest import csrf_from


def _make(db, settings, username, values):
    with db.transaction() as s:
        actor = identity.actor_for(s, identity.get_user(s, username))
        return inventory.create_use_case(s, actor, component="CBP", values=values, reason="new", settings=settings).business_id


def test_export_retire_and_department_fields(client, db, settings, system, make_user, sign_in):
    make_user("cbp.lead", "component_ai_lead@CBP", "submitter@CBP")
    bid = _make(db, settings, "cbp.lead", {"use_case_name": "Port camera analytics", "development_stage": "Deployed"})
    with db.transaction() as s:  # reported use cases are not drafts
        from raigov.inventory.models import UseCase

        s.query(UseCase).filter_by(business_id=bid).one().status = "active"
    sign_in("cbp.lead")
    # department fields: the face-recognition flag set by hand wins over the text
    page = client.get(f"/inventory/{bid}/edit")
    token = csrf_from(page.text)
    form = {"csrf_token": token, "use_case_name": "Port camera analytics", "development_stage": "Deployed",
            "raigov_face_recognition": "yes", "raigov_sorn_url": "https://www.dhs.gov/sorn/x", "reason": "flags"}
    r = client.post(f"/inventory/{bid}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303
    detail = client.get(f"/inventory/{bid}").text
    assert "Face recognition or capture" in detail and "https://www.dhs.gov/sorn/x" in detail
    # OMB export from the page, component-scoped
    x = client.get("/inventory/export/omb-2025-xlsx?component=CBP")
    assert x.status_code == 200 and "spreadsheetml" in x.headers["content-type"]
    ws = openpyxl.load_workbook(io.BytesIO(x.content), read_only=True).active
    assert [r[3] for r in ws.iter_rows(min_row=3, values_only=True)] == ["Port camera analytics"]
    c = client.get("/inventory/export/omb-2025-csv?component=CBP")
    assert c.content.startswith(b"\xef\xbb\xbfagency,") and b"raigov_" not in c.content  # department fields stay inside
    assert client.get("/inventory/export/omb-2025-csv?component=TSA").status_code == 403
    # retiring needs a reason
    token = csrf_from(client.get(f"/inventory/{bid}").text)
    r = client.post(f"/inventory/{bid}/retire", data={"csrf_token": token, "reason": ""}, follow_redirects=False)
    assert r.status_code == 422 and "a retired use case needs a reason" in r.text  # the page again, the error at its field
    assert 'id="f-retire-reason-error"' in r.text
    r = client.post(
        f"/inventory/{bid}/retire", data={"csrf_token": token, "reason": "replaced by a new system"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "replaced by a new system" in client.get(f"/inventory/{bid}").text
