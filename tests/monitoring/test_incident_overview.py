"""Issue #17 item 6: incidents count on the dashboard and appear in the use case's history (monitoring/overview.py,
registered as a dashboard panel and a History source), within the person's read scope; both databases."""

from __future__ import annotations

import itertools

from raigov.inventory import service as inventory
from raigov.monitoring import incidents, overview


def test_incidents_count_on_the_dashboard_and_show_in_the_use_case_history(db, people, case, client, sign_in):
    bid, _, _ = case
    with db.transaction() as s:
        iid = incidents.open_incident(s, people["owner"], bid, title="Wrong language served", severity="high",
                                      what_happened="Pages were served in the wrong language for a day",
                                      affected="Spanish readers").id
    with db.transaction() as s:
        incidents.suspend(s, people["lead"], iid, "until the model is rolled back")
    with db.transaction() as s:
        p = overview.panel(s, people["caio"])
        assert (p["by_severity"], p["open_total"], p["closed_recent"]) == ({"high": 1, "medium": 0, "low": 0}, 1, 0)
        assert [u["business_id"] for u in p["suspended"]] == [bid]
        assert [(r["id"], r["severity"], r["suspends"], r["source"]) for r in p["open"]] == [
            (iid, "high", True, "filed by hand")]
        assert overview.panel(s, people["lead"])["open_total"] == 1  # CBP's lead: CBP's incident
        assert overview.panel(s, people["tsa.lead"])["open_total"] == 0  # TSA's lead: not theirs
        uc = inventory.get_use_case(s, people["caio"], bid)
        lines = sorted(overview.history(s, people["caio"], uc), key=lambda e: e.at)
        assert [e.text for e in lines] == [f"Incident {iid} opened (high severity): Wrong language served",
                                           f"Use case suspended under incident {iid}: until the model is rolled back"]
        assert {e.href for e in lines} == {f"/inventory/{bid}/monitoring#incident-{iid}"}
        assert overview.history(s, people["tsa.lead"], uc) == []
    with db.transaction() as s:
        incidents.lift(s, people["caio"], iid, "rolled back")
    with db.transaction() as s:
        incidents.close_incident(s, people["crcl"], iid, "root cause: a cached language header")
    with db.transaction() as s:
        p = overview.panel(s, people["caio"])
        assert (p["open_total"], p["closed_recent"], p["suspended"]) == (0, 1, [])
    assert sign_in("crcl").status_code == 303
    page = client.get("/dashboard").text
    assert "AI incidents" in page and "0 open incidents" in page and "1 closed in the last 90 days" in page
    page = client.get(f"/inventory/{bid}").text
    assert "1 revision, 4 other events" in page
    for text in (f"Incident {iid} opened (high severity): Wrong language served",
                 f"Suspension of incident {iid} lifted", f"Incident {iid} closed: root cause: a cached language header"):
        assert text in page, text


def test_ingest_reports_its_progress(db, people, case):
    """Issue #17 item 8 ("rich progress on ingest"): the service calls ``progress(rows done, rows in all)`` as the
    file is counted (the CLI draws it as a rich bar on stderr, cli.common.progress_bar); the last call has every
    row."""
    import datetime as dt

    from raigov.cli.common import progress_bar
    from raigov.monitoring import service

    _, mid, tmp = case
    seen: list[tuple[int, int | None]] = []
    with db.transaction() as s:
        win, _ = service.ingest_file(s, people["cbp-sys"], mid, str(tmp / "same.csv"), dt.date(2026, 11, 21),
                                     dt.date(2026, 11, 27), progress=lambda done, total: seen.append((done, total)))
        rows = win.rows
    assert rows == 1000 and seen and seen[-1][0] == rows and all(a[0] <= b[0] for a, b in itertools.pairwise(seen))
    with progress_bar("counting", enabled=True) as prog:  # stderr is not a terminal under pytest: no bar
        assert prog is None
