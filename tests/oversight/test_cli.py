"""`raigov oversight import FILE`: NDJSON and CSV, streamed, a batch per transaction, safe to run again; bad input
names the file's line and field; a refusal stops the import with exit 1."""

from __future__ import annotations

import csv
import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from raigov.cli.main import app
from raigov.oversight.models import Decision, Refusal
from tests.oversight.conftest import decision


def _run(*args):
    return CliRunner().invoke(app, ["oversight", *args])


def _n(db, model=Decision) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_import_ndjson_and_csv(db, people, use_cases, cli_env, tmp_path):
    low = use_cases["low"]
    nd = tmp_path / "decisions.ndjson"
    nd.write_text("\n".join(json.dumps(decision(low, n)) for n in range(1, 6)) + "\n\n")
    r = _run("import", str(nd), "--system", "cbp-sys", "--batch", "2", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"created": 5, "existing": 0, "batches": 3}
    r = _run("import", str(nd), "--system", "cbp-sys", "--json")  # again: nothing new
    assert json.loads(r.output) == {"created": 0, "existing": 5, "batches": 1}
    c = tmp_path / "decisions.csv"
    with c.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(decision(low)))
        w.writeheader()
        for n in (6, 7):
            d = decision(low, n, other_bases=["pay stubs", "interview"])
            w.writerow({**d, "ai_output": json.dumps(d["ai_output"]), "other_bases": "pay stubs|interview"})
        w.writerow({**decision(low, 8, kind="favourable", human_action="none", reviewer=None, other_bases=[]),
                    "ai_output": "eligible", "reviewer": "", "other_bases": ""})
    r = _run("import", str(c), "--system", "cbp-sys", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["created"] == 3 and _n(db) == 8
    with db.transaction() as s:
        d7 = s.scalar(select(Decision).where(Decision.decision_id == "D-7"))
        assert d7.other_bases == ["pay stubs", "interview"] and d7.ai_output == {"score": 0.91, "label": "ineligible"}


def test_import_names_the_line_and_stops_at_a_refusal(db, people, use_cases, cli_env, tmp_path):
    low = use_cases["low"]
    nd = tmp_path / "bad.ndjson"
    lines = [json.dumps(decision(low, n)) for n in range(1, 4)]
    lines[1] = json.dumps(decision(low, 2, kind="exile"))
    nd.write_text("\n".join(lines) + "\n")
    r = _run("import", str(nd), "--system", "cbp-sys")
    assert r.exit_code == 2 and "line 2: kind" in r.output and _n(db) == 0
    lines[1] = json.dumps(decision(low, 2, human_action="none", reviewer=None))
    nd.write_text("\n".join(lines) + "\n")
    r = _run("import", str(nd), "--system", "cbp-sys")
    assert r.exit_code == 1 and "line 2: refused, ai_sole_basis" in r.output
    assert _n(db) == 0 and _n(db, Refusal) == 1
    r = _run("import", str(nd), "--system", "owner")
    assert r.exit_code == 2 and "not an active service account" in r.output
    r = _run("import", str(nd), "--system", "tsa-sys")
    assert r.exit_code == 2 and _n(db) == 0
