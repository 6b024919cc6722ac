"""The public site's page of the governance bodies (issue #20, item 1: "the public gets what the body chooses to
publish"): the decisions and recommendations a body published and the minutes it published
(``bodies.service.published_decisions`` / ``published_minutes``), as the public build lays them out. A decision's
subject is told in words without internal numbers: a use case by its public name, linked to its public page,
only when it is in the latest public inventory ("a use case not in the public inventory" otherwise); a waiver, a
T&E report, by their kind only; a policy pack by its name and version; other business by its title."""

from __future__ import annotations

from sqlalchemy.orm import Session

from raigov.bodies import service as bodies
from raigov.bodies.vocab import KIND_WORDS, OUTCOME_WORDS
from raigov.disclosure import public_data as pd

OTHER_SUBJECTS = {"waiver": "a waiver of a minimum practice", "report": "a test and evaluation report"}


def _subject(d: bodies.PublicDecision, public: dict[str, dict]) -> tuple[str, str | None]:
    """(subject in words, the public use case's id to link, or None)."""
    if d.subject_kind == "use_case":
        row = public.get(d.subject_ref or "")
        if row is None:
            return "a use case not in the public inventory", None
        return pd.text(row.get("use_case_name")) or "a use case (name withheld)", d.subject_ref
    return OTHER_SUBJECTS.get(d.subject_kind, pd.text(d.subject)), None


def page(session: Session, year: int, public: dict[str, dict]) -> dict:
    """The data of /public/bodies: the published decisions (newest first) and minutes."""
    decisions = []
    for d in bodies.published_decisions(session):
        subject, use_case = _subject(d, public)
        decisions.append({"body": d.body, "met_on": d.met_on.isoformat(), "kind": KIND_WORDS.get(d.kind, d.kind),
                          "subject": subject, "use_case": use_case, "text": d.text,
                          "outcome": OUTCOME_WORDS.get(d.outcome, d.outcome), "yes": d.yes, "no": d.no,
                          "abstain": d.abstain})
    minutes = [{"body": b, "met_on": on.isoformat(), "title": title, "minutes": text}
               for b, on, title, text in bodies.published_minutes(session)]
    return {"year": year, "decisions": decisions, "minutes": minutes}
