"""Issue #14: no message shown on a page is taken from its URL (a crafted link must not put words on a page), and a
refused form is answered with the page itself, its error shown, not with a redirect carrying the message. Pages
that earlier read `?error=`/`?done=` text: the governance page, the T&E pages, the account and user administration
pages (the banners of raigov.web.flash were already codes). On both databases."""

from __future__ import annotations

from raigov.evaluation import service as ev
from tests.web.conftest import csrf_from

CRAFTED = "Call 555-0100 to verify your account"


def _run(db, settings, actor):
    rows = ["score,genuine,grp"] + [f"{(i % 10) / 10 + (0.5 if i % 3 == 0 else 0):.3f},{int(i % 3 == 0)},{'ab'[i % 2]}"
                                    for i in range(200)]
    with db.transaction() as s:
        return ev.run_and_store(s, actor, settings, ("\n".join(rows) + "\n").encode(), "scores.csv", "biometric",
                                {"score": "score", "genuine": "genuine", "groups": "grp", "threshold": "0.75",
                                 "criteria": {}}, max_rows=10_000, max_bytes=10_000_000).id


def test_no_page_shows_text_from_its_url(client, db, settings, make_user, sign_in, actor_of):
    make_user("tester", "te_engineer")
    make_user("adm", "admin")
    run_id = _run(db, settings, actor_of("tester"))
    q = CRAFTED.replace(" ", "%20")
    assert sign_in("tester").status_code == 303
    for path in (f"/evaluation?error={q}", f"/evaluation/runs/{run_id}?error={q}", f"/account?done={q}"):
        r = client.get(path)
        assert r.status_code == 200 and CRAFTED not in r.text, path
    # the attachment refused: the run's page at once, with the error, no redirect
    page = client.get(f"/evaluation/runs/{run_id}")
    r = client.post(f"/evaluation/runs/{run_id}/attach", data={"business_id": "", "csrf_token": csrf_from(page.text)},
                    follow_redirects=False)
    assert r.status_code == 422 and "location" not in r.headers and "give the use case&#39;s id" in r.text
    client.cookies.clear()
    assert sign_in("adm").status_code == 303
    for path in (f"/admin/users/tester?done={q}", f"/admin/pending-grants?done={q}"):
        r = client.get(path)
        assert r.status_code == 200 and CRAFTED not in r.text, path
    assert "The account is unlocked." in client.get("/admin/users/tester?done=unlock").text  # a known code still speaks
