"""Issue #12 items 1, 2 and 5, in the service layer on both databases: a use case of the department (no
component) is out of reach of every component role; a component lead's export without a component is
their component's, not the department's; a grant "for DHS" is stored as given and reaches the department's
own use cases only."""

from __future__ import annotations

import pytest

from raigov.errors import PermissionDenied
from raigov.governance import service as gov
from raigov.identity import service as identity
from raigov.inventory import service as inventory

VALUES = {"use_case_name": "{n}", "development_stage": "Deployed",
          "problem_solved": "Summarises public comments for staff.", "system_outputs": "A summary for staff."}


@pytest.fixture
def world(db, settings, make_user, actor_of):
    for name, role in (("hq.owner", "submitter@DHS"), ("cbp.owner", "submitter@CBP"), ("cbp.lead", "component_ai_lead@CBP"),
                       ("tsa.owner", "submitter@TSA"), ("caio", "caio"), ("auditor", "auditor")):
        make_user(name, role, password=False)
    make_user("cbp.gate", "service@CBP", kind="service")
    a = {u: actor_of(u) for u in ("hq.owner", "cbp.owner", "cbp.lead", "tsa.owner", "caio", "auditor", "cbp.gate")}
    ids = {}
    for who, comp in (("hq.owner", "DHS"), ("cbp.owner", "CBP"), ("tsa.owner", "TSA")):
        with db.transaction() as s:
            bid = inventory.create_use_case(s, a[who], component=comp, values={**VALUES, "use_case_name": f"{comp} summaries"},
                                            reason="new", settings=settings).business_id
            inventory.submit_use_case(s, a[who], bid)
        ids[comp] = bid
    return a, ids


def test_a_grant_for_dhs_is_stored_as_given(db, world):
    a, ids = world
    with db.transaction() as s:
        out = identity.user_out(identity.get_user(s, "hq.owner"))
    assert [(r.role, r.component) for r in out.roles] == [("submitter", "DHS")]
    with db.transaction() as s:
        rows, total, _ = inventory.list_use_cases(s, a["hq.owner"], inventory.UseCaseQuery())
    assert [r.business_id for r in rows] == [ids["DHS"]] and total == 1, "submitter@DHS sees the department's own only"


def test_component_roles_cannot_touch_a_department_use_case(db, settings, world):
    a, ids = world
    bid = ids["DHS"]
    attempts = [
        ("cbp.owner", lambda s: inventory.edit_use_case(s, a["cbp.owner"], bid, {"system_outputs": "changed"}, "edit")),
        ("cbp.lead", lambda s: inventory.retire_use_case(s, a["cbp.lead"], bid, "retired by CBP")),
        ("cbp.owner", lambda s: gov.add_link(s, a["cbp.owner"], bid, url="https://example.gov/x", title="x", category="pia")),
        ("tsa.owner", lambda s: gov.add_link(s, a["tsa.owner"], bid, url="https://example.gov/x", title="x", category="pia")),
        ("cbp.gate", lambda s: inventory.get_use_case(s, a["cbp.gate"], bid)),
        ("cbp.gate", lambda s: gov.authorization(s, a["cbp.gate"], bid)),
        ("cbp.lead", lambda s: inventory.get_use_case(s, a["cbp.lead"], bid)),
    ]
    for _who, attempt in attempts:
        with db.transaction() as s, pytest.raises(PermissionDenied):
            attempt(s)
    with db.transaction() as s:  # nothing changed; the department's own people and the CAIO still reach it
        uc = inventory.get_use_case(s, a["caio"], bid)
        assert uc.status != "retired" and uc.revision_count == 1
        inventory.edit_use_case(s, a["hq.owner"], bid, {"system_outputs": "A short summary for staff."}, "clarify")
        assert gov.authorization(s, a["caio"], bid).authorized is False
    with db.transaction() as s:  # a CBP lead's list never shows it
        rows, _, _ = inventory.list_use_cases(s, a["cbp.lead"], inventory.UseCaseQuery())
        assert [r.business_id for r in rows] == [ids["CBP"]]


def test_a_leads_export_is_their_components(db, world, tmp_path):
    a, _ids = world
    with db.transaction() as s:
        rows, _ = inventory.export_rows(s, a["cbp.lead"], "omb-2025-csv")
    assert [r.values.get("use_case_name") for r in rows] == ["CBP summaries"]
    with db.transaction() as s:
        rows, _ = inventory.export_rows(s, a["caio"], "omb-2025-csv")
        assert sorted(r.values.get("use_case_name") for r in rows) == ["CBP summaries", "DHS summaries", "TSA summaries"]
        rows, _ = inventory.export_rows(s, a["auditor"], "omb-2025-csv", component="TSA")
        assert [r.values.get("use_case_name") for r in rows] == ["TSA summaries"]
    for comp in ("TSA", "DHS"):
        with db.transaction() as s, pytest.raises(PermissionDenied):
            inventory.export_rows(s, a["cbp.lead"], "omb-2025-csv", component=comp)
    with db.transaction() as s, pytest.raises(PermissionDenied):
        inventory.export_rows(s, a["cbp.owner"], "omb-2025-csv")


@pytest.mark.parametrize("fmt", ["omb-2025-csv", "omb-2025-xlsx"])
def test_the_export_download_is_scoped(db, settings, world, make_user, fmt):
    """GET /inventory/export/{fmt} without a component, signed in as a CBP lead: CBP's rows only."""
    import io

    from fastapi.testclient import TestClient

    from raigov.web.app import create_app
    from tests.conftest import PASSWORD
    from tests.web.conftest import csrf_from

    make_user("cbp.lead2", "component_ai_lead@CBP")
    with TestClient(create_app(settings, db), base_url="http://testserver") as c:
        page = c.get("/sign-in")
        c.post("/sign-in", data={"username": "cbp.lead2", "password": PASSWORD, "next": "/home",
                                 "csrf_token": csrf_from(page.text)})
        r = c.get(f"/inventory/export/{fmt}")
    assert r.status_code == 200
    if fmt.endswith("csv"):
        text = r.content.decode("utf-8-sig")
    else:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
        text = "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)
    assert "CBP summaries" in text
    assert "DHS summaries" not in text and "TSA summaries" not in text
