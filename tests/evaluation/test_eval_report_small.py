"""A PDF report from a sample so small (or so well separated) that no threshold has both error rates above
zero: the DET chart says so instead of failing on a log scale with no data."""

from typer.testing import CliRunner

from raigov.cli.main import app


def test_pdf_report_of_a_tiny_perfectly_separated_sample(tmp_path):
    data = tmp_path / "tiny.csv"
    data.write_text("score,genuine,group\n0.9,1,a\n0.1,0,a\n0.8,1,b\n0.2,0,b\n")
    out = tmp_path / "out.pdf"
    r = CliRunner().invoke(app, ["eval", "report", str(data), "--score", "score", "--genuine", "genuine",
                                 "--group", "group", "--threshold", "0.5", "--pdf", str(out)])
    assert r.exit_code == 0, r.output
    body = out.read_bytes()
    assert body.startswith(b"%PDF-") and len(body) > 10_000


def _two_groups(tmp_path):
    """Group a: 10 impostors, 1 at or above 0.5 (FMR 0.1); group b: 10 impostors, 5 above (FMR 0.5): the FMR
    max/min ratio is 5. Each group: 10 genuine, 1 below 0.5 (FNMR 0.1 in both: ratio 1)."""
    rows = ["score,genuine,group"]
    for g, n_fm in (("a", 1), ("b", 5)):
        rows += [f"{0.9 if i < n_fm else 0.1},0,{g}" for i in range(10)]
        rows += [f"{0.2 if i < 1 else 0.8},1,{g}" for i in range(10)]
    path = tmp_path / "two.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _report(path, *extra):
    import json

    r = CliRunner().invoke(app, ["eval", "report", str(path), "--score", "score", "--genuine", "genuine", "--group",
                                 "group", "--threshold", "0.5", "--html", str(path.with_suffix(".html")), "--json", *extra])
    return r.exit_code, (json.loads(r.stdout) if r.stdout.strip().startswith("{") else r.output)


def test_criteria_come_from_the_policy_pack(tmp_path):
    path = _two_groups(tmp_path)
    code, out = _report(path, "--criteria-pack", "dhs-026-11")
    checks = {c["name"]: (c["value"], c["limit"], c["passed"]) for c in out["checks"]}
    assert code == 1 and out["passed"] is False  # the pack's 3.0 limit on the FMR ratio fails
    assert checks["FMR max/min ratio"] == (5.0, 3.0, False) and checks["FNMR max/min ratio"] == (1.0, 3.0, True)
    assert out["criteria"]["source"] == "dhs-026-11@1.2.0 D026-11.Testing"
    assert "Limits set by the policy pack dhs-026-11@1.2.0 D026-11.Testing" in path.with_suffix(".html").read_text()
    code, out = _report(path, "--criteria-pack", "dhs-026-11", "--max-fmr-ratio", "6", "--max-garbe", "1")
    assert code == 0 and out["passed"] is True  # explicit limits win over the pack's
    code, out = _report(path, "--criteria-pack", "dhs-026-11@1.0.0")  # the published 1.0.0 set no criteria
    assert code == 2 and "--criteria-pack: dhs-026-11@1.0.0 sets no criteria" in out
    code, out = _report(path, "--criteria-pack", "no-such-pack")
    assert code == 2 and "no policy pack 'no-such-pack'" in out


def test_a_pack_with_an_unknown_criterion_is_refused(tmp_path):
    from importlib import resources

    text = resources.files("raigov.policy").joinpath("packs/dhs-026-11-1.1.0.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("max_garbe: 0.25", "max_banana: 0.25").replace('version: "1.1.0"', 'version: "9.0.0"'))
    r = CliRunner().invoke(app, ["policy", "validate", str(bad)])
    assert r.exit_code == 2 and "max_banana" in r.output and "criteria" in r.output
