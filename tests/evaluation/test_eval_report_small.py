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
