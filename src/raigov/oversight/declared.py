"""What the gate reads of a use case's oversight settings: the protected characteristics its model takes as
inputs that no CRCL-approved justification covers. Light (the gate imports it): models and signals.yaml only.

A characteristic is among the model's inputs when the use case's owners declare it on its oversight page, when
the newest inventory answer lists it among the demographic variables the model uses as features (or names it in
the free-text "other" answer, clause by clause, negated clauses aside), or when a
dataset linked to the use case for training or operation holds it (``protected_sources`` in signals.yaml says
which answers and which dataset purposes count, and how their words map to the directive's list)."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.datasets.models import Dataset, DatasetUseCase
from raigov.inventory.models import UseCaseRevision
from raigov.oversight.models import UseCaseOversight

_LETTER = re.compile(r"^\s*[a-z]\)\s*", re.IGNORECASE)


@lru_cache(maxsize=1)
def signal_rules() -> dict:
    """signals.yaml, parsed."""
    return yaml.safe_load(resources.files("raigov.oversight").joinpath("signals.yaml").read_text(encoding="utf-8"))


def _vocabulary() -> list[str]:
    return list(signal_rules()["protected_characteristics"])


def unjustified(declared: list[str], justified: list[str]) -> list[str]:
    """The declared characteristics the approved justification does not cover, in declared order. Pure."""
    covered = set(justified)
    return [c for c in declared if c not in covered]


def from_answers(values: dict) -> list[tuple[str, str]]:
    """(characteristic, the answer that names it) from an inventory revision's values, in answer order. Pure."""
    src = signal_rules()["protected_sources"]
    table = {k.casefold(): v for k, v in src["inventory_answers"].items()}
    out: list[tuple[str, str]] = []
    for field in src["inventory_fields"]:
        answer = values.get(field)
        items = answer if isinstance(answer, list) else [answer] if isinstance(answer, str) else []
        for item in items:
            for c in table.get(_LETTER.sub("", str(item)).strip().casefold(), []):
                out.append((c, str(item)))
    return out


_CLAUSE = re.compile(r"[.;:!?\n]+|,|\bbut\b|\bhowever\b|\bexcept\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _text_matchers() -> tuple[list[tuple[str, re.Pattern]], re.Pattern]:
    src = signal_rules()["protected_sources"]
    terms = [(c, re.compile(r"\b" + r"\s+".join(re.escape(w) for w in term.split()) + r"\b", re.IGNORECASE))
             for c, words in src.get("text_terms", {}).items() for term in words]
    negation = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in src.get("text_negations", [])) + r")\b",
                          re.IGNORECASE)
    return terms, negation


def from_text(text: str) -> list[tuple[str, str]]:
    """(characteristic, the clause that names it) from a free-text answer. The text is cut into clauses (at
    sentence ends, commas, semicolons, "but", "however", "except"); a clause with a negation word
    (``text_negations``) names nothing ("age is not used"; "no race, but age" names age), any other is read for the
    terms of ``text_terms``. Each characteristic once, in the order found. Pure."""
    terms, negation = _text_matchers()
    out: dict[str, str] = {}
    for clause in _CLAUSE.split(text or ""):
        clause = clause.strip()
        if not clause or negation.search(clause):
            continue
        for c, pattern in terms:
            if c not in out and pattern.search(clause):
                out[c] = clause
    return list(out.items())


def from_dataset(characteristics: list[str]) -> list[tuple[str, str]]:
    """(characteristic, the dataset card's word) for a dataset card's protected characteristics. Pure."""
    table = signal_rules()["protected_sources"]["dataset_characteristics"]
    return [(c, word) for word in characteristics for c in table.get(word, [])]


def derived_inputs(session: Session, use_case_id: int) -> list[dict]:
    """The characteristics read from the inventory answer and the linked datasets, each with where it was read:
    ``{"characteristic", "source": "inventory"|"dataset", "detail"}``, one entry per characteristic and source
    detail, in the vocabulary's order."""
    found: list[dict] = []
    values = session.scalar(select(UseCaseRevision.values).where(UseCaseRevision.use_case_id == use_case_id)
                            .order_by(UseCaseRevision.number.desc()).limit(1))
    for c, answer in from_answers(values or {}):
        found.append({"characteristic": c, "source": "inventory", "detail": f"inventory answer: {answer}"})
    for field in signal_rules()["protected_sources"].get("inventory_text_fields", []):
        answer = (values or {}).get(field)
        for c, clause in from_text(answer if isinstance(answer, str) else ""):
            found.append({"characteristic": c, "source": "inventory",
                          "detail": f"inventory answer ({field}, free text): {clause[:200]}"})
    purposes = list(signal_rules()["protected_sources"]["dataset_purposes"])
    rows = session.execute(select(Dataset.name, DatasetUseCase.purpose, Dataset.protected_characteristics)
                           .join(DatasetUseCase, DatasetUseCase.dataset_id == Dataset.id)
                           .where(DatasetUseCase.use_case_id == use_case_id, DatasetUseCase.purpose.in_(purposes))
                           .order_by(Dataset.name, DatasetUseCase.purpose)).all()
    for name, purpose, chars in rows:
        for c, word in from_dataset(list(chars or [])):
            found.append({"characteristic": c, "source": "dataset", "detail": f"dataset {name} ({purpose}): {word}"})
    order = {c: i for i, c in enumerate(_vocabulary())}
    unique = {(f["characteristic"], f["detail"]): f for f in found}  # each once, first-found order kept
    return sorted(unique.values(), key=lambda f: order.get(f["characteristic"], len(order)))


def effective(declared: list[str], derived: list[dict]) -> list[str]:
    """The characteristics among the model's inputs: declared or read, each once, in the vocabulary's order."""
    chosen = set(declared) | {f["characteristic"] for f in derived}
    vocab = _vocabulary()
    return [c for c in vocab if c in chosen] + sorted(chosen - set(vocab))


def protected_unjustified(session: Session, use_case_id: int) -> list[str]:
    row = session.execute(select(UseCaseOversight.protected_inputs, UseCaseOversight.justified_inputs)
                          .where(UseCaseOversight.use_case_id == use_case_id)).first()
    declared, justified = (list(row[0] or []), list(row[1] or [])) if row is not None else ([], [])
    return unjustified(effective(declared, derived_inputs(session, use_case_id)), justified)
