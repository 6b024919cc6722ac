"""The internal ids a person must never read on a page, in one place (issue #14): role ids, field keys,
check ids, metric ids, notice keys, actor labels. `visible_text` keeps only what a person reads: no tags
or attributes (URLs, ids, data-*), nothing inside <code>, <script>, <style> or <template>. Other pages'
tests (the data call, the forms) scan with the same list: `find_internal_ids(html)` returns the hits.
"""

from __future__ import annotations

import html as _html
import re

from raigov.identity.roles import ROLES

# (name, pattern): each names what it catches, so a failure says what leaked
PATTERNS: list[tuple[str, re.Pattern]] = [
    ("role id", re.compile(r"\b(?:" + "|".join(sorted((r for r in ROLES if "_" in r), key=len, reverse=True)) + r")\b")),
    ("actor label", re.compile(r"\b(?:user|system|service):[a-z0-9_.\-]+", re.I)),
    ("field key", re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+:[a-z][a-z0-9]*_[a-z0-9_]+\b")),
    ("check id", re.compile(r"\b[A-Z]{2,6}-\d+:(?:required|format|value|allowed|conditional|check)[:\w.\-]*")),
    ("notice key", re.compile(r"\b[a-z_]+:\d+:[a-z\-]+:\d{4}-\d{2}-\d{2}\b")),
    ("snake_case id", re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")),
    ("metric id", re.compile(r"\b(?:garbe|werm|fmr|fnmr|fpir|fnir)\b")),
    ("microseconds", re.compile(r"\d{2}:\d{2}:\d{2}\.\d{3,6}")),
    ("internal key", re.compile(r"\bagency\.[a-z\-]+\b")),
]
# words of ordinary prose that the snake_case pattern would catch: none today
ALLOWED: set[str] = set()


def visible_text(page: str) -> str:
    """The text a person reads on the page (outside <code>, tags and attributes; web addresses left out)."""
    page = re.sub(r"<(script|style|template|code|kbd|samp)\b.*?</\1\s*>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    text = _html.unescape(page)
    text = re.sub(r"\bhttps?://\S+", " ", text)  # a link a person typed (a PIA's address) is theirs, not an id
    return re.sub(r"\s+", " ", text)


def find_internal_ids(page: str) -> list[tuple[str, str, str]]:
    """(what, the id, its context) for every internal id a person would read on `page`."""
    text = visible_text(page)
    hits = []
    for name, rx in PATTERNS:
        for m in rx.finditer(text):
            if m.group(0) in ALLOWED:
                continue
            hits.append((name, m.group(0), text[max(0, m.start() - 60): m.end() + 60]))
    return hits
