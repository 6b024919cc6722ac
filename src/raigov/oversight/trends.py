"""Oversight signals over time (issue #15 item 6): per agency day or ISO week of a use case, the decisions recorded,
the attempts refused, the share a person reviewed, the override rate, the appeals filed, the appeal rate and the
reversal rate. Read from the daily counts and the remedy counts alone, aggregated in SQL by day (never the
ledger); ``series`` turns those rows into buckets and is pure.

A bucket is an agency day, or an ISO week (Monday to Sunday) clipped to the range, so the first and last weeks may
be shorter; every bucket of the range is present, with zeros where nothing was counted. Rates (null where their
denominator is 0): ``review_share`` = reviewed / recorded, ``override_rate`` = overrode / reviewed,
``refused_share`` = refused / (recorded + refused), ``appeal_rate`` = appeals filed / recorded (in the same bucket:
the appeals of a bucket contest decisions of earlier ones, so it is a rate of the flow, not of a cohort),
``reversal_rate`` = reversed / decided appeals.

Per operator (``operators``): each reviewer's decisions reviewed, modified and overridden per bucket and their
override rate, read from the per-reviewer daily counts (``OperatorCount``), and the appeals against the decisions
they reviewed, with the conventions of the use case's series: ``appeals`` by the agency day the appeal was filed,
``appeals_decided`` (upheld, modified or reversed) and ``appeals_reversed`` by the day it was decided (so an appeal
filed in one bucket may be decided in a later one); ``appeal_rate`` = appeals filed / the operator's decisions
reviewed in the same bucket (a rate of the flow, as above), ``reversal_rate`` = reversed / decided, each null where
its denominator is 0. The appeals are read per reviewer and day in SQL from the appeals, each joined to the one
decision it contests by its primary key (``reads.operator_appeal_days``; the remedy counts carry no reviewer). A
reviewer with appeals in the range but no decision reviewed in it has an entry too (``reviewed`` 0), as in the
statistics' ``by_operator``. Busiest reviewers first, at most ``MAX_OPERATORS`` (``operators_total`` says how many
reviewed, or had appeals, in the range); ``operator=`` keeps one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.clock import agency_today
from raigov.errors import FieldError, ValidationFailed
from raigov.identity.permissions import Actor, require
from raigov.inventory.access import component_of
from raigov.oversight.models import DailyCount, OperatorCount
from raigov.oversight.people import use_case
from raigov.oversight.reads import operator_appeal_days
from raigov.oversight.remedy_models import RemedyCount
from raigov.oversight.vocab import HumanAction, Outcome

READ = "oversight.decision.read"  # the permission the statistics use (reads.READ)
BUCKETS = ("day", "week")
DEFAULT_DAYS = {"day": 30, "week": 91}  # the range when `since` is not given: 30 days, or 13 weeks
MAX_DAYS = {"day": 366, "week": 3 * 366}  # at most a year of days, three years of weeks
COUNTS = ("recorded", "refused", "attempts", "reviewed", "overrode", "modified", "appeals", "appeals_decided",
          "appeals_reversed")
MAX_OPERATORS = 50  # the busiest reviewers of the range, in the answer
OPERATOR_COUNTS = ("reviewed", "accepted", "modified", "overrode")
APPEAL_COUNTS = ("appeals", "appeals_decided", "appeals_reversed")
OPERATOR_RATES = ("override_rate", "appeal_rate", "reversal_rate")
DECIDED = ("appeal_upheld", "appeal_modified", "appeal_reversed")  # the remedy counts' measures of a decided appeal
RATES = ("review_share", "override_rate", "refused_share", "appeal_rate", "reversal_rate")


def _day(value, name: str, errors: list[FieldError]) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.append(FieldError(name, "a date, YYYY-MM-DD", "invalid"))
        return None


def parse_range(since=None, until=None, bucket=None, today: dt.date | None = None) -> tuple[dt.date, dt.date, str]:
    """(since, until, bucket) from what a form, a query or the CLI gave (strings, dates or None): `until` defaults
    to today, `since` to DEFAULT_DAYS before it, `bucket` to day. ValidationFailed names each wrong field:
    ``since``, ``until`` (not a date, before `since`), ``bucket`` (not day or week), and the range too long."""
    errors: list[FieldError] = []
    bucket = str(bucket or "day").strip()
    if bucket not in BUCKETS:
        errors.append(FieldError("bucket", "day or week", "invalid"))
        bucket = "day"
    s, u = _day(since, "since", errors), _day(until, "until", errors)
    if errors:
        raise ValidationFailed(f"{errors[0].field}: {errors[0].message}", errors=errors)
    u = u or today or agency_today()
    s = s or u - dt.timedelta(days=DEFAULT_DAYS[bucket] - 1)
    if s > u:
        raise ValidationFailed.one("until", f"on or after the first day ({s.isoformat()})", "range")
    if (u - s).days + 1 > MAX_DAYS[bucket]:
        raise ValidationFailed.one("since", f"at most {MAX_DAYS[bucket]} days with {bucket} buckets "
                                   f"({'choose weeks or ' if bucket == 'day' else ''}a later first day)", "range")
    return s, u, bucket


def _start(day: dt.date, bucket: str) -> dt.date:
    return day if bucket == "day" else day - dt.timedelta(days=day.weekday())


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 6) if d else None


def _add_appeals(row: dict, measure: str, n: int) -> None:
    """Add a remedy-count measure to a bucket: filed to ``appeals``, decided to ``appeals_decided`` (and reversed to
    ``appeals_reversed``); other measures (notices) are not trends."""
    if measure == "appeal_filed":
        row["appeals"] += n
    elif measure in DECIDED:
        row["appeals_decided"] += n
        if measure == "appeal_reversed":
            row["appeals_reversed"] += n


def series(daily: Iterable[tuple], remedy: Iterable[tuple], since: dt.date, until: dt.date,
           bucket: str) -> list[dict]:
    """The buckets of [since, until]. `daily`: (day, outcome, human_action, n) rows of the daily counts; `remedy`:
    (day, measure, n) rows of the remedy counts. Rows outside the range are ignored. Pure."""
    step = dt.timedelta(days=1 if bucket == "day" else 7)
    out: dict[dt.date, dict] = {}
    b = _start(since, bucket)
    while b <= until:
        start, end = max(b, since), min(b + step - dt.timedelta(days=1), until)
        out[b] = {"start": start, "end": end, **{k: 0 for k in COUNTS}}
        b += step
    for day, outcome, action, n in daily:
        if since <= day <= until:
            row = out[_start(day, bucket)]
            n = int(n)
            row["refused" if outcome == Outcome.REFUSED else "recorded"] += n
            if outcome == Outcome.RECORDED and action != HumanAction.NONE:
                row["reviewed"] += n
                if action in (HumanAction.OVERRODE, HumanAction.MODIFIED):
                    row[str(action)] += n
    for day, measure, n in remedy:
        if since <= day <= until:
            _add_appeals(out[_start(day, bucket)], measure, int(n))
    rows = []
    for row in out.values():
        row["attempts"] = row["recorded"] + row["refused"]
        rows.append({**row, "review_share": _rate(row["reviewed"], row["recorded"]),
                     "override_rate": _rate(row["overrode"], row["reviewed"]),
                     "refused_share": _rate(row["refused"], row["attempts"]),
                     "appeal_rate": _rate(row["appeals"], row["recorded"]),
                     "reversal_rate": _rate(row["appeals_reversed"], row["appeals_decided"])})
    return rows


def _buckets(since: dt.date, until: dt.date, bucket: str, keys: Iterable[str]) -> dict[dt.date, dict]:
    step = dt.timedelta(days=1 if bucket == "day" else 7)
    out: dict[dt.date, dict] = {}
    b = _start(since, bucket)
    while b <= until:
        out[b] = {"start": max(b, since), "end": min(b + step - dt.timedelta(days=1), until), **{k: 0 for k in keys}}
        b += step
    return out


def _operator_rates(r: dict) -> dict:
    return {**r, "override_rate": _rate(r["overrode"], r["reviewed"]), "appeal_rate": _rate(r["appeals"], r["reviewed"]),
            "reversal_rate": _rate(r["appeals_reversed"], r["appeals_decided"])}


def operator_series(rows: Iterable[tuple], since: dt.date, until: dt.date, bucket: str,
                    limit: int = MAX_OPERATORS, appeals: Iterable[tuple] = ()) -> tuple[list[dict], int]:
    """(operators, how many reviewed or had appeals in the range). `rows`: (reviewer, day, human_action, n) rows of
    the per-reviewer daily counts; `appeals`: (reviewer, day, measure, n) rows (``reads.operator_appeal_days``,
    the measures of the remedy counts); rows outside the range, and "none", are ignored. Each operator:
    ``reviewer``, the range's counts and rates (``override_rate``, ``appeal_rate``, ``reversal_rate``), and
    ``series`` (every bucket, zeros included, with the same counts and rates). Busiest first, then by name; at
    most `limit`. Pure."""
    per: dict[str, dict[dt.date, dict]] = {}

    def bucket_of(reviewer: str, day: dt.date) -> dict:
        buckets = per.get(reviewer)
        if buckets is None:
            buckets = per[reviewer] = _buckets(since, until, bucket, (*OPERATOR_COUNTS, *APPEAL_COUNTS))
        return buckets[_start(day, bucket)]

    for reviewer, day, action, n in rows:
        if not since <= day <= until or action == HumanAction.NONE or not reviewer:
            continue
        row = bucket_of(reviewer, day)
        row["reviewed"] += int(n)
        row["accepted" if action == HumanAction.ACCEPTED else str(action)] += int(n)
    for reviewer, day, measure, n in appeals:
        if since <= day <= until and reviewer:
            _add_appeals(bucket_of(reviewer, day), measure, int(n))
    out = []
    for reviewer, buckets in per.items():
        series_ = [_operator_rates(r) for r in buckets.values()]
        totals = {k: sum(r[k] for r in series_) for k in (*OPERATOR_COUNTS, *APPEAL_COUNTS)}
        rates = _operator_rates(totals)
        out.append({"reviewer": reviewer, **rates, "series": series_})
    out.sort(key=lambda o: (-o["reviewed"], o["reviewer"]))
    return out[:limit], len(out)


def use_case_series(session: Session, use_case_id: int, since: dt.date, until: dt.date, bucket: str) -> list[dict]:
    """``series`` of a use case over [since, until], its daily and remedy counts aggregated in SQL by day. No
    permission check: for callers that made theirs (``trends``, the monthly summary)."""
    daily = session.execute(
        select(DailyCount.day, DailyCount.outcome, DailyCount.human_action, func.sum(DailyCount.count))
        .where(DailyCount.use_case_id == use_case_id, DailyCount.day >= since, DailyCount.day <= until)
        .group_by(DailyCount.day, DailyCount.outcome, DailyCount.human_action)).all()
    remedy = session.execute(
        select(RemedyCount.day, RemedyCount.measure, func.sum(RemedyCount.count))
        .where(RemedyCount.use_case_id == use_case_id, RemedyCount.day >= since, RemedyCount.day <= until,
               RemedyCount.measure.like("appeal_%"))
        .group_by(RemedyCount.day, RemedyCount.measure)).all()
    return series(daily, remedy, since, until, bucket)


def trends(session: Session, actor: Actor, business_id: str, since=None, until=None, bucket=None,
           today: dt.date | None = None, operator: str | None = None) -> dict:
    """A use case's oversight signals per bucket over [since, until] (``parse_range``), with the permission the
    statistics use (oversight.decision.read on the use case's component)."""
    since, until, bucket = parse_range(since, until, bucket, today)
    uc = use_case(session, business_id)
    require(actor, READ, component_of(uc))
    rows = use_case_series(session, uc.id, since, until, bucket)
    totals = {k: sum(r[k] for r in rows) for k in COUNTS}
    q = (select(OperatorCount.reviewer, OperatorCount.day, OperatorCount.human_action, func.sum(OperatorCount.count))
         .where(OperatorCount.use_case_id == uc.id, OperatorCount.day >= since, OperatorCount.day <= until)
         .group_by(OperatorCount.reviewer, OperatorCount.day, OperatorCount.human_action))
    operator = str(operator).strip() if operator else None  # None: every reviewer
    if operator is not None:
        q = q.where(OperatorCount.reviewer == operator)
    operators, n_operators = operator_series(session.execute(q).all(), since, until, bucket,
                                             appeals=operator_appeal_days(session, uc.id, since, until, operator))
    return {"use_case": uc.business_id, "since": since, "until": until, "bucket": bucket, "totals": totals,
            "series": rows, "operators": operators, "operators_total": n_operators}
