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
override rate, read from the per-reviewer daily counts (``OperatorCount``), busiest reviewers first, at most
``MAX_OPERATORS`` (``operators_total`` says how many reviewed in the range); ``operator=`` keeps one."""

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
            row = out[_start(day, bucket)]
            if measure == "appeal_filed":
                row["appeals"] += int(n)
            elif measure in ("appeal_upheld", "appeal_modified", "appeal_reversed"):
                row["appeals_decided"] += int(n)
                if measure == "appeal_reversed":
                    row["appeals_reversed"] += int(n)
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


def operator_series(rows: Iterable[tuple], since: dt.date, until: dt.date, bucket: str,
                    limit: int = MAX_OPERATORS) -> tuple[list[dict], int]:
    """(operators, how many reviewed in the range). `rows`: (reviewer, day, human_action, n) rows of the
    per-reviewer daily counts; rows outside the range, and "none", are ignored. Each operator: ``reviewer``, the
    range's counts and ``override_rate``, and ``series`` (every bucket, zeros included). Busiest first, then by
    name; at most `limit`. Pure."""
    per: dict[str, dict[dt.date, dict]] = {}
    for reviewer, day, action, n in rows:
        if not since <= day <= until or action == HumanAction.NONE or not reviewer:
            continue
        buckets = per.get(reviewer)
        if buckets is None:
            buckets = per[reviewer] = _buckets(since, until, bucket, OPERATOR_COUNTS)
        row = buckets[_start(day, bucket)]
        row["reviewed"] += int(n)
        row["accepted" if action == HumanAction.ACCEPTED else str(action)] += int(n)
    out = []
    for reviewer, buckets in per.items():
        series_ = [{**r, "override_rate": _rate(r["overrode"], r["reviewed"])} for r in buckets.values()]
        totals = {k: sum(r[k] for r in series_) for k in OPERATOR_COUNTS}
        out.append({"reviewer": reviewer, **totals, "override_rate": _rate(totals["overrode"], totals["reviewed"]),
                    "series": series_})
    out.sort(key=lambda o: (-o["reviewed"], o["reviewer"]))
    return out[:limit], len(out)


def trends(session: Session, actor: Actor, business_id: str, since=None, until=None, bucket=None,
           today: dt.date | None = None, operator: str | None = None) -> dict:
    """A use case's oversight signals per bucket over [since, until] (``parse_range``), with the permission the
    statistics use (oversight.decision.read on the use case's component)."""
    since, until, bucket = parse_range(since, until, bucket, today)
    uc = use_case(session, business_id)
    require(actor, READ, component_of(uc))
    daily = session.execute(
        select(DailyCount.day, DailyCount.outcome, DailyCount.human_action, func.sum(DailyCount.count))
        .where(DailyCount.use_case_id == uc.id, DailyCount.day >= since, DailyCount.day <= until)
        .group_by(DailyCount.day, DailyCount.outcome, DailyCount.human_action)).all()
    remedy = session.execute(
        select(RemedyCount.day, RemedyCount.measure, func.sum(RemedyCount.count))
        .where(RemedyCount.use_case_id == uc.id, RemedyCount.day >= since, RemedyCount.day <= until,
               RemedyCount.measure.like("appeal_%"))
        .group_by(RemedyCount.day, RemedyCount.measure)).all()
    rows = series(daily, remedy, since, until, bucket)
    totals = {k: sum(r[k] for r in rows) for k in COUNTS}
    q = (select(OperatorCount.reviewer, OperatorCount.day, OperatorCount.human_action, func.sum(OperatorCount.count))
         .where(OperatorCount.use_case_id == uc.id, OperatorCount.day >= since, OperatorCount.day <= until)
         .group_by(OperatorCount.reviewer, OperatorCount.day, OperatorCount.human_action))
    if operator:
        q = q.where(OperatorCount.reviewer == str(operator).strip())
    operators, n_operators = operator_series(session.execute(q).all(), since, until, bucket)
    return {"use_case": uc.business_id, "since": since, "until": until, "bucket": bucket, "totals": totals,
            "series": rows, "operators": operators, "operators_total": n_operators}
