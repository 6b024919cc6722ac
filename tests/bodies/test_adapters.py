"""The API and `raigov bodies` as thin adapters (both databases): a meeting scheduled, its item, attendance and vote
through /api/v1/bodies; errors as problem+json naming the field; a reader without the permission refused; the CLI's
--json and iCalendar output."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from raigov.cli.main import app as cli
from tests.bodies.test_service import RUG, cast  # noqa: F401  (the fixture)
from tests.web.conftest import app, client, token_for  # noqa: F401  (the web fixtures)


def test_api_and_cli(db, client, token_for, cast, cli_env):  # noqa: F811
    caio, rug, owner = token_for("caio"), token_for("rug"), token_for("owner")
    for seat, user in RUG.items():
        r = client.post("/api/v1/bodies/rug/members", json={"seat": seat, "username": user, "since": "2026-01-01"},
                        headers=caio)
        assert r.status_code == 201, r.text
    r = client.post("/api/v1/bodies/rug/meetings", json={"title": "Reviews", "starts_at": "2026-03-02T10:00:00"},
                    headers=rug)
    assert r.status_code == 201 and r.json()["starts_at"].startswith("2026-03-02T15:00:00")  # New York, winter
    mid = r.json()["id"]
    r = client.post(f"/api/v1/bodies/meetings/{mid}/items", json={"subject_kind": "waiver", "subject_ref": "7"},
                    headers=rug)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "subject_ref"
    r = client.post(f"/api/v1/bodies/meetings/{mid}/items", json={"subject_kind": "other", "title": "Work plan"},
                    headers=rug)
    assert r.status_code == 201 and [i["title"] for i in r.json()["agenda"]] == ["Work plan"]
    r = client.post(f"/api/v1/bodies/meetings/{mid}/attendance", json={"present": list(RUG.values())}, headers=rug)
    assert r.json()["quorum"] == {"met": True, "present": 5, "needed": 4, "reason": ""}
    r = client.post(f"/api/v1/bodies/meetings/{mid}/decisions", headers=rug, json={
        "kind": "decision", "subject_kind": "other", "text": "Adopt the work plan.",
        "votes": {"crcl.chief": "yes", "privacy.adv": "no", "counsel": "no", "ocio.rep": "abstain", "rug": "abstain"}})
    assert r.status_code == 201 and (r.json()["outcome"], r.json()["yes"], r.json()["no"]) == ("failed", 1, 2)
    assert client.get("/api/v1/bodies", headers=owner).json() == []
    assert client.get(f"/api/v1/bodies/meetings/{mid}", headers=owner).status_code == 403

    runner = CliRunner()
    out = runner.invoke(cli, ["bodies", "meeting", str(mid), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["decisions"][0]["outcome"] == "failed"
    out = runner.invoke(cli, ["bodies", "ics", "rug"])
    assert out.exit_code == 0 and out.stdout_bytes.startswith(b"BEGIN:VCALENDAR\r\n")  # click's .output drops the CRs
    assert b"SUMMARY:Responsible Use Group: Reviews\r\n" in out.stdout_bytes
    out = runner.invoke(cli, ["bodies", "decide", str(mid), "--kind", "decision", "--subject-kind", "use_case",
                              "--ref", "DHS-NONE", "--text", "x"])
    assert out.exit_code != 0 and "subject_ref" in out.output
