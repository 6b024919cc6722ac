"""The remedy counts (``oversight_remedy_counts``): per use case, agency day and measure, added to in the
transaction that records what they count (the same upsert as the daily counts), and read for a use case's
statistics without scanning the ledger or the appeals.

Measures: ``notice_owed`` (recorded decisions of a kind remedies.yaml says must be noticed), ``notice_missing``
(of those, recorded without ``notice.given: true``: the notice gap), ``appeal_filed``, ``appeal_upheld``,
``appeal_modified``, ``appeal_reversed`` (by the day the appeal was filed or decided)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.clock import agency_today
from raigov.oversight.counts import upsert_add
from raigov.oversight.remedies import remedies
from raigov.oversight.remedy_models import RemedyCount

KEY = ("use_case_id", "day", "measure")
MEASURES = ("notice_owed", "notice_missing", "appeal_filed", "appeal_upheld", "appeal_modified", "appeal_reversed")


def add(session: Session, counts: Counter) -> None:
    """Add `counts` ({(use_case_id, day, measure): n}); keys in a fixed order (no deadlock between writers)."""
    upsert_add(session, RemedyCount, KEY, counts)


def notice_counts(rows: list[dict]) -> Counter:
    """The notices owed and missing among prepared ledger rows, as {(use_case_id, day, measure): n}."""
    owed_kinds = remedies().notice_kinds
    c: Counter = Counter()
    for r in rows:
        if r["kind"] in owed_kinds:
            day = r["_day"] if "_day" in r else agency_today(now=r["decided_at"])
            c[(r["use_case_id"], day, "notice_owed")] += 1
            if not (r.get("notice") or {}).get("given"):
                c[(r["use_case_id"], day, "notice_missing")] += 1
    return c


def stats(session: Session, use_case_id: int, since: dt.date | None = None, until: dt.date | None = None,
          today: dt.date | None = None) -> dict:
    """Notices owed and missing, appeals filed and decided by outcome, the reversal rate of decided appeals, and
    whether the reversals of the last window reach the threshold (remedies.yaml)."""
    where = [RemedyCount.use_case_id == use_case_id]
    if since is not None:
        where.append(RemedyCount.day >= since)
    if until is not None:
        where.append(RemedyCount.day <= until)
    got = {m: 0 for m in MEASURES}
    for measure, n in session.execute(select(RemedyCount.measure, func.sum(RemedyCount.count)).where(*where)
                                      .group_by(RemedyCount.measure)):
        got[measure] = int(n)
    decided = got["appeal_upheld"] + got["appeal_modified"] + got["appeal_reversed"]
    r = remedies()
    today = today or agency_today()
    recent = reversals_since(session, use_case_id, today - dt.timedelta(days=r.reversal_window_days - 1))
    return {**got, "appeals_decided": decided,
            "reversal_rate": round(got["appeal_reversed"] / decided, 6) if decided else None,
            "reversals_in_window": recent, "reversal_window_days": r.reversal_window_days,
            "reversal_threshold": r.reversal_threshold, "reversal_alert": recent >= r.reversal_threshold}


def reversals_since(session: Session, use_case_id: int, since: dt.date) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(RemedyCount.count), 0)).where(
        RemedyCount.use_case_id == use_case_id, RemedyCount.measure == "appeal_reversed", RemedyCount.day >= since)))
