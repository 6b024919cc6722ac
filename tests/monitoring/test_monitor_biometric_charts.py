"""Face-recognition monitors over time (issue #17), on both databases: the monitor page draws FMR and FNMR per
group per window as line charts whose numbers (the SVG's description and the table below it) are the numbers of
each window's table; the monitoring report (HTML and PDF) has the biometric part: the same charts and tables,
each window's counts per group and the pack's checks."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape

from pypdf import PdfReader

from raigov.monitoring import report, service, views
from tests.monitoring.test_monitor_biometric import _counts, fr  # noqa: F401  (the FR monitor fixture)

WINDOWS = [(dt.date(2026, 11, 22), dt.date(2026, 11, 28), 1, {}), (dt.date(2026, 11, 29), dt.date(2026, 12, 5), 2,
                                                                   {"C": 0.25})]


def _two_windows(db, people, mid, tmp) -> list[dict]:
    """Two windows from raw comparison files (group C's FMR rises in the second); their stored results."""
    out = []
    for start, end, seed, shift in WINDOWS:
        _counts(tmp, seed, shift)  # writes scores-<seed>.csv
        with db.transaction() as s:
            win, _ = service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "same.csv"), start, end,
                                         comparisons=str(tmp / f"scores-{seed}.csv"))
            out.append(win.results["biometric"])
    return out


def _chart_table(page: str, chart_id: str) -> list[list[str]]:
    block = page[page.index(f'id="{chart_id}"'):]
    block = block[:block.index("</table>")]
    return [re.findall(r'data-value="([^"]+)"', row) for row in re.findall(r"<tr><th scope=\"row\">.*?</tr>", block)]


def test_the_monitor_page_charts_fmr_and_fnmr_per_group_with_the_tables_numbers(db, client, people, fr,  # noqa: F811
                                                                                sign_in):
    _, mid, tmp = fr
    res = _two_windows(db, people, mid, tmp)
    assert sign_in("crcl").status_code == 303
    page = client.get(f"/monitoring/monitors/{mid}").text
    assert "False match rate (FMR) per group over time" in page
    assert "False non-match rate (FNMR) per group over time" in page
    for key in ("fmr", "fnmr"):
        want = [[f"{r['groups'][g][key]:.4g}" for g in ("A", "B", "C")] for r in res]
        assert _chart_table(page, f"bio-{key}") == want, key
        desc = unescape(re.search(rf'<desc id="bio-{key}-desc">(.*?)</desc>', page).group(1))
        for g in ("A", "B", "C"):
            assert f"{g}: 2026-11-22 to 2026-11-28 {want[0]['ABC'.index(g)]}, 2026-11-29 to 2026-12-05 " \
                   f"{want[1]['ABC'.index(g)]}" in desc
        # the per-window tables show the same numbers
        for w in want:
            for v in w:
                assert f'data-label="{key.upper()} (95 % Wilson)">{v} (' in page
        assert page.count(f'<svg role="img" aria-labelledby="bio-{key}-title bio-{key}-desc"') == 1
    # C's FMR rose in the second window: its point is the highest of the FMR chart (smallest y)
    assert res[1]["groups"]["C"]["fmr"] > max(res[1]["groups"][g]["fmr"] for g in "AB")


def test_the_report_has_the_biometric_part_in_html_and_pdf(db, people, fr):  # noqa: F811
    _, mid, tmp = fr
    res = _two_windows(db, people, mid, tmp)
    with db.transaction() as s:
        rep = views.report(s, people["lead"], mid)
    created = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
    html = report.render_html(rep, created)
    assert "Face recognition: FMR and FNMR per group" in html and 'id="t-bio-fmr"' in html and 'id="t-bio-fnmr"' in html
    labels, series = report.biometric_series(rep)
    assert labels == ["2026-11-22 to 2026-11-28", "2026-11-29 to 2026-12-05"]
    assert series["fmr"]["C"] == [r["groups"]["C"]["fmr"] for r in res]
    table = report.rate_table(labels, series["fmr"])
    assert table[1] == ["2026-11-29 to 2026-12-05", *(f"{res[1]['groups'][g]['fmr']:.4g}" for g in "ABC")]
    for row in table:
        assert "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" in html
    counts = report.biometric_rows(rep)
    assert len(counts) == 6 and counts[5][:4] == ["2026-11-29 to 2026-12-05", "C", str(res[1]["groups"]["C"]["n_imp"]),
                                                 str(res[1]["groups"]["C"]["fm"])]
    checks = report.biometric_checks(rep)
    assert ["2026-11-29 to 2026-12-05", "FMR max/min ratio"] in [c[:2] for c in checks]
    assert [c[4] for c in checks if c[:2] == ["2026-11-29 to 2026-12-05", "FMR max/min ratio"]] == ["above the limit"]
    pdf = report.render_pdf(rep, created)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Face recognition: FMR and FNMR per group" in text and "False match rate (FMR) per group per window" in text
    assert f"{res[1]['groups']['C']['fmr']:.4g}" in text and "above the limit" in text
    # a monitor without biometric windows has no biometric part
    plain = {**rep, "windows": [{k: v for k, v in w.items() if k != "biometric"} for w in rep["windows"]]}
    assert "Face recognition" not in report.render_html(plain, created)
