"""Natural order of use case ids: DHS-14 before DHS-101 (pure).

``natural_key`` turns an id into text whose plain (byte) order is the order people expect: every run of
digits is written as its number of digits (two digits) followed by the digits without leading zeros, so
that 14 ("0214") sorts before 101 ("03101") on every database, and letters compare case-blind. The key is
stored beside the id (``use_cases.id_sort``, indexed), so the list sorts in SQL."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d+")
MAX_KEY = 400


def natural_key(business_id: str | None) -> str:
    text = (business_id or "").casefold()

    def number(m: re.Match) -> str:
        digits = m.group().lstrip("0") or "0"
        return f"{min(len(digits), 99):02d}{digits}"

    return _DIGITS.sub(number, text)[:MAX_KEY]
