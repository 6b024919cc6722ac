"""iCalendar (RFC 5545) text of meetings, written by hand: pure. Text values are escaped (backslash, semicolon,
comma, newline: §3.3.11), lines are folded at 75 octets without splitting a UTF-8 character (§3.1), lines end
with CRLF, times are UTC."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

PRODID = "-//raigov//governance bodies//EN"


@dataclass(frozen=True)
class Event:
    uid: str
    starts_at: dt.datetime  # aware
    minutes: int
    summary: str
    location: str = ""
    description: str = ""
    cancelled: bool = False


def escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """The content line folded into lines of at most 75 octets, continuation lines starting with a space."""
    out, cur, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > 75:
            out.append(cur)
            cur, size = " ", 1
        cur += ch
        size += n
    out.append(cur)
    return "\r\n".join(out)


def _utc(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(events: Iterable[Event], stamp: dt.datetime) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for e in events:
        lines += ["BEGIN:VEVENT", f"UID:{e.uid}", f"DTSTAMP:{_utc(stamp)}", f"DTSTART:{_utc(e.starts_at)}",
                  f"DTEND:{_utc(e.starts_at + dt.timedelta(minutes=e.minutes))}", f"SUMMARY:{escape(e.summary)}"]
        if e.location:
            lines.append(f"LOCATION:{escape(e.location)}")
        if e.description:
            lines.append(f"DESCRIPTION:{escape(e.description)}")
        lines += [f"STATUS:{'CANCELLED' if e.cancelled else 'CONFIRMED'}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
