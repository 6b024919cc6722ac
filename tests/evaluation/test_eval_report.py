"""HTML/PDF reports: self-contained, accessible structure, pass/fail against plain-number criteria."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from raigov.evaluation.biometric import BiometricSpec
from raigov.evaluation.report import Criteria, build_report, evaluate_criteria, render_html, render_pdf
from raigov.evaluation.runner import run_biometric
from raigov.evaluation.synth import SynthParams, generate

RAIGOV = str(Path(sys.executable).parent / "raigov")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    f = tmp_path_factory.mktemp("rep") / "s.parquet"
    generate(f, SynthParams(subjects=4000, groups=3, seed=3, rows_per_group=20_000))
    spec = BiometricSpec(score="score", genuine="genuine", groups=("group",), subject="subject",
                         ref_groups=("ref_group",), pairing="same-group")
    res, data = run_biometric(f, spec, target_fmr=1e-3, grid_points=101, bootstrap=20)
    return f, res, data


class Structure(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.stack = [], [], []
        self.tables = self.captions = self.svgs = self.svg_titles = 0
        self.th_without_scope = 0
        self.figures_with_table = 0
        self._in_fig_div = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.attrs.append(a)
        self.tables += tag == "table"
        self.captions += tag == "caption"
        if tag == "svg":
            self.svgs += 1
            assert a.get("role") == "img" and a.get("aria-labelledby")
        if tag == "title" and self.stack and "svg" in self.stack:
            self.svg_titles += 1
        if tag == "th" and "scope" not in a:
            self.th_without_scope += 1
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass


def test_html_is_self_contained_and_accessible(result):
    _, res, data = result
    rep = build_report(res, data, Criteria(max_fmr=0.01))
    text = render_html(rep)
    p = Structure()
    p.feed(text)
    assert text.startswith("<!DOCTYPE html>") and '<html lang="en">' in text
    # no external resources of any kind
    assert "<script" not in text and "<link" not in text and "<img" not in text
    assert not re.search(r"\b(src|href)\s*=", text) and "url(" not in text and "@import" not in text
    assert p.svgs >= 3 and p.svg_titles == p.svgs  # FMR bars, FNMR bars, DET
    assert p.tables == p.captions and p.tables >= 6
    assert p.th_without_scope == 0
    # each chart sits in a figure block next to its data table
    blocks = re.findall(r'<div class="figure"><figure>.*?</figure>(<table>.*?</table>)</div>', text, re.DOTALL)
    assert len(blocks) == 3
    assert data["sha256"] in text and "Conventions" in text and "same-group" in text


def test_criteria_pass_fail_and_not_evaluable(result):
    _, res, data = result
    out = build_report(res, data).result
    fmrs = [g["fmr"] for g in out["groups"]]
    ratio = out["differentials"]["fmr_max_min_ratio"]
    checks = evaluate_criteria(out, Criteria(max_fmr=max(fmrs), max_fmr_ratio=ratio * 0.99))
    assert [c.passed for c in checks] == [True, False]
    assert checks[0].value == max(fmrs) and "worst group" in checks[0].detail
    out["differentials"]["fmr_max_min_ratio"] = None
    c = evaluate_criteria(out, Criteria(max_fmr_ratio=3.0))[0]
    assert c.passed is None
    rep = build_report(res, data, Criteria(min_fdr=0.0))
    assert rep.passed is True
    assert build_report(res, data).passed is None


def test_pdf_written(result, tmp_path):
    _, res, data = result
    rep = build_report(res, data, Criteria(max_fmr=1e-9))
    out = tmp_path / "r.pdf"
    render_pdf(rep, out)
    blob = out.read_bytes()
    assert blob.startswith(b"%PDF-") and len(blob) > 20_000 and b"/Image" in blob


def test_cli_report_exit_codes(result, tmp_path):
    f, _, _ = result
    base = [RAIGOV, "eval", "report", str(f), "--score", "score", "--genuine", "genuine", "--group", "group",
            "--target-fmr", "1e-3", "--grid", "51", "--html", str(tmp_path / "a.html"), "--json"]
    ok = subprocess.run(base + ["--max-fmr", "0.5"], capture_output=True, text=True, timeout=120, check=False)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "a.html").stat().st_size > 5000
    bad = subprocess.run(base + ["--max-fmr", "1e-9", "--pdf", str(tmp_path / "b.pdf")], capture_output=True,
                         text=True, timeout=120, check=False)
    assert bad.returncode == 1 and '"passed": false' in bad.stdout
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF-")


def test_report_with_au_fdr_and_crossed_bootstrap(result, tmp_path):
    f, _, _ = result
    base = [RAIGOV, "eval", "report", str(f), "--score", "score", "--genuine", "genuine", "--group", "group",
            "--subject", "subject", "--target-fmr", "1e-3", "--grid", "21", "--au-fdr-range", "1e-3", "1e-1",
            "--bootstrap", "10", "--bootstrap-design", "crossed", "--ref-subject", "ref_subject",
            "--html", str(tmp_path / "x.html"), "--pdf", str(tmp_path / "x.pdf"), "--json"]
    p = subprocess.run(base, capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 0, p.stderr
    text = (tmp_path / "x.html").read_text()
    assert "au_fdr" in text and "Crossed (probe x reference) bootstrap intervals" in text
    assert (tmp_path / "x.pdf").read_bytes().startswith(b"%PDF-")
