"""RAIGOV_NOTICE_DIGEST=daily on SQLite and PostgreSQL: one e-mail per recipient per day listing that day's
notices, each notice marked sent with its digest; sent once however often and on however many hosts the jobs
run; `off` (the default) keeps one e-mail per notice."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from raigov.config import Settings
from raigov.db.engine import Database
from raigov.jobs import service as jobs
from raigov.jobs.models import Notice
from tests.jobs.test_jobs import SYSTEM, TODAY, _smtp, run_on_hosts, sink  # noqa: F401 - fixture

DAY = TODAY.isoformat()


@pytest.fixture
def five(db, settings, make_user):
    """Five notices for two recipients (three for the CAIO, two for a lead), as the clocks' rows would be."""
    make_user("the.caio", "caio", password=False)
    make_user("cbp.lead", "component_ai_lead@CBP", password=False)
    from raigov.identity.models import User

    with db.transaction() as s:
        for u in s.scalars(select(User).where(User.username.in_(("the.caio", "cbp.lead")))):
            u.email = f"{u.username}@example.gov"
        now = dt.datetime.now(dt.UTC)
        for i, (user, level) in enumerate([("the.caio", "reminder"), ("the.caio", "escalation"), ("the.caio", "reminder"),
                                           ("cbp.lead", "reminder"), ("cbp.lead", "reminder")]):
            s.add(Notice(key=f"hand:{i}:to:{user}", kind="practice_due", level=level, recipient=f"{user}@example.gov",
                         recipient_user=user, subject=f"[raigov] notice {i}", body=f"body of notice {i}\n",
                         object_type="practice", object_id=str(1000 + i), created_at=now))


def _daily(settings, sink) -> Settings:  # noqa: F811
    return _smtp(settings, sink).model_copy(update={"notice_digest": "daily"})


def test_setting_defaults_to_off(monkeypatch, tmp_path):
    monkeypatch.delenv("RAIGOV_NOTICE_DIGEST", raising=False)
    assert Settings(data_dir=tmp_path).notice_digest == "off"
    monkeypatch.setenv("RAIGOV_NOTICE_DIGEST", "daily")
    assert Settings(data_dir=tmp_path).notice_digest == "daily"
    monkeypatch.setenv("RAIGOV_NOTICE_DIGEST", "weekly")
    with pytest.raises(ValueError):
        Settings(data_dir=tmp_path)


def test_five_notices_two_recipients_two_digests(db, settings, five, sink):  # noqa: F811
    st = _daily(settings, sink)
    first = jobs.run(db, SYSTEM, st, today=TODAY)
    assert sorted((m["To"], m["Subject"]) for _, _, m in sink.messages) == [
        ("cbp.lead@example.gov", f"raigov: 2 notices for {DAY}"),
        ("the.caio@example.gov", f"raigov: 3 notices for {DAY}")]
    assert sorted((g["key"], g["count"]) for g in first.digests) == [
        (f"digest:cbp.lead:{DAY}", 2), (f"digest:the.caio:{DAY}", 3)]
    assert sorted(first.sent) == sorted(f"hand:{i}:to:{u}" for i, u in enumerate(["the.caio"] * 3 + ["cbp.lead"] * 2))
    caio_mail = next(m for _, _, m in sink.messages if m["To"] == "the.caio@example.gov")
    body = caio_mail.get_content()
    assert all(f"[raigov] notice {i}" in body and f"body of notice {i}" in body for i in range(3))
    assert "notice 3" not in body and caio_mail["X-Raigov-Notice"] == f"digest:the.caio:{DAY}"
    with db.transaction() as s:
        digests = {n.recipient_user: n for n in s.scalars(select(Notice).where(Notice.object_type == "digest"))}
        assert {u: (d.sent_at is not None, d.level, d.subject) for u, d in digests.items()} == {
            "the.caio": (True, "escalation", f"raigov: 3 notices for {DAY}"),
            "cbp.lead": (True, "reminder", f"raigov: 2 notices for {DAY}")}
        for n in s.scalars(select(Notice).where(Notice.key.like("hand:%"))):
            assert n.sent_at is not None and n.claimed_by == f"digest:{digests[n.recipient_user].id}"
    # again, the same day or the day after: nothing more
    for day in (TODAY, TODAY + dt.timedelta(days=1)):
        again = jobs.run(db, SYSTEM, st, today=day)
        assert again.sent == [] and again.digests == [] and again.pending_total == 0
    assert len(sink.messages) == 2
    # the page shows each notice with the digest that carried it
    with db.transaction() as s:
        from raigov.identity import service as identity

        caio = identity.actor_for(s, identity.get_user(s, "the.caio"))
        page = jobs.list_notices(s, caio, jobs.NoticeFilter(kind="practice_due"))
        assert {r.digest_id for r in page.rows} == {d.id for d in digests.values()}


def test_a_new_notice_goes_in_the_next_days_digest(db, settings, five, sink):  # noqa: F811
    st = _daily(settings, sink)
    jobs.run(db, SYSTEM, st, today=TODAY)
    with db.transaction() as s:
        s.add(Notice(key="hand:late:to:the.caio", kind="review_overdue", level="escalation",
                     recipient="the.caio@example.gov", recipient_user="the.caio", subject="[raigov] late",
                     body="late\n", object_type="review", object_id="9"))
    assert jobs.run(db, SYSTEM, st, today=TODAY).sent == []  # today's digest went out already
    nxt = jobs.run(db, SYSTEM, st, today=TODAY + dt.timedelta(days=1))
    assert nxt.sent == ["hand:late:to:the.caio"]
    assert sink.messages[-1][2]["Subject"] == f"raigov: 1 notice for {(TODAY + dt.timedelta(days=1)).isoformat()}"
    assert len(sink.messages) == 3


def test_a_failed_digest_is_retried_once(db, settings, five, sink):  # noqa: F811
    st = _daily(settings, sink)
    sink.refuse = {"cbp.lead@example.gov"}
    first = jobs.run(db, SYSTEM, st, today=TODAY)
    assert [f["key"] for f in first.failed] == [f"digest:cbp.lead:{DAY}"]
    with db.transaction() as s:
        rows = s.execute(select(Notice.sent_at, Notice.claimed_by, Notice.last_error)
                         .where(Notice.recipient_user == "cbp.lead")).all()
        assert len(rows) == 3 and all(t is None and c is None and "550" in e for t, c, e in rows)
    sink.refuse = set()
    second = jobs.run(db, SYSTEM, st, today=TODAY + dt.timedelta(days=1))  # yesterday's digest, not a new one
    assert [(g["key"], g["count"]) for g in second.digests] == [(f"digest:cbp.lead:{DAY}", 2)]
    assert sorted(m["To"] for _, _, m in sink.messages) == ["cbp.lead@example.gov", "the.caio@example.gov"]
    with db.transaction() as s:
        assert s.scalar(select(Notice.id).where(Notice.sent_at.is_(None))) is None


def test_two_hosts_send_each_digest_once(db, settings, five, sink):  # noqa: F811
    st = _daily(settings, sink)
    hosts = [Database(db.url), Database(db.url)]
    try:
        for day in (TODAY, TODAY + dt.timedelta(days=1)):
            results = run_on_hosts(hosts, st, day)
            sent = [k for r in results for k in r.sent]
            assert len(sent) == len(set(sent))
    finally:
        for h in hosts:
            h.dispose()
    keys = sorted(m["X-Raigov-Notice"] for _, _, m in sink.messages)
    assert keys == [f"digest:cbp.lead:{DAY}", f"digest:the.caio:{DAY}"]
    with db.transaction() as s:
        assert s.scalar(select(Notice.id).where(Notice.sent_at.is_(None))) is None
        assert s.scalar(select(Notice.id).where(Notice.object_type == "digest").order_by(Notice.id.desc())) is not None
        assert len(s.scalars(select(Notice.key).where(Notice.object_type == "digest")).all()) == 2


def test_off_keeps_one_mail_per_notice(db, settings, five, sink):  # noqa: F811
    st = _smtp(settings, sink)
    assert st.notice_digest == "off"
    first = jobs.run(db, SYSTEM, st, today=TODAY)
    assert len(first.sent) == 5 and first.digests == []
    assert sorted(m["X-Raigov-Notice"] for _, _, m in sink.messages) == sorted(
        f"hand:{i}:to:{u}" for i, u in enumerate(["the.caio"] * 3 + ["cbp.lead"] * 2))
    with db.transaction() as s:
        assert s.scalar(select(Notice.id).where(Notice.object_type == "digest")) is None
