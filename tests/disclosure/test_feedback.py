"""Public feedback on both databases: bad input gets a clear answer naming the field (empty, oversize, binary,
script tags), the per-client limit holds (5 an hour, then 429 until the oldest is an hour old), personal
information is masked before it is stored and the sender is warned, the message goes to the owning component's
queue only, staff triage, respond (published or not) and close; the response clock and the dashboard counts; the
public form without JavaScript, its honeypot, and nothing a sender writes is rendered unescaped."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from raigov.audit.models import AuditEvent
from raigov.disclosure.feedback import clock
from raigov.disclosure.feedback import service as feedback
from raigov.disclosure.feedback.models import Feedback
from raigov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests.disclosure.published import publish
from tests.oversight.conftest import people, use_cases  # noqa: F401  (fixtures)
from tests.web.conftest import app, client, csrf_from, sign_in  # noqa: F401  (fixtures)

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
SECRET = b"k" * 32


def test_submit_checks_limits_masks_and_routes(db, settings, people, use_cases):  # noqa: F811
    fr = use_cases["fr"]
    cases = [("", "empty"), ("   \n ", "empty"), ("x" * 4001, "too_long"), ("abc\x00def", "binary"),
             (b"\xff\xfe\x00binary", "binary"), ("hello <script>alert(1)</script>", "markup"),
             ("<b>bold</b>", "markup")]
    for text, code in cases:
        with db.transaction() as s, pytest.raises(ValidationFailed) as exc:
            feedback.submit(s, SECRET, fr, text, "203.0.113.9", now=T0)
        assert (exc.value.errors[0].field, exc.value.errors[0].code) == ("text", code), text
    assert "4,001" in _error(db, "x" * 4001, fr)
    with db.transaction() as s, pytest.raises(NotFound):
        feedback.submit(s, SECRET, "DHS-9999", "hello", "203.0.113.9", now=T0)
    # a plain comparison with < is not markup; the SSN and the phone number are masked before storing
    with db.transaction() as s:
        row = feedback.submit(s, SECRET, fr, "Wait times < 5 min? My SSN 212-58-3921, call (202) 555-0143.",
                              "203.0.113.9", now=T0)
        assert row.body == "Wait times < 5 min? My SSN [US_SSN], call [PHONE_NUMBER]."
        assert row.masked == {"US_SSN": 1, "PHONE_NUMBER": 1} and row.component == "CBP" and row.status == "new"
        assert "212-58-3921" not in s.scalar(select(AuditEvent.details).where(AuditEvent.action == "disclosure.feedback.submit"))
    # the limit: 5 an hour per client (1 sent above), another client is not held back
    for i in range(4):
        with db.transaction() as s:
            feedback.submit(s, SECRET, fr, f"message {i}", "203.0.113.9", now=T0 + dt.timedelta(minutes=i + 1))
    with db.transaction() as s, pytest.raises(feedback.TooMany) as exc:
        feedback.submit(s, SECRET, fr, "one too many", "203.0.113.9", now=T0 + dt.timedelta(minutes=10))
    assert exc.value.status == 429 and exc.value.retry_after == 50 * 60 + 1 and "5 messages" in exc.value.detail
    with db.transaction() as s:
        feedback.submit(s, SECRET, fr, "another person", "198.51.100.7", now=T0 + dt.timedelta(minutes=10))
        feedback.submit(s, SECRET, fr, "an hour later", "203.0.113.9", now=T0 + dt.timedelta(minutes=60, seconds=1))
        assert s.query(Feedback).count() == 7
        assert len({r.client for r in s.scalars(select(Feedback))}) == 2  # keyed hashes, never the address
        assert "203.0.113.9" not in {r.client for r in s.scalars(select(Feedback))}


def _error(db, text, bid):
    with db.transaction() as s, pytest.raises(ValidationFailed) as exc:
        feedback.submit(s, SECRET, bid, text, "192.0.2.1", now=T0)
    return exc.value.errors[0].message


def test_queue_triage_respond_close_clock_and_panel(db, settings, people, use_cases):  # noqa: F811
    fr = use_cases["fr"]
    with db.transaction() as s:
        a = feedback.submit(s, SECRET, fr, "Is a person checking every no-match?", "192.0.2.1", now=T0).id
        b = feedback.submit(s, SECRET, fr, "Thanks.", "192.0.2.2", now=T0 + dt.timedelta(days=20)).id
    with db.transaction() as s:
        assert [f.id for f, _ in feedback.queue(s, people["lead"])] == [b, a]  # CBP's lead: CBP's queue
        assert [f.id for f, _ in feedback.queue(s, people["caio"])] == [b, a]
        assert feedback.queue(s, people["tsa.lead"]) == []  # TSA's lead sees nothing of CBP's
        with pytest.raises(PermissionDenied):
            feedback.get(s, people["tsa.lead"], a)
        with pytest.raises(PermissionDenied):
            feedback.queue(s, people["auditor"])
    # the clock: due 30 days after the agency day of receipt (2 Nov -> 2 Dec); reminder from 7 days before
    with db.transaction() as s:
        assert clock.due(s, dt.date(2026, 11, 24), settings) == []
        (n,) = clock.due(s, dt.date(2026, 11, 25), settings)
        assert (n.level, n.due_on, [r.username for r in n.recipients]) == ("reminder", dt.date(2026, 12, 2), ["lead"])
        late = clock.due(s, dt.date(2026, 12, 3), settings)
        assert [(x.object_id, x.level) for x in late] == [(str(a), "escalation")]
        assert {r.username for r in late[0].recipients} == {"lead", "caio"}
        items = clock.tasks(s, people["lead"], dt.date(2026, 12, 3))  # the home page's task: oldest first
        assert [(i.href, i.due, i.overdue) for i in items] == [(f"/feedback/{a}", dt.date(2026, 12, 2), True),
                                                               (f"/feedback/{b}", dt.date(2026, 12, 22), False)]
        assert clock.tasks(s, people["tsa.lead"], dt.date(2026, 12, 3)) == []
    with db.transaction() as s:
        with pytest.raises(ValidationFailed) as exc:
            feedback.triage(s, people["lead"], a, "gossip")
        assert exc.value.errors[0].field == "topic"
        feedback.triage(s, people["lead"], a, "question", "ask the port director", version=1)
    with db.transaction() as s, pytest.raises(Conflict, match="someone else"):
        feedback.respond(s, people["lead"], a, "Yes.", version=1)
    with db.transaction() as s:
        feedback.respond(s, people["lead"], a, "Yes: an officer reviews every no-match.", publish=True, version=2,
                         settings=settings)
        feedback.close(s, people["caio"], b)
    with db.transaction() as s:
        assert clock.due(s, dt.date(2026, 12, 3), settings) == []  # answered and closed: nothing due
        assert [f.response for f in feedback.published(s, fr)] == ["Yes: an officer reviews every no-match."]
        with pytest.raises(Conflict, match="closed"):
            feedback.respond(s, people["caio"], b, "late")
        panel = clock.panel(s, people["lead"])
        assert panel["rows"] == [{"business_id": fr, "name": "Biometric entry-exit face matching", "open": 0,
                                  "responded": 1, "closed": 1}]
        assert clock.panel(s, people["tsa.lead"])["rows"] == []
        actions = [x for (x,) in s.execute(select(AuditEvent.action).where(AuditEvent.action.like("disclosure.feedback.%"))
                                           .order_by(AuditEvent.seq))]
    assert actions == ["disclosure.feedback.submit"] * 2 + ["disclosure.feedback.triage", "disclosure.feedback.respond",
                                                            "disclosure.feedback.close"]


def test_public_form_and_staff_pages(db, settings, make_user, people, use_cases, client, sign_in):  # noqa: F811
    fr = use_cases["fr"]
    url = f"/public/use-cases/{fr}/feedback"
    # only a use case of the public site takes feedback: the other ("low") is not published
    assert client.get(url).status_code == 404
    publish(db, settings, {fr: "Biometric entry-exit face matching"})
    assert client.get(f"/public/use-cases/{use_cases['low']}/feedback").status_code == 404
    page = client.get(url)
    assert page.status_code == 200 and 'name="website"' in page.text and 'tabindex="-1"' in page.text
    token = csrf_from(page.text)
    r = client.post(url, data={"text": "<script>alert('x')</script>", "csrf_token": token})
    assert r.status_code == 422 and 'id="fb-text-error"' in r.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in r.text and "<script>alert('x')" not in r.text
    r = client.post(url, data={"text": "", "csrf_token": token})
    assert r.status_code == 422 and "write your feedback" in r.text
    r = client.post(url, data={"text": "x" * 5000, "csrf_token": token})
    assert r.status_code == 422 and "at most 4,000 characters" in r.text
    r = client.post(url, data={"text": "buy pills", "website": "http://spam.example", "csrf_token": token})
    assert r.status_code == 422 and "could not be accepted" in r.text
    r = client.post(url, data={"text": "No CSRF"})
    assert r.status_code == 403
    r = client.post(url, data={"text": "Call me on (202) 555-0143 about \"the queue\" & <this>", "csrf_token": token})
    assert r.status_code == 422  # <this> is a tag
    # personal information: the sender is warned first (nothing stored), then may send it replaced
    said = "Call me on (202) 555-0143 about \"the queue\" & the wait"
    r = client.post(url, data={"text": said, "csrf_token": token})
    assert r.status_code == 200 and "seems to hold personal information" in r.text and "a phone number" in r.text
    assert 'name="pii_ack" value="1"' in r.text and "555-0143" in r.text  # kept in the form, for the sender to edit
    with db.transaction() as s:
        assert s.scalars(select(Feedback)).all() == []
    r = client.post(url, data={"text": said, "pii_ack": "1", "csrf_token": token})
    assert r.status_code == 200 and "your message was received" in r.text and "a phone number" in r.text
    assert client.get("/public/use-cases/DHS-9999/feedback").status_code == 404
    with db.transaction() as s:
        (row,) = s.scalars(select(Feedback)).all()
        fid = row.id
    make_user("cbp.staff", "component_ai_lead@CBP")
    assert sign_in("cbp.staff").status_code == 303
    q = client.get("/feedback")
    assert q.status_code == 200 and f'href="/feedback/{fid}"' in q.text and "[PHONE_NUMBER]" in q.text
    d = client.get(f"/feedback/{fid}")
    assert "&#34;the queue&#34; &amp; the wait" in d.text or "&quot;the queue&quot; &amp; the wait" in d.text
    r = client.post(f"/feedback/{fid}/respond", data={"response": "", "version": "1", "csrf_token": csrf_from(d.text)})
    assert r.status_code == 422 and 'id="fb-response-error"' in r.text
    r = client.post(f"/feedback/{fid}/respond", data={"response": "We answer <b>every</b> message.", "publish": "1",
                                                       "version": "1", "csrf_token": csrf_from(d.text)},
                    follow_redirects=True)
    assert r.status_code == 200 and "Response saved." in r.text
    pub = client.get(url)
    assert "We answer &lt;b&gt;every&lt;/b&gt; message." in pub.text and "<b>every</b>" not in pub.text
    # binary and NUL characters: a clear answer at the field (NUL: refused for every form, web/deps.py)
    client.cookies.clear()
    token = csrf_from(client.get(url).text)
    r = client.post(url, data={"text": "abc\x01\x02def", "csrf_token": token})
    assert r.status_code == 422 and "control characters or binary data" in r.text and 'id="fb-text-error"' in r.text
    r = client.post(url, data={"text": "abc\x00def", "csrf_token": token})
    assert r.status_code in (400, 422) and "\x00" not in r.text
    # many at once: the sixth message of the hour from one client gets 429, Retry-After and the minutes to wait
    for i in range(4):
        assert client.post(url, data={"text": f"message {i}", "csrf_token": token}).status_code == 200
    r = client.post(url, data={"text": "one more", "csrf_token": token})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0 and "Please wait" in r.text
    assert 'role="alert"' in r.text and "one more" in r.text  # the text is kept in the form to send later
