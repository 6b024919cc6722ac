"""Normalisation of single cells against the field catalogue. Pure functions, no I/O.

Every function returns the normalised value and a list of ``Note``s (severity, code, message,
action) that the reader turns into ``Problem``s with the row and column attached. The raw text
is never lost: the reader keeps it beside the value wherever the two differ.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
from typing import Any, NamedTuple

from raigov.inventory.catalog import Field, text_key


class Note(NamedTuple):
    severity: str  # error | warning | info
    code: str
    message: str
    action: str


NA_TOKENS = {"n/a", "na", "n.a.", "not applicable", "none", "-", "--", "tbd"}
MAX_LIST_TEXT = 20_000  # longest multi-select cell parsed as a list literal

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp][Mm]))?)?$")
_MY = re.compile(r"^(\d{1,2})[/-](\d{4})$")
_YM = re.compile(r"^(\d{4})[/-](\d{1,2})$")
_Y = re.compile(r"^(\d{4})$")
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3,9})\.?,?\s+(\d{4})$")
_AMBIG_A = re.compile(r"^([A-Za-z]{3,9})[- ](\d{2})$")  # Jul-25: July 2025, or 25 July?
_AMBIG_B = re.compile(r"^(\d{1,2})[- ]([A-Za-z]{3,9})$")  # 22-Jul: 22 July (year lost), or July 2022?
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _month(name: str) -> int | None:
    n = name.lower()
    if n.startswith("sept"):
        n = "sep"
    return _MONTHS.get(n[:3]) if len(n) >= 3 and (len(n) == 3 or n[:3] in _MONTHS) else None


def _valid(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _check_full_date(d: dt.date, text: str) -> tuple[Any, list[Note]]:
    if d.year == 1905:
        serial = (d - _EXCEL_EPOCH).days
        return text, [Note(
            "warning", "date-1905-serial",
            f"{text!r} is a date in 1905; this is the pattern of a year such as {serial} that Excel "
            f"stored as a day number ({serial} days after 1899-12-30)",
            "kept the text as given, not guessed; confirm the year with the agency")]
    if d.year < 1950 or d.year > 2100:
        return d, [Note("warning", "date-out-of-range", f"{text!r} gives the year {d.year}",
                        "kept the parsed date")]
    return d, []


def parse_date(text: str, typed: Any = None) -> tuple[Any, list[Note]]:
    """A date cell: ``datetime.date`` where a full date is given, ``"YYYY-MM"``/``"YYYY"`` for a
    month or a year alone, else the text as given with a warning (never a guess)."""
    if isinstance(typed, dt.datetime):
        return _check_full_date(typed.date(), text)
    if isinstance(typed, dt.date):
        return _check_full_date(typed, text)
    s = text.strip()
    m = _ISO.match(s)
    if m:
        d = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            return _check_full_date(d, s)
    m = _US.match(s)
    if m:
        d = _valid(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        if d:
            return _check_full_date(d, s)
    m = _MY.match(s)
    if m and 1 <= int(m.group(1)) <= 12:
        return f"{int(m.group(2)):04d}-{int(m.group(1)):02d}", [
            Note("info", "date-partial", f"{s!r} gives a month and year only", "stored as YYYY-MM")]
    m = _YM.match(s)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}", [
            Note("info", "date-partial", f"{s!r} gives a month and year only", "stored as YYYY-MM")]
    m = _Y.match(s)
    if m and 1950 <= int(m.group(1)) <= 2100:
        return s, [Note("info", "date-partial", f"{s!r} gives a year only", "stored as YYYY")]
    m = _MONTH_YEAR.match(s)
    if m and _month(m.group(1)):
        return f"{int(m.group(2)):04d}-{_month(m.group(1)):02d}", [
            Note("info", "date-partial", f"{s!r} gives a month and year only", "stored as YYYY-MM")]
    m = _AMBIG_A.match(s) or _AMBIG_B.match(s)
    if m and (_month(m.group(1)) or _month(m.group(2))):
        return s, [Note(
            "warning", "date-month-year-ambiguous",
            f"{s!r} is month-year or day-month with no year; spreadsheet programs read an agency's "
            f"'Jul-22' (July 2022) as 22 July of the current year, so the year cannot be trusted",
            "kept the text as given, not guessed")]
    if text_key(s) in NA_TOKENS:
        return s, [Note("info", "value-na", f"{s!r} where a date is asked", "kept as given")]
    return s, [Note("warning", "date-unparsed", f"{s!r} is not a date in a known form",
                    "kept the text as given")]


def _literal_list(s: str) -> list[str] | None:
    """Parse ``['a', 'b']`` (Python repr) or ``["a","b"]`` (JSON) safely: no eval, strings only."""
    if len(s) > MAX_LIST_TEXT or not (s.startswith("[") and s.endswith("]")):
        return None
    try:
        v = json.loads(s)
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return v
    except (ValueError, RecursionError):
        pass
    try:
        tree = ast.parse(s, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    body = tree.body
    if not isinstance(body, ast.List):
        return None
    out = []
    for elt in body.elts:
        if not (isinstance(elt, ast.Constant) and isinstance(elt.value, str)):
            return None
        out.append(elt.value)
    return out


_SEP = re.compile(r"\s*(?:[,;\n]|\r\n)\s*")


def _split_known(f: Field, s: str) -> list[str]:
    """Split a plain multi-select text on , ; or line breaks, re-joining pieces that together
    form one known value; if no piece is a known value the whole text is one item."""
    if f.match(s)[0] is not None:
        return [s]
    spans = []
    pos = 0
    for m in _SEP.finditer(s):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(s)))
    spans = [(a, b) for a, b in spans if b > a]
    if len(spans) <= 1:
        return [s]
    items: list[str] = []
    unknown_start: int | None = None
    any_known = False
    i = 0
    while i < len(spans):
        hit = None
        for j in range(len(spans), i, -1):
            cand = s[spans[i][0]:spans[j - 1][1]]
            if f.match(cand)[0] is not None:
                hit = (j, cand)
                break
        if hit:
            any_known = True
            if unknown_start is not None:
                items.append(s[unknown_start:spans[i - 1][1]])
                unknown_start = None
            items.append(hit[1])
            i = hit[0]
        else:
            if unknown_start is None:
                unknown_start = spans[i][0]
            i += 1
    if unknown_start is not None:
        items.append(s[unknown_start:spans[-1][1]])
    return items if any_known else [s]


def normalize_multi(f: Field, text: str) -> tuple[list[str] | None, list[Note]]:
    s = text.strip()
    if not s:
        return None, []
    notes: list[Note] = []
    items = _literal_list(s)
    if items is None:
        if s.startswith("[") and s.endswith("]"):
            notes.append(Note("warning", "multi-select-unparsed",
                              "looks like a list but is not a list of strings",
                              "read it as plain text separated by , ; or line breaks"))
        items = _split_known(f, s)
    out: list[str] = []
    for item in items:
        it = item.strip()
        if not it:
            continue
        canon, how = f.match(it)
        if canon is None:
            notes.append(_off_list(f, it))
            out.append(it)
        else:
            if how != "exact":
                notes.append(Note("info", "value-recoded", f"{it!r} is OMB's {canon!r}",
                                  "recoded as OMB does; raw text kept"))
            out.append(canon)
    # OMB stores selections in the order of its list; unknown items follow as given.
    order = {v: i for i, v in enumerate(f.values)}
    known = sorted((x for x in out if x in order), key=order.__getitem__)
    out = known + [x for x in out if x not in order]
    # An unanswered multi-select is None in every form (OMB's CSV spells it "[]").
    return (out or None), notes


def _off_list(f: Field, s: str) -> Note:
    if text_key(s) in NA_TOKENS:
        return Note("info", "value-na", f"{s!r} is not one of OMB's answers for {f.name}", "kept as given")
    shown = s if len(s) <= 80 else s[:77] + "..."
    return Note("warning", "value-not-in-list", f"{shown!r} is not one of OMB's answers for {f.name}",
                "kept as given")


def normalize_text_flags(raw: str) -> list[Note]:
    notes = []
    if "\ufffd" in raw:
        notes.append(Note("warning", "text-replacement-char",
                          "contains U+FFFD replacement characters: text was damaged before it reached us",
                          "kept as given"))
    if "\u00e2\u20ac" in raw or "\u00c3\u00a9" in raw:
        notes.append(Note("warning", "text-mojibake",
                          "contains UTF-8 read as Windows-1252 (e.g. 'â€™' for '’')", "kept as given"))
    return notes


def normalize_cell(f: Field, raw: str, typed: Any = None) -> tuple[Any, list[Note]]:
    """Normalise one cell's raw text (``typed``: the spreadsheet's own date value, if any)."""
    notes = normalize_text_flags(raw) if ("\ufffd" in raw or "\u00e2" in raw or "\u00c3" in raw) else []
    s = raw.strip()
    if not s:
        return None, notes
    if len(s) != len(raw):
        notes.append(Note("info", "whitespace-trimmed", "leading or trailing spaces or line breaks",
                          "trimmed; raw text kept"))
    if f.is_date:
        v, n = parse_date(s, typed)
        return v, notes + n
    if f.multi:
        v, n = normalize_multi(f, s)
        return v, notes + n
    if f.enumerated:
        canon, how = f.match(s)
        if canon is None:
            return s, notes + [_off_list(f, s)]
        if how != "exact":
            notes.append(Note("info", "value-recoded", f"{s!r} is OMB's {canon!r}",
                              "recoded as OMB does; raw text kept"))
        return canon, notes
    return s, notes


# ---------------------------------------------------------------------------------------------
# Formatting a canonical value as text in a given file convention
# ---------------------------------------------------------------------------------------------

def format_date(v: Any, style: str) -> str:
    if isinstance(v, dt.datetime):
        v = v.date()
    if isinstance(v, dt.date):
        if style == "us":
            return f"{v.month}/{v.day}/{v.year}"
        return v.isoformat()
    return "" if v is None else str(v)


def format_value(f: Field, v: Any, style: str) -> str:
    """Text of a canonical value. ``style``: ``short`` (OMB 2025 CSV: short values, Python-list
    multi-selects), ``long`` (XLSX: lettered long values, ``, ``-joined multi-selects),
    ``json`` (2024 CSV: JSON-array multi-selects, US dates)."""
    if v is None:
        # OMB's 2025 CSV writes an unanswered multi-select as an empty list.
        return "[]" if (f.multi and style == "short") else ""
    if f.multi and isinstance(v, (list, tuple)):
        items = [str(x) for x in v]
        if style == "short":
            return repr(items)
        if style == "json":
            return json.dumps(items, ensure_ascii=False)
        return ", ".join(f.long_of(x) for x in items)
    if f.is_date:
        return format_date(v, "us" if style == "json" else "iso")
    if isinstance(v, (list, tuple)):
        return "; ".join(str(x) for x in v)
    s = str(v)
    if style == "long" and f.enumerated:
        return f.long_of(s)
    return s
