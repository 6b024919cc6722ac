"""The demo agency: one account per role, every person can sign in and sees their home page."""

import stat

from fastapi.testclient import TestClient

from raigov.demo import agency
from raigov.identity import service
from raigov.identity.roles import ROLES
from raigov.web.app import create_app
from tests.web.conftest import csrf_from


def test_every_demo_role_signs_in(db, settings, system):
    with db.transaction() as s:
        creds = agency.load(s, settings, system)
    with db.transaction() as s:
        again = agency.load(s, settings, system)  # idempotent
    assert again["people"] == creds["people"]
    held = {r.split("@")[0] for p in creds["people"].values() for r in p["roles"]} | {"service"}
    assert held == set(ROLES)
    path = agency.credentials_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and "DEMO ONLY" in path.read_text()
    with TestClient(create_app(settings, db)) as client:
        for username, info in creds["people"].items():
            client.cookies.clear()
            page = client.get("/sign-in")
            r = client.post("/sign-in", data={"username": username, "password": info["password"], "next": "/home",
                                              "csrf_token": csrf_from(page.text)}, follow_redirects=False)
            assert r.status_code == 303, username
            assert client.get("/home").status_code == 200, username
        svc = creds["service_token"]
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {svc['token']}"}).json()
        assert me["kind"] == "service"
        # the demo's governance: the demo operational system (CBP's) asks the gate about CBP's use cases
        from sqlalchemy import select

        from raigov.governance.models import Pilot, RiskAcceptance, Waiver
        from raigov.inventory.models import UseCase

        with db.transaction() as s:
            signed = [s.get(UseCase, u).business_id for u in s.scalars(select(RiskAcceptance.use_case_id))]
            waived = [s.get(UseCase, u).business_id for u in s.scalars(select(Waiver.use_case_id))]
            piloted = [s.get(UseCase, u).business_id for u in s.scalars(select(Pilot.use_case_id))]
        assert len(signed) == 2 and len(waived) == 1 and len(piloted) == 1 and waived[0] in signed

        def gate(bid):
            return client.get(f"/api/v1/use-cases/{bid}/authorization",
                              headers={"Authorization": f"Bearer {svc['token']}"}).json()

        assert all(gate(b)["authorized"] is True for b in signed)
        # the use cases `raigov demo run` says to try first, and the demo's gate token lists nothing (issue #14)
        tried = creds["try_first"]
        assert tried["authorized"] in signed and tried["waiver"] == waived[0] and tried["pilot"] == piloted[0]
        assert gate(tried["authorized"])["authorized"] is True and tried["sent_back"] and tried["overdue"]
        listing = client.get("/api/v1/use-cases", headers={"Authorization": f"Bearer {svc['token']}"})
        assert listing.status_code == 403
        pilot = gate(piloted[0])
        assert pilot["authorized"] is False and {r["code"] for r in pilot["reasons"]} == {"review_open"}
    with db.transaction() as s:
        assert service.get_user(s, "caio").roles[0].role == "caio"


def test_secret_key_is_generated_once_with_mode_0600(tmp_path):
    from raigov.config import Settings

    st = Settings(data_dir=tmp_path / "d")
    key = st.secret()
    f = tmp_path / "d" / "secret_key"
    assert stat.S_IMODE(f.stat().st_mode) == 0o600 and len(key) == 64
    assert Settings(data_dir=tmp_path / "d").secret() == key
    assert Settings(data_dir=tmp_path / "d", secret_key="given").secret() == b"given"
