"""`raigov inventory import` and `export` on SQLite and PostgreSQL (issue #12, items 9 and 11): a CSV whose
quote swallows the following rows is refused naming the line, in the dry run and the real run, with exit 2 and
nothing written; the OMB exchange file stays byte-exact and the CLI warns, with a count, of the cells a
spreadsheet would read as formulas."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from raigov.audit.models import AuditEvent
from raigov.inventory.models import UseCase, UseCaseRevision

COTS_HEADER = ("Agency,AI Use Case,Agency Use (Y/N)?,Name of Commercial Product or Service Used,"
               "Estimated # of Licenses/Users\n")


def cli(*args):
    from typer.testing import CliRunner

    from raigov.cli.inventory import app

    return CliRunner().invoke(app, list(args))


def _flat(text: str) -> str:
    return " ".join(text.split())  # rich wraps long lines at 80 columns


def _counts(db) -> tuple[int, int, int]:
    with db.transaction() as s:
        return (s.scalar(select(func.count()).select_from(UseCase)),
                s.scalar(select(func.count()).select_from(UseCaseRevision)),
                s.scalar(select(func.count()).select_from(AuditEvent)))


def test_unterminated_quote_is_refused_with_its_line_dry_run_and_real(db, cli_env, tmp_path):
    p = tmp_path / "cots.csv"
    p.write_text(COTS_HEADER + "Dept A,Generating code using AI.,Y,X,1-100\n"
                 '"Dept B,Summarizing documents.,Y,Y,1-100\nDept C,Translating text.,N,Z,101-500\n'
                 "Dept D,Classifying images.,Y,W,1-100\n", encoding="utf-8")
    before = _counts(db)
    for extra in (["--dry-run"], [], ["--json"]):
        res = cli("import", str(p), *extra)
        assert res.exit_code == 2, res.output
        err = _flat(res.stderr)
        assert "file: line 3: a quote opened there is never closed" in err, err
        assert "rows read" not in res.stdout
    assert _counts(db) == before  # no use case, no revision, no audit event


def test_export_omb_csv_stays_exact_and_warns_with_a_count(db, cli_env, tmp_path):
    src = tmp_path / "cots.csv"
    src.write_bytes(("\ufeff" + COTS_HEADER.replace("\n", "\r\n")
                     + "Dept A,\"=HYPERLINK(\"\"http://evil.example\"\")\",Y,X,1-100\r\n"
                     + "Dept B,- bullet text,Y,@SUM(A1),1-100\r\n"
                     + "Dept C,Translating text.,N,Z,101-500\r\n").encode("utf-8"))
    assert cli("import", str(src)).exit_code == 0
    out = tmp_path / "out.csv"
    res = cli("export", "--format", "omb-2025-cots-csv", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert out.read_bytes() == src.read_bytes()  # byte-exact for OMB: nothing prefixed
    err = _flat(res.stderr)
    assert "warning: 3 cells start with = + - @ tab or CR" in err, err
    assert "3 cells" not in res.stdout
    res = cli("export", "--format", "omb-2025-cots-csv", "-o", str(out), "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["formula_cells"] == 3
    assert out.read_bytes() == src.read_bytes()
