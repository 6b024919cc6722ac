"""The decision ledger over HTTP, on both databases: 201/200/409, the refusal's problem+json (code and
citation), batches (row-naming errors, all or nothing, 413 over 10,000, non-JSON), the opt-out check (yes or
no), the proof checked by an independent verifier (tests/oversight/verifier.py imports nothing from raigov),
the permission rules, and the CLI's stats and prove."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from raigov.oversight.models import Decision
from tests.oversight import verifier
from tests.oversight.conftest import decision


def _n(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Decision))


def test_one_decision_201_200_409_and_a_refusal(db, client, people, use_cases, token_for):
    h = token_for("cbp-sys")
    low = use_cases["low"]
    r = client.post("/api/v1/decisions", json=decision(low), headers=h)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["status"] == "created" and first["decision_id"] == "D-1" and first["use_case"] == low
    r = client.post("/api/v1/decisions", json=decision(low), headers=h)
    assert r.status_code == 200 and r.json()["id"] == first["id"] and r.json()["status"] == "existing"
    r = client.post("/api/v1/decisions", json=decision(low, rationale="changed"), headers=h)
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "decision_id"
    r = client.post("/api/v1/decisions", json=decision(low, 2, human_action="none", reviewer=None), headers=h)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    p = r.json()
    assert p["code"] == "ai_sole_basis" and "139-08" in p["citation"] and p["type"].endswith("decision-refused")
    assert [x["rule"] for x in p["refusals"]] == ["D139-08.Decision.SoleBasis"]
    r = client.post("/api/v1/decisions", json={**decision(low, 3), "extra": 1}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "extra"
    r = client.post("/api/v1/decisions", content=b"not json", headers={**h, "content-type": "application/json"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "json_invalid"
    r = client.post("/api/v1/decisions", json=decision(low, 4), headers=token_for("tsa-sys"))
    assert r.status_code == 403
    r = client.post("/api/v1/decisions", json=decision(low, 5), headers=token_for("lead"))  # people do not record
    assert r.status_code == 403
    assert _n(db) == 1


def test_one_decision_401_and_403_come_before_the_body_is_read(db, client, people, use_cases, token_for):
    """The single decision resolves its token in the recording transaction (web.deps.actor_of_token), with the
    answers the shared dependencies give: 401 without a token or with an unknown one, 403 for a caller who may not
    record, before a bad body is reported; nothing is written; the API's description still declares the token."""
    bad = {"not": "a decision"}
    r = client.post("/api/v1/decisions", json=bad)
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    r = client.post("/api/v1/decisions", json=bad, headers={"Authorization": "Bearer rgv_unknown"})
    assert r.status_code == 401 and "unknown" in r.json()["detail"]
    r = client.post("/api/v1/decisions", json=bad, headers=token_for("lead"))
    assert r.status_code == 403
    r = client.post("/api/v1/decisions", json=bad, headers=token_for("cbp-sys"))
    assert r.status_code == 422 and "decision_id" in {e["field"] for e in r.json()["errors"]}
    assert _n(db) == 0
    op = client.get("/api/openapi.json").json()["paths"]["/api/v1/decisions"]["post"]
    assert op["security"] == [{"apiToken": []}]


def test_batches(db, client, people, use_cases, token_for):
    h = token_for("cbp-sys")
    low = use_cases["low"]
    rows = [decision(low, n) for n in range(1, 101)]
    rows[50]["kind"] = "exile"
    r = client.post("/api/v1/decisions/batch", json={"decisions": rows}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "decisions.50.kind"
    rows[50]["kind"] = "favourable"
    rows[70]["other_bases"] = []
    r = client.post("/api/v1/decisions/batch", json={"decisions": rows}, headers=h)
    assert r.status_code == 422
    p = r.json()
    assert p["code"] == "ai_sole_basis" and p["citation"] and p["errors"][0]["field"] == "decisions.70"
    assert [x["index"] for x in p["refused"]] == [70]
    assert _n(db) == 0
    rows[70]["other_bases"] = ["the officer's interview"]
    r = client.post("/api/v1/decisions/batch", json={"decisions": rows}, headers=h)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["created"] == 100 and out["existing"] == 0 and len(out["merkle_root"]) == 64
    r = client.post("/api/v1/decisions/batch", json={"decisions": rows[:10] + [decision(low, 101)]}, headers=h)
    assert r.status_code == 201 and (r.json()["created"], r.json()["existing"]) == (1, 10)
    r = client.post("/api/v1/decisions/batch", json={"decisions": [decision(low, n) for n in range(10_001)]}, headers=h)
    assert r.status_code == 413 and r.json()["errors"][0]["field"] == "decisions"
    assert _n(db) == 101
    with db.transaction() as s:  # the daily counts were kept in the same transactions
        from raigov.oversight import service as oversight

        st = oversight.stats(s, people["lead"], low)
    assert st["totals"] == {"recorded": 101, "refused": 1} and st["by_human_action"]["accepted"] == 101


def test_opt_out_check_answers_yes_or_no(db, client, people, use_cases, token_for):
    fr = use_cases["fr"]
    r = client.post(f"/api/v1/use-cases/{fr}/opt-outs", json={"subject": "P1234567", "us_citizen": True},
                    headers=token_for("privacy"))
    assert r.status_code == 201
    h = token_for("cbp-sys")
    url = f"/api/v1/use-cases/{fr}/opt-outs/check"
    assert client.get(url, headers={**h, "X-Raigov-Subject": "P1234567"}).json() == {"opted_out": True}
    assert client.get(url, headers={**h, "X-Raigov-Subject": "P7654321"}).json() == {"opted_out": False}
    assert client.get(url, headers=h).status_code == 422
    assert client.get(url, headers={**token_for("tsa-sys"), "X-Raigov-Subject": "P1234567"}).status_code == 403
    r = client.post(f"/api/v1/use-cases/{fr}/opt-outs", json={"subject": "P1", "us_citizen": False},
                    headers=token_for("privacy"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "us_citizen"


def test_the_proof_checks_out_with_an_independent_verifier(db, client, people, use_cases, token_for, cli_env, settings):
    from typer.testing import CliRunner

    from raigov.audit import service as audit
    from raigov.cli.main import app as cli
    from raigov.oversight.models import Decision

    h = token_for("cbp-sys")
    low = use_cases["low"]
    rows = [decision(low, n, ai_output={"score": n / 7, "label": "inéligible ✓", "big": 2**70,
                                                   "nested": [{"b": 1e-7, "a": None, "c": True}]}) for n in range(1, 12)]
    assert client.post("/api/v1/decisions/batch", json={"decisions": rows}, headers=h).status_code == 201
    bad = client.post("/api/v1/decisions", json=decision(low, 99, ai_output={"ünï": 1}), headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "ai_output"
    with db.transaction() as s:
        head = audit.sign_head(s, people["caio"], settings.data_dir)
        pk = s.scalar(select(Decision.id).where(Decision.decision_id == "D-6"))
    r = client.get(f"/api/v1/decisions/{pk}/proof", headers=token_for("lead"))
    assert r.status_code == 200
    proof = r.json()
    assert proof["verified"] is True and proof["batch"]["tree_size"] == 11 and proof["batch"]["leaf_index"] == 5
    assert verifier.verify(proof, head["public_key"]) == []
    # the verifier catches a changed decision, a wrong leaf and another key
    forged = json.loads(json.dumps(proof))
    forged["item"]["human_action"] = "overrode"
    assert "item_hash" in verifier.verify(forged, head["public_key"])
    moved = json.loads(json.dumps(proof))
    moved["batch"]["leaf_index"] = 4
    assert "in_batch" in verifier.verify(moved, head["public_key"])
    assert "head_signature" in verifier.verify(proof, "00" * 32)
    assert client.get(f"/api/v1/decisions/{pk}/proof", headers=token_for("tsa.lead")).status_code == 403
    assert client.get("/api/v1/decisions/999999/proof", headers=token_for("lead")).status_code == 404
    # the CLI gives the same proof, and the statistics
    res = CliRunner().invoke(cli, ["oversight", "prove", str(pk), "--json"])
    assert res.exit_code == 0, res.output
    assert verifier.verify(json.loads(res.output), head["public_key"]) == []
    res = CliRunner().invoke(cli, ["oversight", "stats", low, "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["totals"] == {"recorded": 11, "refused": 0}
    # a decision not yet under a signed head is proven to the current trail, not verified to a head
    assert client.post("/api/v1/decisions", json=decision(low, 50), headers=h).status_code == 201
    with db.transaction() as s:
        pk2 = s.scalar(select(Decision.id).where(Decision.decision_id == "D-50"))
    res = CliRunner().invoke(cli, ["oversight", "prove", str(pk2), "--json"])
    assert res.exit_code == 1 and json.loads(res.output)["steps"]["signed_head"] is False


def test_the_pages(db, client, people, use_cases, token_for, sign_in, make_user):
    make_user("lead2", "component_ai_lead@CBP")
    assert client.post("/api/v1/decisions", json=decision(use_cases["low"]), headers=token_for("cbp-sys")).status_code == 201
    sign_in("lead2")
    r = client.get("/oversight")
    assert r.status_code == 200 and use_cases["low"] in r.text
    r = client.get(f"/oversight/use-cases/{use_cases['low']}")
    assert r.status_code == 200 and "D-1" in r.text
    # the use case's page links its oversight tab for who may read it (the lead), not for its owner
    link = f'<a href="/oversight/use-cases/{use_cases["low"]}">'
    assert link in client.get(f"/inventory/{use_cases['low']}").text
    with db.transaction() as s:
        pk = s.scalar(select(Decision.id))
    r = client.get(f"/oversight/decisions/{pk}")
    assert r.status_code == 200 and "no signed tree head covers it yet" in r.text
    make_user("owner2", "submitter@CBP")  # reads the use case, not its decisions: no link to them
    sign_in("owner2")
    page = client.get(f"/inventory/{use_cases['low']}")
    assert page.status_code == 200 and link not in page.text
