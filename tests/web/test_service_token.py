"""Issue #14 item 5: a service token (an operational system's, role `service`) asks the authorization gate
and nothing else: the inventory's listing and a use case's record are refused (403 problem+json), the gate
answers; a person's token of the same component still lists."""

from raigov.identity import service as identity
from raigov.identity.permissions import can
from raigov.inventory import service as inventory

PROBLEM = "application/problem+json"


def test_the_gate_token_asks_the_gate_and_lists_nothing(client, db, settings, make_user, token_for):
    make_user("cbp.owner", "submitter@CBP")
    make_user("cbp.gate", "service@CBP", kind="service")
    with db.transaction() as s:
        owner = identity.actor_for(s, identity.get_user(s, "cbp.owner"))
        uc = inventory.create_use_case(s, owner, component="CBP", values={"use_case_name": "Cargo triage",
                                                                         "development_stage": "Pilot"},
                                       reason="new", settings=settings)
        bid = uc.business_id
        gate_actor = identity.actor_for(s, identity.get_user(s, "cbp.gate"))
    assert can(gate_actor, "governance.gate.query", "CBP") and not can(gate_actor, "inventory.use_case.read", "CBP")
    gate = token_for("cbp.gate")

    r = client.get(f"/api/v1/use-cases/{bid}/authorization", headers=gate)
    assert r.status_code == 200
    body = r.json()
    assert body["authorized"] is False and body["reasons"]  # a draft is not authorized; the gate says why

    for path in ("/api/v1/use-cases", "/api/v1/use-cases?component=CBP", f"/api/v1/use-cases/{bid}"):
        r = client.get(path, headers=gate)
        assert r.status_code == 403, path
        assert r.headers["content-type"] == PROBLEM and "Cargo triage" not in r.text, path

    # the owner's own token (a person of the same component) still lists it
    r = client.get("/api/v1/use-cases", headers=token_for("cbp.owner"))
    assert r.status_code == 200 and [u["id"] for u in r.json()["use_cases"]] == [bid]
