"""The GenAI rules of behavior (docs/genai.md, "Rules of behavior"): versioned texts published by the CAIO
(`genai.rules.publish`); a person acknowledges the current version after re-entering their password (the
adapters check it, as for a risk acceptance, before calling `acknowledge`); a new version asks everyone again,
because access needs an acknowledgement of the current version."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.audit.canonical import sha256_json
from raigov.audit.service import record
from raigov.errors import Conflict, NotFound, ValidationFailed
from raigov.genai.models import RulesAcknowledgement, RulesVersion
from raigov.identity.permissions import Actor, require

MAX_TEXT = 100_000


def current_rules(session: Session) -> RulesVersion | None:
    return session.scalar(select(RulesVersion).order_by(RulesVersion.version.desc()).limit(1))


def get_rules(session: Session, version: int) -> RulesVersion:
    found = session.scalar(select(RulesVersion).where(RulesVersion.version == version))
    if found is None:
        raise NotFound(f"version: no rules of behavior version {version}")
    return found


def publish_rules(session: Session, actor: Actor, title: str, text: str) -> RulesVersion:
    """Publish the next version (1, 2, ...) of the rules of behavior."""
    require(actor, "genai.rules.publish")
    title, text = (title or "").strip(), (text or "").strip()
    if not title:
        raise ValidationFailed.one("title", "the rules need a title", "missing")
    if not text:
        raise ValidationFailed.one("text", "the rules need their text", "missing")
    if len(text) > MAX_TEXT:
        raise ValidationFailed.one("text", f"at most {MAX_TEXT:,} characters", "too_long")
    version = (session.scalar(select(func.max(RulesVersion.version))) or 0) + 1
    row = RulesVersion(version=version, title=title, text=text, published_by=actor.label)
    session.add(row)
    session.flush()
    record(session, actor, "genai.rules.publish", "genai_rules", version,
           details={"version": version, "title": title, "sha256": sha256_json(text)})
    return row


def acknowledged_version(session: Session, user_id: int) -> int | None:
    """The highest version the person acknowledged (None: none)."""
    return session.scalar(select(func.max(RulesAcknowledgement.version)).where(RulesAcknowledgement.user_id == user_id))


def acknowledge(session: Session, actor: Actor, version: int, method: str = "password re-entered") -> RulesAcknowledgement:
    """The actor acknowledges `version`, which must be the current one. Call only after the person re-entered
    their password (`method` says how they signed)."""
    require(actor, "genai.rules.acknowledge")
    if actor.user_id is None:
        raise ValidationFailed.one("version", "only a person acknowledges the rules of behavior")
    cur = current_rules(session)
    if cur is None:
        raise NotFound("version: no rules of behavior are published yet")
    if version != cur.version:
        raise Conflict(f"version: version {version} is not the current one ({cur.version}); read the current rules",
                       errors=[ValidationFailed.one("version", f"the current version is {cur.version}").errors[0]])
    found = session.scalar(select(RulesAcknowledgement).where(RulesAcknowledgement.user_id == actor.user_id,
                                                              RulesAcknowledgement.version == version))
    if found is not None:
        return found
    row = RulesAcknowledgement(user_id=actor.user_id, version=version, method=method)
    session.add(row)
    session.flush()
    record(session, actor, "genai.rules.acknowledge", "genai_rules", version,
           details={"version": version, "sha256": sha256_json(cur.text), "method": method})
    return row
