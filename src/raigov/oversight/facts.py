"""The facts the decision rules read (rules.FACTS), gathered for many decisions in a few queries: the gate's
answer and the face-recognition flag once per use case, the operator roster once per use case, the opt-outs
of the subjects in the request once per face-recognition use case."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from raigov.audit.epoch_cache import EpochCache
from raigov.clock import agency_today
from raigov.governance import gate as G
from raigov.governance.authorization import gate_input
from raigov.governance.lanes import config
from raigov.inventory.models import UseCase
from raigov.oversight import rules as R
from raigov.oversight.models import Operator, OptOut
from raigov.oversight.vocab import HumanAction, kinds
from raigov.training import service as training

CHUNK = 1000
_STATE = EpochCache(maxsize=10_000)  # (use case id, agency day) -> (gate input, roster), per database


def use_case_facts(session: Session, uc: UseCase, now: dt.datetime) -> dict:
    """The gate's answer at `now` (exactly what GET /api/v1/use-cases/{id}/authorization answers) and whether
    the gate counts the use case as face recognition."""
    return _facts(gate_input(session, uc), now)


def _facts(gi: G.GateInput, now: dt.datetime) -> dict:
    answer = G.decide(gi, now, agency_today(now=now))
    return {"use_case.authorized": answer.authorized, "use_case.face_recognition": bool(gi.face_recognition),
            "_reasons": answer.reasons}


def use_case_state(session: Session, uc, now: dt.datetime, max_age: float) -> tuple[dict, dict]:
    """(``use_case_facts``, ``roster``) of the use case. The rows they are read from (the gate's input and the
    roster) are reused within this process while the audit trail's epoch is unchanged (every change of a
    review, practice, waiver, alert, roster or training appends an event, so a reused input is as current as
    a fresh read) and for at most `max_age` seconds (settings.oversight_gate_cache_seconds; 0: read every
    time). The gate's answer itself is decided again at `now`: expiries fall due without a change. `uc`: the
    use case, or anything with its ``id`` (ledger.UseCaseRef): the use case is then loaded only when needed."""
    day = agency_today(now=now)
    def read() -> tuple[G.GateInput, dict]:
        full = uc if isinstance(uc, UseCase) else session.get(UseCase, uc.id)
        return gate_input(session, full), roster(session, uc.id)

    gi, people = _STATE.get(session, (uc.id, day), read, max_age=max_age)
    return _facts(gi, now), people


def roster(session: Session, use_case_id: int) -> dict[str, list[tuple[dt.date, dt.date | None]]]:
    """The use case's operators, each with the periods their training counts: the roster's own dates, and the
    training ledger's completions of the operators' courses (training/data/courses.yaml, audience "operators"),
    which renew the roster's training without a second entry (issue #15: "use it when it exists")."""
    out = {u: [(t, e)] for u, t, e in session.execute(
        select(Operator.username, Operator.trained_on, Operator.expires_on).where(Operator.use_case_id == use_case_id))}
    if out:
        ledger = training.completion_periods(session, out, "operators")
        for u, periods in out.items():
            periods.extend(ledger.get(u.strip().lower(), ()))
    return out


# one probe of the unique (use case, subject) index per subject asked about (see ledger._KEYS_PG: `= ANY` of a
# bound array was a filter comparing each of the use case's opt-outs with every subject)
_OPTED_OUT_PG = text("SELECT o.subject FROM unnest(CAST(:subjects AS varchar[])) AS x(s) CROSS JOIN LATERAL "
                     "(SELECT subject FROM oversight_opt_outs WHERE use_case_id = :uc AND subject = x.s LIMIT 1) AS o")


def opted_out(session: Session, use_case_id: int, subjects: set[str]) -> set[str]:
    """The subjects (pseudonyms) among `subjects` who opted out of the use case."""
    keys = sorted(subjects)
    if not keys:
        return set()
    conn = session.connection()
    if session.get_bind().dialect.name == "postgresql":
        return set(conn.execute(_OPTED_OUT_PG, {"subjects": keys, "uc": use_case_id}).scalars())
    out: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        out.update(conn.execute(select(OptOut.subject).where(OptOut.use_case_id == use_case_id,
                                                             OptOut.subject.in_(keys[i:i + CHUNK]))).scalars())
    return out


def qualified(periods: list[tuple[dt.date, dt.date | None]] | None, day: dt.date) -> bool:
    """On the roster with training current on the day of the decision: one of the person's periods (the roster's
    dates or a ledger completion) began on or before it and had not ended (None: a completion that never
    expires)."""
    return bool(periods) and any(start <= day and (end is None or day <= end) for start, end in periods)


def refusals(session: Session, rows: list[dict], ucs: dict[int, object], now: dt.datetime,
             gate_ttl: float = 0) -> dict[int, list[dict]]:
    """Row position -> the refusals of the decision rules in force (rules.evaluate), for the rows any rule refuses.
    `gate_ttl`: see ``use_case_state``."""
    if not rows:
        return {}
    rules = R.agency_rules(agency_today(now=now), config().agency_packs)
    if not rules:
        return {}
    state = {uc_id: use_case_state(session, ucs[uc_id], now, gate_ttl) for uc_id in {r["use_case_id"] for r in rows}}
    per_uc = {uc_id: st[0] for uc_id, st in state.items()}
    rosters = {uc_id: st[1] for uc_id, st in state.items()}
    outs = {uc_id: opted_out(session, uc_id, {r["subject"] for r in rows if r["use_case_id"] == uc_id})
            if f["use_case.face_recognition"] else set() for uc_id, f in per_uc.items()}
    known = kinds()
    out: dict[int, list[dict]] = {}
    seen: dict[tuple, list[dict]] = {}
    for j, r in enumerate(rows):
        uc_facts = per_uc[r["use_case_id"]]
        kind = known[r["kind"]]
        f = {"kind": r["kind"], "kind.class": kind.cls, "kind.adverse": kind.adverse,
             "human_action": r["human_action"], "other_bases": len(r["other_bases"]),
             "use_case.authorized": uc_facts["use_case.authorized"],
             "use_case.face_recognition": uc_facts["use_case.face_recognition"],
             "reviewer.qualified": r["human_action"] != HumanAction.NONE and qualified(
                 rosters[r["use_case_id"]].get(r["reviewer"]),
                 r["_day"] if "_day" in r else agency_today(now=r["decided_at"])),
             "subject.opted_out": r["subject"] in outs[r["use_case_id"]]}
        memo_key = tuple(f.values())  # the facts take few distinct values: a batch evaluates each set once
        if memo_key not in seen:
            seen[memo_key] = R.evaluate(rules, f)
        found = [dict(x) for x in seen[memo_key]]
        if found:
            for x in found:
                if "use_case.authorized" in x["facts"]:  # the gate's reasons beside a rule that reads its answer
                    x["reasons"] = [{"code": g["code"], "message": g["message"]} for g in uc_facts["_reasons"]]
            out[j] = found
    return out
