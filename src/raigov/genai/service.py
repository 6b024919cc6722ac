"""The GenAI domain's service: screening a prompt with the guard (genai/guard/), audited.

``screen`` checks the permission (``genai.prompt.screen``: every signed-in person, a service, the shell),
screens the text for the tool named (a tool of the catalog, genai/catalog.py: its cleared data class picks the
policy row; no tool named: the strictest class) and appends one audit
event, ``genai.prompt.screen``, in the caller's transaction. The event holds the prompt's SHA-256, its
length, the tool, the data class, the decision and the number of findings of each type: never the text nor
any matched value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter

from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.errors import ValidationFailed
from raigov.genai import catalog
from raigov.genai.guard.scan import DEFAULT_MAX_CHARS, screen_text
from raigov.identity.permissions import Actor, require

__all__ = ["decode_prompt", "list_tools", "screen"]


def _limit(settings) -> int:
    return settings.genai_max_prompt_chars if settings is not None else DEFAULT_MAX_CHARS


def screen(session: Session, actor: Actor, text: str, tool: str | None = None, settings=None) -> dict:
    """The guard's answer for `text` bound for `tool` (docs/genai.md: decision, findings, redacted, and
    why), after its audit event is appended. Errors: PermissionDenied, NotFound (unknown tool),
    ValidationFailed (empty, binary), PayloadTooLarge (over ``genai_max_prompt_chars``)."""
    require(actor, "genai.prompt.screen")
    data_class = None
    if tool is not None:  # the catalog is the one list of tools; an unknown one is NotFound naming the known ones
        found = catalog.get_tool(session, tool)
        tool, data_class = found.key, found.data_class
    result = screen_text(text, tool, max_chars=_limit(settings), data_class=data_class)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    counts = dict(sorted(Counter(f["type"] for f in result["findings"]).items()))
    record(session, actor, "genai.prompt.screen", "prompt", digest,
           details={"sha256": digest, "chars": len(text), "tool": result["tool"], "data_class": result["data_class"],
                    "decision": result["decision"], "counts": counts})
    return result


def decode_prompt(data: bytes, field: str = "text") -> str:
    """Bytes from a file or a request as a prompt: strict UTF-8 (a byte-order mark is dropped), or a
    ValidationFailed naming `field` and the byte offset of the first bad byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.one(field, f"not valid UTF-8 at byte {exc.start} ({exc.reason})", "invalid_utf8") from None


def list_tools(session: Session, today: dt.date) -> list[dict]:
    """The tools a prompt may be screened for: the catalog's (genai/catalog.py), each with its cleared data
    class and its state today (screening a prompt for a revoked tool still says what the tool may take)."""
    return [{"id": t["id"], "name": t["name"], "data_class": t["data_class"], "state": t["state"]}
            for t in catalog.list_tools(session, today)]
