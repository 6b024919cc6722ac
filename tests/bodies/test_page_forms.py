"""The bodies' page forms not walked in Chromium (tests/e2e/test_bodies_forms_walk.py walks the others): a meeting
cancelled with its reason (refused without one, at the field), attendance refused with the boxes as ticked, and
the record keeper's rule on the pages (a reviewer reads the meeting and sees no form)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from raigov.bodies import service as bodies
from raigov.clock import agency_today
from tests.bodies.test_service import RUG, cast  # noqa: F401  (the fixture)
from tests.web.conftest import app, client, csrf_from, sign_in  # noqa: F401  (the web fixtures)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_cancel_a_meeting_and_keep_what_was_ticked(db, cast, client, sign_in, make_user):  # noqa: F811
    make_user("keeper", "caio")
    make_user("reader", "privacy_reviewer")
    with db.transaction() as s:
        for seat, user in RUG.items():
            bodies.appoint(s, cast["caio"], "rug", seat, user, since=agency_today() - dt.timedelta(days=30))
        m = bodies.schedule(s, cast["caio"], "rug", title="Monthly", starts_at=dt.datetime.combine(agency_today(), dt.time(9)))
        mid = m.id
    sign_in("keeper")
    page = client.get(f"/bodies/meetings/{mid}")
    token = csrf_from(page.text)
    r = client.post(f"/bodies/meetings/{mid}/cancel", data={"csrf_token": token, "reason": " "})
    assert r.status_code == 422 and 'id="f-reason-error"' in r.text and "say why the meeting is cancelled" in r.text
    assert re.search(r'<details id="cancel" open>', r.text)
    # attendance of someone who is not a member: refused at the field, the boxes as ticked
    r = client.post(f"/bodies/meetings/{mid}/attendance", data={"csrf_token": token, "present": ["counsel", "stranger"]})
    assert r.status_code == 422 and 'id="f-present-error"' in r.text and "stranger" in r.text
    assert re.search(r'value="counsel" checked', r.text) and not re.search(r'value="rug" checked', r.text)
    r = client.post(f"/bodies/meetings/{mid}/cancel", data={"csrf_token": token, "reason": "no quorum expected"},
                    follow_redirects=True)
    assert r.status_code == 200 and "The meeting is cancelled." in r.text and "Cancel the meeting</button>" not in r.text
    sign_in("reader")
    page = client.get(f"/bodies/meetings/{mid}")
    assert page.status_code == 200 and "<form" not in page.text.split("<main", 1)[1].split("</main>")[0]
