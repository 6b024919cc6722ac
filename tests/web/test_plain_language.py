"""Plain language everywhere a person reads (issue #14): the main pages, seen by each role on the demo
agency's data (its reviews, practices, waivers, pilots, the jobs' notices, an evaluation run that failed its
criteria), show no internal id: no role id, field key, check id, notice key, actor label, snake_case metric
id or microseconds outside <code>, URLs and attributes. The patterns are in tests/web/internal_ids.py, for
the other pages' tests too."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from raigov.web.app import create_app
from tests.web.conftest import csrf_from
from tests.web.internal_ids import find_internal_ids, visible_text


def test_the_scanner_finds_what_the_issue_quotes_and_spares_code_and_attributes():
    leaked = ('<p>reviewed by crcl_reviewer; caio holds none of these</p><td>practice:57:overdue:2026-10-16:to:'
              'uscis.owner</td><td>fmr_max_min_ratio</td><td>garbe</td><td>decided by user:cbp.lead</td>'
              '<td>2026-12-04T15:03:01.123456+00:00</td><li>DHS-101:required:use_case_name</li>')
    kinds = {k for k, _, _ in find_internal_ids(leaked)}
    assert {"role id", "notice key", "snake_case id", "metric id", "actor label", "microseconds",
            "check id"} <= kinds
    fine = ('<p data-key="practice:57:overdue:2026-10-16" class="usa_x">Minimum practice: overdue since 2026-10-16'
            ' <code>governance.review.decide</code> <a href="/audit?actor=user:cbp.lead">cbp.lead</a></p>')
    assert find_internal_ids(fine) == [], find_internal_ids(fine)
    assert "governance.review.decide" not in visible_text(fine)


def _demo(db, settings, system):
    """The demo agency, the jobs' notices and two T&E runs (one failing its criterion); (credentials, pages)."""
    from raigov.demo import agency
    from raigov.evaluation import service as ev
    from raigov.governance.models import Pilot, Review, Waiver
    from raigov.identity import service as identity
    from raigov.identity.schemas import RoleGrantIn
    from raigov.inventory.models import UseCase
    from raigov.jobs import service as jobs

    with db.transaction() as s:
        creds = agency.load(s, settings, system)
    jobs.run(db, system, settings)
    rows = ["score,genuine,grp,subj"]
    for i in range(400):
        genuine = i % 3 == 0
        rows.append(f"{(i % 10) / 10 + (0.5 if genuine else 0):.3f},{int(genuine)},{'ab'[i % 2]},{i // 4}")
    data = ("\n".join(rows) + "\n").encode()
    with db.transaction() as s:
        te = identity.actor_for(s, identity.get_user(s, "te.engineer"))
    run_ids = []
    for kind, params in (("biometric", {"score": "score", "genuine": "genuine", "groups": "grp", "subject": "subj",
                                        "threshold": "0.75", "criteria": {"max_fmr_ratio": "1.01"}}),
                         ("classifier", {"y_true": "genuine", "y_pred": "genuine", "groups": "grp", "criteria": {}})):
        with db.transaction() as s:
            run_ids.append(ev.run_and_store(s, te, settings, data, "scores.csv", kind, params, max_rows=10_000,
                                            max_bytes=10_000_000).id)
    with db.transaction() as s:
        most_reviews = s.scalars(select(UseCase.business_id).join(Review, Review.use_case_id == UseCase.id)
                                 .group_by(UseCase.business_id).order_by(func.count(Review.id).desc(),
                                                                         UseCase.business_id).limit(1)).one()
        waived = s.scalars(select(UseCase.business_id).join(Waiver, Waiver.use_case_id == UseCase.id)).first()
        piloted = s.scalars(select(UseCase.business_id).join(Pilot, Pilot.use_case_id == UseCase.id)).first()
        cbp = s.scalars(select(UseCase.business_id).join(Review, Review.use_case_id == UseCase.id)
                        .where(UseCase.business_id.is_not(None)).order_by(UseCase.id)).first()
        retired = s.scalars(select(UseCase.business_id).where(UseCase.status == "retired")).first()
        checked = s.scalars(select(UseCase.business_id).where(UseCase.business_id == "DHS-4")).first()
        admin = identity.actor_for(s, identity.get_user(s, "admin"))
        identity.grant_role(s, admin, "te.engineer", RoleGrantIn(role="crcl_reviewer"))  # waits for a second person
    governance = [f"/inventory/{b}/governance" for b in dict.fromkeys([most_reviews, waived, piloted, cbp]) if b]
    use_cases = [f"/inventory/{b}" for b in dict.fromkeys([most_reviews, waived, cbp, retired, checked]) if b]
    # the demo's own run, recorded with its report only, is listed first on /evaluation
    runs = ["/evaluation/runs/1", *(f"/evaluation/runs/{i}" for i in run_ids)]
    pages = {
        "caio": ["/home", "/dashboard", "/notices", "/audit", "/audit/1", "/audit/40", "/reviews", "/reviews?all=1",
                 "/policy", "/policy/disagreements", "/evaluation", *runs, "/datacall", "/public/inventory",
                 "/admin/pending-grants", "/admin/users/new", "/account", *governance, *use_cases],
        "cbp.lead": ["/home", "/dashboard", "/notices", "/reviews", "/account", "/datacall", *governance[:2], *use_cases[:3]],
        "cbp.owner": ["/notices", "/evaluation", *governance[:2]],
        "uscis.owner": ["/notices"],
        "crcl": ["/reviews", *governance],
        "privacy": ["/reviews", *governance[:1]],
        "te.engineer": ["/evaluation", *runs, *governance[:1]],
        "auditor": ["/audit", "/audit/2", "/dashboard", "/notices", *governance[:2]],
        "admin": ["/home", "/notices", "/audit/verify", "/admin/users", "/admin/users/te.engineer", "/admin/users/new",
                  "/admin/pending-grants", "/inventory/DHS-4"],
    }
    return creds, pages


@pytest.mark.slow
def test_main_pages_show_no_internal_ids_and_say_it_in_words(db, settings, system, backend):
    """Long because it loads the demo agency once (about 10 s) for the scan and the spot checks of the words."""
    creds, pages = _demo(db, settings, system)
    found: list[str] = []
    texts: dict[str, str] = {}
    with TestClient(create_app(settings, db)) as client:
        for username, paths in pages.items():
            client.cookies.clear()
            form = client.get("/sign-in")
            r = client.post("/sign-in", data={"username": username, "password": creds["people"][username]["password"],
                                              "next": "/home", "csrf_token": csrf_from(form.text)},
                            follow_redirects=False)
            assert r.status_code == 303, username
            for path in paths:
                page = client.get(path)
                refused = (username, path) in {("caio", "/admin/users/new"), ("admin", "/inventory/DHS-4")}
                assert page.status_code == (403 if refused else 200), (username, path, page.status_code)
                texts[f"{username} {path}"] = visible_text(page.text)
                for what, ident, context in find_internal_ids(page.text):
                    found.append(f"{username} {path}: {what} {ident!r} in …{context}…")
    assert found == [], "\n".join(dict.fromkeys(found))
    # no doubled brackets: a title or source that has its own brackets is not put in brackets again
    doubled = [f"{k}: …{t[max(0, m.start() - 80): m.end() + 20]}…" for k, t in texts.items()
               for m in re.finditer(r"\(\(|\[\[|\]\]|\)\) is |inventory\)\)", t)]
    assert doubled == [], "\n".join(doubled)

    # the words themselves: the notice says what and when; the audit line what happened, in the agency's time
    # without microseconds; a refusal names the role by its title; a failed criterion is said first
    assert re.search(r"Minimum practice: overdue since \d{4}-\d{2}-\d{2}", texts["caio /notices"])
    audit = texts["caio /audit"]
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} E[SD]T", audit) and not re.search(r":\d{2}\.\d{3}", audit)
    assert "A test and evaluation run was executed; its status (done or failed) and input hash are in the details." in audit
    refusals = [t for k, t in texts.items() if k.startswith("crcl /inventory/")]
    said = [m.group(0) for t in refusals for m in re.finditer(r"You cannot decide this review: [^.]*\.", t)]
    assert said and all(re.fullmatch(r"You cannot decide this review: the .+ review is decided by (an?|the) [A-Z].*; "
                                     r"you do not hold that role\.", x) for x in said), said
    assert any("decided by a General Counsel (OGC) reviewer" in x for x in said), said
    assert "You may not do this: it needs a user administrator." in texts["caio /admin/users/new"]
    assert "You may not read DHS-4." in texts["admin /inventory/DHS-4"]
    assert "Confirm the role of Civil Rights and Civil Liberties (CRCL) reviewer for" in texts["caio /admin/pending-grants"]
    assert "This run was recorded with its report only" in texts["caio /evaluation/runs/1"]
    run = texts[f"caio {pages['te.engineer'][2]}"]
    assert "Failed its criteria: 1 of 1 not met" in run and "outside its limit of 1.01" in run
    assert run.index("Failed its criteria") < run.index("About the run")
