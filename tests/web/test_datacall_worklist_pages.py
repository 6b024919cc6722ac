"""The certification page on SQLite and PostgreSQL: failing checks grouped by kind in plain words (closed
`<details>`, no internal id in the text), one answer for many use cases, errors at the field with what was typed
kept, one explanation for a chosen set, and the CAIO told why certifying is not yet possible."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest

from raigov.datacall import service as datacall
from raigov.inventory import service as inventory
from tests.governance.test_datacall_worklist import EMAIL, GOOD, WITHHELD, YEAR  # the same use cases
from tests.web.conftest import csrf_from


@pytest.fixture
def agency(db, settings, make_user, actor_of):
    make_user("caio", "caio")
    make_user("cbp.lead", "component_ai_lead@CBP")
    make_user("ice.lead", "component_ai_lead@ICE", password=False)
    make_user("owner", "submitter@CBP", "submitter@ICE", password=False)
    owner, caio = actor_of("owner"), actor_of("caio")
    ids = {}
    with db.transaction() as s:
        for key, comp, values in (("a", "CBP", {**GOOD, "use_case_name": "Cargo image triage", "is_withheld": None}),
                                  ("b", "CBP", {**GOOD, "use_case_name": "Port queue forecasts", "is_withheld": None}),
                                  ("c", "CBP", {**GOOD, "use_case_name": "Manifest anomaly flags", "is_withheld": None,
                                                "contact_email": None}),
                                  ("ice", "ICE", {**GOOD, "use_case_name": "Tip line routing"})):
            uc = inventory.create_use_case(s, owner, component=comp, values=values, reason="created", settings=settings)
            s.flush()
            ids[key] = uc.business_id
            inventory.submit_use_case(s, owner, uc.business_id)
        datacall.open_cycle(s, caio, YEAR, dt.date(2026, 12, 15))
    return ids


def visible_text(html: str) -> str:
    """The page's text as a person reads it: tags (and their attributes, hidden values) removed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", html))


def group_of(html: str, title: str) -> str:
    """The `<details>` of one kind of check."""
    for m in re.finditer(r"<details class=\"raigov-check-group.*?</details>", html, flags=re.S):
        if title in htmllib.unescape(m.group(0)):
            return m.group(0)
    raise AssertionError(f"no group {title!r}")


def post(client, url, page_html, data):
    return client.post(url, data={"csrf_token": csrf_from(page_html), **data}, follow_redirects=False)


def test_the_lead_groups_fixes_and_explains_then_certifies(client, sign_in, agency):
    ids = agency
    sign_in("cbp.lead")
    page = client.get(f"/datacall/{YEAR}/CBP")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "4 in 2 kinds (0 explained)" in " ".join(text.split())
    withheld = group_of(page.text, "Withheld from the public? — not answered")
    assert "<details class=\"raigov-check-group margin-bottom-1\" id=\"kind-1\">" in withheld  # closed
    assert "</strong>: 3 use cases" in withheld
    for key in ("a", "b", "c"):
        assert f'value="{ids[key]}" checked' in withheld
    assert "Manifest anomaly flags" in group_of(page.text, "Contact e-mail address — not answered")
    assert not re.search(r"required:|is_withheld|contact_email|DHS-\d+:", text)  # no internal ids shown
    assert 'disabled aria-describedby="certify-blocker"' in page.text
    assert "Not yet possible: 4 failing checks of 2 kinds still need a fix or an explanation" in text

    # a wrong answer: 422, the error at the field, the group open, the choices and the text kept
    r = post(client, f"/datacall/{YEAR}/CBP/checks", page.text,
             {"kind": WITHHELD, "use_case": [ids["a"], ids["c"]], "value": "", "explanation": "Draft words", "do": "fix"})
    assert r.status_code == 422
    g = group_of(r.text, "Withheld from the public? — not answered")
    assert 'id="kind-1" open' in g and "usa-form-group--error" in g
    assert "choose an answer for “Withheld from the public?”" in htmllib.unescape(g)
    assert f'value="{ids["a"]}" checked' in g and f'value="{ids["b"]}">' in g and "Draft words</textarea>" in g

    # one answer for two of the three
    r = post(client, f"/datacall/{YEAR}/CBP/checks", page.text,
             {"kind": WITHHELD, "use_case": [ids["a"], ids["b"]], "value": "No", "do": "fix"})
    assert r.status_code == 303 and r.headers["location"] == f"/datacall/{YEAR}/CBP?done=fixed&n=2"
    page = client.get(r.headers["location"])
    assert "2 use cases answered: each has a new revision." in page.text
    g = group_of(page.text, "Withheld from the public? — not answered")
    assert "</strong>: 1 use case" in g and ids["c"] in g and ids["a"] not in g

    # explain the rest once, fix the contact address
    r = post(client, f"/datacall/{YEAR}/CBP/checks", page.text,
             {"kind": WITHHELD, "use_case": [ids["c"]], "explanation": "Withheld: a law enforcement system.",
              "do": "explain"})
    assert r.status_code == 303 and r.headers["location"].endswith("done=explained&n=1")
    r = post(client, f"/datacall/{YEAR}/CBP/checks", page.text,
             {"kind": EMAIL, "use_case": [ids["c"]], "value": "not-an-address", "do": "fix"})
    assert r.status_code == 422 and "needs an e-mail address" in htmllib.unescape(r.text)
    r = post(client, f"/datacall/{YEAR}/CBP/checks", page.text,
             {"kind": EMAIL, "use_case": [ids["c"]], "value": "ai-team@example.gov", "do": "fix"})
    assert r.status_code == 303
    page = client.get(f"/datacall/{YEAR}/CBP")
    g = group_of(page.text, "Withheld from the public? — not answered")
    assert "all explained" in g and "(explained: Withheld: a law enforcement system.)" in g
    assert "certify-blocker" not in page.text
    r = post(client, f"/datacall/{YEAR}/CBP/certify", page.text, {"statement": "CBP's inventory is complete."})
    assert r.status_code == 303 and r.headers["location"] == f"/datacall/{YEAR}/CBP?saved=1"
    assert "CBP is certified for 2026." in client.get(r.headers["location"]).text

    # the CAIO: told why not yet, the button disabled
    client.cookies.clear()
    sign_in("caio")
    page = client.get("/datacall")
    assert "Not yet possible: 1 of 2 components has not certified: ICE." in visible_text(page.text)
    assert re.search(r'type="submit" disabled aria-describedby="certify-blocker">Certify the 2026 inventory', page.text)
    r = post(client, f"/datacall/{YEAR}/certify", page.text, {"statement": "Complete."})
    assert r.status_code == 422 and "1 of 2 components has not certified: ICE" in r.text


def test_the_certification_refusal_names_kinds_not_keys(client, sign_in, agency, db, actor_of):
    ids, lead = agency, actor_of("cbp.lead")
    with db.transaction() as s:  # the statement is there, the checks are not explained: refused by kind
        datacall.explain_checks(s, lead, YEAR, "CBP", WITHHELD, [ids["a"]], "Pending.")
    sign_in("cbp.lead")
    page = client.get(f"/datacall/{YEAR}/CBP")
    r = post(client, f"/datacall/{YEAR}/CBP/certify", page.text, {"statement": "Complete."})
    assert r.status_code == 422
    text = " ".join(visible_text(r.text).split())
    assert f"Withheld from the public? — not answered: 2 use cases ({ids['b']}, {ids['c']}): fix the answer or explain it" in text
    assert f"Contact e-mail address — not answered: 1 use case ({ids['c']})" in text
    assert not re.search(r"required:|is_withheld|contact_email|DHS-\d+:", text)
    assert 'id="kind-1" open' in r.text and 'id="kind-2" open' in r.text
    # another component's lead may not work on CBP's checks
    client.cookies.clear()
    sign_in("caio")
    page = client.get("/datacall")
    r = post(client, f"/datacall/{YEAR}/CBP/checks", page.text, {"kind": WITHHELD, "use_case": [ids["b"]], "value": "No",
                                                                  "do": "fix"})
    assert r.status_code == 422 and "You may not work on CBP's reporting checks: its AI lead does" in \
        htmllib.unescape(r.text)
    caio = actor_of("caio")
    with db.transaction() as s:
        assert inventory.get_use_case(s, caio, ids["b"]).revision_count == 1
