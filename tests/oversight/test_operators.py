"""Per-operator figures (issue #15 item 6): each reviewer's decisions, share of the reviewed ones and override rate,
from the per-operator counts kept in the recording transaction (equal to a count over the ledger), in the stats
(`by_operator`, beside the existing keys: API, `raigov oversight stats --json`) and on the use case's page."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from raigov.cli.main import app as cli_app
from raigov.clock import agency_today
from raigov.oversight import service as oversight
from raigov.oversight.models import Decision, OperatorCount
from tests.oversight.conftest import NOW, decision

KEYS = {"use_case", "since", "until", "totals", "by_kind", "by_human_action", "reviewed", "override_rate", "days",
        "remedies"}


def _record(db, people, key, low) -> None:
    today = agency_today(now=NOW)
    with db.transaction() as s:
        oversight.record_operator(s, people["lead"], low, "officer.ray", today - dt.timedelta(days=10),
                                  today + dt.timedelta(days=300))
    rows = [decision(low, n) for n in range(1, 7)]  # officer.ng: 6, one overridden, one modified
    rows[0]["human_action"], rows[1]["human_action"] = "overrode", "modified"
    rows += [decision(low, n, reviewer="officer.ray") for n in range(7, 9)]  # officer.ray: 2 accepted
    rows += [decision(low, 9, kind="favourable", reviewer=None, human_action="none", other_bases=[])]
    parsed = [oversight.parse_decision(json.dumps(r).encode()) for r in rows]
    with db.transaction() as s:
        oversight.record_decisions(s, people["cbp-sys"], key, parsed, now=NOW)
    with db.transaction() as s:  # the same batch again: existing, nothing counted twice
        assert oversight.record_decisions(s, people["cbp-sys"], key, parsed, now=NOW).created == 0


def test_per_operator_counts_and_stats(db, people, use_cases, key):
    low = use_cases["low"]
    _record(db, people, key, low)
    with db.transaction() as s:
        st = oversight.stats(s, people["lead"], low)
        counted = dict(s.execute(select(OperatorCount.reviewer, func.sum(OperatorCount.count))
                                 .group_by(OperatorCount.reviewer)).all())
        ledger = dict(s.execute(select(Decision.reviewer, func.count()).where(Decision.reviewer.is_not(None))
                                .group_by(Decision.reviewer)).all())
    assert set(st) >= KEYS and st["reviewed"] == 8
    assert {k: int(v) for k, v in counted.items()} == ledger == {"officer.ng": 6, "officer.ray": 2}
    ng, ray = st["by_operator"]
    assert ng == {"reviewer": "officer.ng", "decisions": 6, "accepted": 4, "modified": 1, "overrode": 1,
                  "share_of_reviewed": 0.75, "override_rate": round(1 / 6, 6), "modified_rate": round(1 / 6, 6),
                  "appeals": 0, "appeals_decided": 0, "appeals_reversed": 0, "appeal_rate": 0.0, "reversal_rate": None}
    assert ray["reviewer"] == "officer.ray" and ray["override_rate"] == 0.0 and ray["share_of_reviewed"] == 0.25
    with db.transaction() as s:  # a window with nothing: no operator
        assert oversight.stats(s, people["lead"], low, since=dt.date(2027, 1, 1))["by_operator"] == []


def test_cli_api_and_page(db, client, people, use_cases, key, cli_env, token_for, sign_in, make_user):
    low = use_cases["low"]
    _record(db, people, key, low)
    r = CliRunner().invoke(cli_app, ["oversight", "stats", low, "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert set(out) >= KEYS and [o["reviewer"] for o in out["by_operator"]] == ["officer.ng", "officer.ray"]
    r = CliRunner().invoke(cli_app, ["oversight", "stats", low])
    assert "operator officer.ng: 6 reviewed (75.0% of the use case's)" in r.output
    api = client.get(f"/api/v1/use-cases/{low}/decision-stats", headers=token_for("lead"))
    assert api.status_code == 200 and api.json()["by_operator"][0]["decisions"] == 6
    make_user("lead2", "component_ai_lead@CBP")
    sign_in("lead2")
    page = client.get(f"/oversight/use-cases/{low}")
    assert page.status_code == 200 and "By operator" in page.text and "officer.ray" in page.text
    assert "16.7 %" in page.text and "75.0 %" in page.text


def test_the_migration_counts_the_decisions_recorded_before(db, people, use_cases, key):
    from alembic import command
    from alembic.script import ScriptDirectory

    from raigov.db.migrate import alembic_config, upgrade

    _record(db, people, key, use_cases["low"])

    def counts() -> list[tuple]:
        with db.transaction() as s:
            return sorted(s.execute(select(OperatorCount.use_case_id, OperatorCount.day, OperatorCount.reviewer,
                                           OperatorCount.human_action, OperatorCount.count)).all())

    before = counts()
    cfg = alembic_config(db)
    command.downgrade(cfg, ScriptDirectory.from_config(cfg).get_revision("0021_oversight_operators").down_revision)
    upgrade(db)
    assert counts() == before and len(before) == 4
