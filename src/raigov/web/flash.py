"""Success and information banners after a redirect, from a fixed set of message codes.

A page that saved something redirects to ``done_url("/inventory/DHS-14", "saved")``, which appends
``?done=saved``; the page it lands on shows ``banner(request)``: the text this module holds for that code.
No text is ever taken from the URL: an unknown code shows nothing, so ``?done=<any text>`` (or a
crafted link) cannot put words on the page. Templates draw the banner with the macro in
``templates/_flash.html``::

    {% from "_flash.html" import flash_banner %}{{ flash_banner(flash) }}

with ``"flash": flash.banner(request)`` in the page's context.

A domain adds its codes with ``register({"code": "Text shown."})`` at import time of its pages module
(codes are ``<word>`` or ``<domain>.<word>``, lower case; registering a code twice with another text is
an error, so two pages cannot disagree on what a code says)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import Request

PARAM = "done"
_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")

MESSAGES: dict[str, str] = {
    "saved": "Saved as a new revision.",
    "created": "Registered as a draft. Edit it until it is complete, then submit it for review.",
    "retired": "The use case is retired.",
    "screened": "Screened: the result is under Impact determination.",
    "determined": "Determination recorded.",
}


@dataclass(frozen=True)
class Banner:
    code: str
    text: str
    kind: str = "success"  # success | info (the USWDS alert variant)


KINDS: dict[str, str] = {}  # a code's USWDS alert variant when it is not "success"


def register(messages: dict[str, str], kind: str = "success") -> None:
    """Add codes to the fixed set (at import time of a pages module). ``kind="info"`` for a message that
    must not look like a success (a stored run that may have failed its criteria)."""
    if kind not in ("success", "info"):
        raise ValueError(f"flash kind {kind!r}: success or info")
    for code, text in messages.items():
        if not _CODE.match(code):
            raise ValueError(f"flash code {code!r}: lower case words, optionally <domain>.<word>")
        if MESSAGES.get(code, text) != text:
            raise ValueError(f"flash code {code!r} is already registered with another text")
        MESSAGES[code] = text
        if kind != "success":
            KINDS[code] = kind


def done_url(url: str, code: str) -> str:
    """``url`` with ``?done=<code>`` added (before any #fragment). Refuses a code that is not registered."""
    if code not in MESSAGES:
        raise KeyError(f"unknown flash code {code!r}: register it in raigov.web.flash")
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != PARAM] + [(PARAM, code)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def banner(request: Request) -> Banner | None:
    """The banner for the request's ``?done=`` code, or None (no code, or one this module does not know)."""
    code = request.query_params.get(PARAM) or ""
    text = MESSAGES.get(code)
    return Banner(code, text, KINDS.get(code, "success")) if text else None
