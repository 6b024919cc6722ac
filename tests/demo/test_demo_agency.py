"""The demo agency: one account per role, every person can sign in and sees their home page."""

import hashlib
import re
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
        # the demo's monitoring (issue #17): USCIS's triage model drifts from week 9; its incident suspends the use case
        from raigov.governance.authorization import authorization

        with db.transaction() as s:
            answer = authorization(s, service.actor_for(s, service.get_user(s, "caio")), tried["monitoring"])
        assert {"suspended", "monitoring_alert"} <= {r["code"] for r in answer.reasons}

        # the data calls: last year's certified and published (the public page shows it), this year's open
        from raigov.clock import agency_today
        from raigov.datacall import service as datacall

        last, this = agency_today(settings).year - 1, agency_today(settings).year
        with db.transaction() as s:
            cycles = {c.year: c.status for c in datacall.list_cycles(s, system)}
            pub = datacall.publication(s)
            prog = datacall.progress(s, service.actor_for(s, service.get_user(s, "caio")), this)
        assert cycles == {last: "certified", this: "open"}
        assert pub.year == last and pub.head is not None and not pub.disagreements
        client.cookies.clear()
        public = client.get("/public/inventory")
        assert public.status_code == 200
        assert f"The inventory of {last} as certified by the Chief AI Officer" in public.text
        assert pub.public_sha256 in public.text and public.text.count('<th scope="row" data-label="ID">') == pub.public_rows
        assert pub.public_rows > 200  # DHS's published inventory
        csv = client.get(f"/public/inventory/{last}.csv")
        assert hashlib.sha256(csv.content).hexdigest() == pub.public_sha256
        assert prog.required == 11 and prog.done == 1  # TSA only
        assert prog.blocker.startswith("10 of 11 components have not certified: CBP, CISA, DHS, FEMA, ICE")
        page = client.get("/sign-in")
        client.post("/sign-in", data={"username": "caio", "password": creds["people"]["caio"]["password"], "next": "/home",
                                      "csrf_token": csrf_from(page.text)})
        html = client.get("/datacall").text
        assert f"Not yet possible: {prog.blocker}." in html
        assert re.search(r'<button class="usa-button" type="submit" disabled aria-describedby="certify-blocker">'
                         rf"Certify the {this} inventory</button>", html)
    with db.transaction() as s:
        assert service.get_user(s, "caio").roles[0].role == "caio"
        # the bodies: the Group's recommendation on the authorized use case is evidence of its independent review,
        # and the Board's decision approving it is published
        from raigov.bodies import service as bodies
        from raigov.governance.models import Evidence

        recommended = s.scalar(select(Evidence).where(Evidence.category == "recommendation"))
        assert recommended.details["lane"] == "independent" and recommended.details["body"] == "rug"
        assert [(d.body, d.kind, d.outcome, d.yes) for d in bodies.published_decisions(s)] == [
            ("AI Governance Board", "decision", "carried", 6)]
        # acquisition and datasets (issue #20): two CBP contracts with their requirements (one still missing, which
        # the gate names), and two CBP datasets with their versions
        from sqlalchemy import func

        from raigov.acquisition.models import Contract, ContractRequirement
        from raigov.datasets.models import Dataset, DatasetVersion

        assert sorted(s.scalars(select(Contract.component))) == ["CBP", "CBP"]
        reqs = sorted(s.scalars(select(ContractRequirement.status)))
        assert len(reqs) == 18 and reqs.count("missing") == 1
        assert sorted(s.scalars(select(Dataset.component))) == ["CBP", "CBP"]
        assert s.scalar(select(func.count()).select_from(DatasetVersion)) == 2


def test_secret_key_is_generated_once_with_mode_0600(tmp_path):
    from raigov.config import Settings

    st = Settings(data_dir=tmp_path / "d")
    key = st.secret()
    f = tmp_path / "d" / "secret_key"
    assert stat.S_IMODE(f.stat().st_mode) == 0o600 and len(key) == 64
    assert Settings(data_dir=tmp_path / "d").secret() == key
    assert Settings(data_dir=tmp_path / "d", secret_key="given").secret() == b"given"
