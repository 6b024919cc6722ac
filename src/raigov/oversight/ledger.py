"""The decision ledger's writer: validate, check the decision rules, then record the decisions with one audit
event per batch carrying the RFC 9162 Merkle root of their items, and the daily counts, in one transaction; or
record the refused attempts (and their counts and one audit event) and nothing else. All or nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import bindparam, insert, literal_column, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from raigov.audit import merkle
from raigov.audit.batch import batch_state
from raigov.audit.canonical import format_time
from raigov.audit.epoch_cache import EpochCache
from raigov.audit.service import APPENDED_SEQ, record, record_with
from raigov.clock import agency_today
from raigov.db.base import utcnow
from raigov.db.engine import pipeline
from raigov.errors import Conflict, FieldError, ValidationFailed
from raigov.identity.models import OrgUnit
from raigov.identity.permissions import Actor, require
from raigov.inventory.formats import normalize_id
from raigov.inventory.models import UseCase
from raigov.oversight import counts, facts, remedy_counts
from raigov.oversight.models import PROOF_CHUNK, BatchChunk, DailyCount, Decision, DecisionKey, OperatorCount, Refusal
from raigov.oversight.remedy_models import RemedyCount
from raigov.oversight.schemas import DecisionIn, parse_decision
from raigov.oversight.subjects import pseudonym
from raigov.oversight.vocab import HumanAction, Outcome, kinds

RECORD_ACTION = "oversight.decision.record"
REFUSE_ACTION = "oversight.decision.refuse"
FUTURE_SLACK = dt.timedelta(minutes=5)  # clocks of operational systems drift a little
CHUNK = 1000  # IN lists are cut to this many values
MAX_ERRORS = 100


def _plain_output(v):
    """What ``audit.canonical.canonical_json`` does to a JSON value, for the values a decision's item holds:
    a number with a fraction becomes its repr string (the rest is already plain JSON). Byte-identical output
    (tests/oversight/test_ledger.py checks it against ``audit.batch.item_hash``), without the general walker's
    per-value cost."""
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, dict):
        return {k: _plain_output(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain_output(x) for x in v]
    return v


def fast_item_hash(item: dict) -> str:
    """``audit.batch.item_hash(item).hex()`` for a ledger item (its only floats are inside ``ai_output``)."""
    plain = {**item, "ai_output": _plain_output(item["ai_output"])}
    return merkle.leaf_hash(json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hex()


def item_of(bid: str, system: str, d) -> dict:
    """The ledger item of a decision (a ``Decision`` row or a prepared dict with the same names): what its
    leaf hash covers (docs/oversight.md)."""
    get = d.get if isinstance(d, dict) else lambda k: getattr(d, k)
    return {"use_case": bid, "system": system, "decision_id": get("decision_id"), "ai_version": get("ai_version"),
            "kind": get("kind"), "subject": get("subject"), "ai_output": get("ai_output"), "reviewer": get("reviewer"),
            "human_action": get("human_action"), "rationale": get("rationale"), "other_bases": list(get("other_bases")),
            "decided_at": format_time(get("decided_at")), "corrects": get("corrects"),
            **({"notice": get("notice")} if get("notice") is not None else {})}  # only when sent: older items unchanged


@dataclass
class LedgerResult:
    """What became of a request: each row `created` or `existing` (the same key and body was stored before), or,
    when a rule refused any row, `refusals` (nothing but the refused attempts was written)."""

    rows: list[dict] = field(default_factory=list)  # {index, id, decision_id, use_case, status}
    refusals: list[dict] = field(default_factory=list)  # {index, decision_id, use_case, code, citation, refusals}
    batch_seq: int | None = None
    merkle_root: str | None = None

    @property
    def created(self) -> int:
        return sum(1 for r in self.rows if r["status"] == "created")


@dataclass(frozen=True)
class UseCaseRef:
    """What recording needs of a use case: its ledger id, business id and owning component (inventory.access
    ``component_of``); the gate's input loads the use case itself, and only when it is not cached."""

    id: int
    business_id: str
    component: str | None


_REFS = EpochCache(maxsize=2_000)  # the sorted business ids of a request -> {business id: UseCaseRef}, per database


def _use_cases(session: Session, actor: Actor, decisions: list[DecisionIn], where, max_age: float = 0
               ) -> dict[str, UseCaseRef]:
    """The use cases named, by the name as sent (each distinct name normalised once). The references are reused
    within this process while the audit trail's epoch is unchanged (creating a use case or moving it to another
    component appends an event) and for at most `max_age` seconds (0: read every time), as the gate's input is."""
    norm = {raw: normalize_id(raw) for raw in {d.use_case for d in decisions}}
    ids = tuple(sorted(set(norm.values())))

    def read() -> dict[str, UseCaseRef]:
        out: dict[str, UseCaseRef] = {}
        q = (select(UseCase.id, UseCase.business_id, OrgUnit.code, OrgUnit.kind)
             .outerjoin(OrgUnit, OrgUnit.id == UseCase.org_unit_id))
        for i in range(0, len(ids), CHUNK):
            for pk, bid, code, unit_kind in session.connection().execute(
                    q.where(UseCase.business_id.in_(ids[i:i + CHUNK]))):
                out[bid] = UseCaseRef(pk, bid, code if code is not None and unit_kind != "department" else None)
        return out

    found = _REFS.get(session, ids, read, max_age=max_age) if len(ids) <= 100 else read()
    errors = [FieldError(where(i, "use_case"), f"no use case {d.use_case!r}", "unknown")
              for i, d in enumerate(decisions) if norm[d.use_case] not in found]
    if errors:
        raise ValidationFailed(f"{errors[0].field}: {errors[0].message}", errors=errors[:MAX_ERRORS])
    for uc in found.values():
        require(actor, "oversight.decision.record", uc.component)
    return {raw: found[n] for raw, n in norm.items()}


def _check(decisions: list[DecisionIn], now: dt.datetime, where) -> None:
    """The rules of the input no schema says: a known kind, a reviewer exactly when a human acted, a time zone,
    not in the future, a text ai_output or an object of bounded size."""
    known = kinds()
    errors: list[FieldError] = []
    for i, d in enumerate(decisions):
        if d.kind not in known:
            errors.append(FieldError(where(i, "kind"), f"unknown kind {d.kind!r}; one of {', '.join(known)}", "unknown"))
        if d.human_action == HumanAction.NONE and d.reviewer is not None:
            errors.append(FieldError(where(i, "reviewer"), "must be null when human_action is none"))
        elif d.human_action != HumanAction.NONE and not (d.reviewer or "").strip():
            errors.append(FieldError(where(i, "reviewer"), f"required when human_action is {d.human_action}", "missing"))
        if d.decided_at.tzinfo is None:
            errors.append(FieldError(where(i, "decided_at"), "give a time zone (e.g. 2026-12-04T15:00:00Z)"))
        elif d.decided_at > now + FUTURE_SLACK:
            errors.append(FieldError(where(i, "decided_at"), "is in the future"))
        if any(not b.strip() for b in d.other_bases):
            errors.append(FieldError(where(i, "other_bases"), "an empty basis"))
        if isinstance(d.ai_output, dict):
            problem = _json_problem(d.ai_output)
            if problem:
                errors.append(FieldError(where(i, "ai_output"), problem))
            elif len(d.model_dump_json(include={"ai_output"})) > 16_000:
                errors.append(FieldError(where(i, "ai_output"), "larger than 16,000 characters", "too_long"))
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise ValidationFailed(f"{errors[0].field}: {errors[0].message}", errors=errors)


def _json_problem(value, depth: int = 0) -> str | None:
    """What keeps a JSON value out of the ledger's canonical form: an object key that is not ASCII (the canonical
    JSON sorts keys by code point and allows ASCII keys only) or nesting deeper than 20."""
    if depth > 20:
        return "nested deeper than 20 levels"
    if isinstance(value, dict):
        for k, v in value.items():
            if not k.isascii():
                return f"object keys must be ASCII (not {k!r})"
            found = _json_problem(v, depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for v in value:
            found = _json_problem(v, depth + 1)
            if found:
                return found
    return None


def _prepare(decisions: list[DecisionIn], ucs: dict[str, UseCaseRef], system: str, key: bytes) -> list[dict]:
    out = []
    for d in decisions:
        uc = ucs[d.use_case]
        row = {"use_case_id": uc.id, "system": system, "decision_id": d.decision_id, "ai_version": d.ai_version,
               "kind": d.kind, "subject": pseudonym(key, d.subject), "ai_output": d.ai_output,
               "reviewer": d.reviewer.strip() if d.reviewer is not None else None, "human_action": d.human_action,
               "rationale": d.rationale, "other_bases": [b.strip() for b in d.other_bases],
               "decided_at": d.decided_at.astimezone(dt.UTC), "corrects": d.corrects,
               "notice": d.notice.model_dump() if d.notice is not None else None}
        row["item_hash"] = fast_item_hash(item_of(uc.business_id, system, row))
        row["_bid"] = uc.business_id
        row["_day"] = agency_today(now=row["decided_at"])  # the agency day the counts go to, computed once
        out.append(row)
    return out


# one key: the unique index's condition
_KEY_ONE = select(DecisionKey.id, DecisionKey.decision_id, DecisionKey.item_hash).where(
    DecisionKey.use_case_id == bindparam("uc"), DecisionKey.system == bindparam("system"),
    DecisionKey.decision_id == bindparam("key"))
_KEY_ONE_PG = ("SELECT id, decision_id, item_hash FROM oversight_decision_keys "
               "WHERE use_case_id = %(uc)s AND system = %(system)s AND decision_id = %(key)s")
# PostgreSQL, many keys: one index probe per key, forced by the LATERAL join whose LIMIT 1 (the key is unique) keeps
# the planner from pulling the subquery up into a hash join that reads every key of the system.
# `decision_id = ANY(:keys)` was planned as a filter over every key of the use case and system, and with the array a
# bound parameter (no hashing) each row was compared with every key: a minute per batch of 10,000 once the system
# had 1,000,000 keys.
_KEYS_PG = text("SELECT k.id, k.decision_id, k.item_hash FROM unnest(CAST(:keys AS varchar[])) AS x(d) "
                "CROSS JOIN LATERAL (SELECT id, decision_id, item_hash FROM oversight_decision_keys "
                "WHERE use_case_id = :uc AND system = :system AND decision_id = x.d LIMIT 1) AS k")


def _stored(session: Session, rows: list[dict], system: str) -> dict[tuple[int, str], tuple[int, str]]:
    """(use_case_id, decision_id) -> (row id, item_hash) of the rows' keys, and of the decisions they correct,
    already in the ledger for this system (from the key table alone). One key (a single decision): plain equality,
    always the unique index's condition. Many, on PostgreSQL: ``_KEYS_PG``, one statement whose time grows with
    the keys asked for, not with the ledger. SQLite: ``IN`` lists of up to 1,000."""
    by_uc: dict[int, set[str]] = {}
    for r in rows:
        by_uc.setdefault(r["use_case_id"], set()).add(r["decision_id"])
        if r["corrects"]:
            by_uc[r["use_case_id"]].add(r["corrects"])
    out = {}
    pg = session.get_bind().dialect.name == "postgresql"
    conn = session.connection()
    for uc_id, keys in by_uc.items():
        keys = sorted(keys)
        if pg and len(keys) > 1:
            found = conn.execute(_KEYS_PG, {"keys": keys, "uc": uc_id, "system": system})
        elif len(keys) == 1 and pg:  # a single decision: through the driver (SQLAlchemy's execute cost 0.2 ms more)
            found = pipeline(session, [(_KEY_ONE_PG, {"uc": uc_id, "system": system, "key": keys[0]})])[0]
        elif len(keys) == 1:
            found = conn.execute(_KEY_ONE, {"uc": uc_id, "system": system, "key": keys[0]})
        else:
            found = (row for i in range(0, len(keys), CHUNK) for row in conn.execute(
                select(DecisionKey.id, DecisionKey.decision_id, DecisionKey.item_hash)
                .where(DecisionKey.use_case_id == uc_id, DecisionKey.system == system,
                       DecisionKey.decision_id.in_(keys[i:i + CHUNK]))))
        for pk, did, h in found:
            out[(uc_id, did)] = (pk, h)
    return out


def _sort_out(rows: list[dict], stored: dict, where) -> tuple[list[int], dict[int, dict]]:
    """Which rows are new and which repeat a stored (or earlier) row; 409 when a key comes with another body.
    Also checks that `corrects` names a decision stored before or earlier in this request."""
    new: list[int] = []
    existing: dict[int, dict] = {}
    seen: dict[tuple[int, str], tuple[int, str]] = {}  # key -> (index, item_hash) within the request
    conflicts, errors = [], []
    for i, r in enumerate(rows):
        k = (r["use_case_id"], r["decision_id"])
        if k in stored:
            if stored[k][1] != r["item_hash"]:
                conflicts.append(FieldError(where(i, "decision_id"), f"decision {r['decision_id']!r} of {r['_bid']} was "
                                            "recorded before with a different body: nothing is ever updated; record a "
                                            "correction (a new decision_id with `corrects`)", "conflict"))
            else:
                existing[i] = {"id": stored[k][0]}
            continue
        if k in seen:
            if seen[k][1] != r["item_hash"]:
                conflicts.append(FieldError(where(i, "decision_id"), f"decision {r['decision_id']!r} appears twice in the "
                                            f"request with different bodies (row {seen[k][0]})", "conflict"))
            else:
                existing[i] = {"same_as": seen[k][0]}
            continue
        if r["corrects"] is not None:
            c = (r["use_case_id"], r["corrects"])
            if r["corrects"] == r["decision_id"] or (c not in stored and c not in seen):
                errors.append(FieldError(where(i, "corrects"), f"no earlier decision {r['corrects']!r} of {r['_bid']} "
                                         "recorded by this system", "unknown"))
        seen[k] = (i, r["item_hash"])
        new.append(i)
    if conflicts:
        raise Conflict(f"{conflicts[0].field}: {conflicts[0].message}", errors=conflicts[:MAX_ERRORS])
    if errors:
        raise ValidationFailed(f"{errors[0].field}: {errors[0].message}", errors=errors[:MAX_ERRORS])
    return new, existing


def record_decisions(session: Session, actor: Actor, key: bytes, decisions: list[DecisionIn], *,
                     batch: bool = True, now: dt.datetime | None = None, gate_ttl: float = 0,
                     final: bool = False) -> LedgerResult:
    """Record decisions (one, or a batch of up to 10,000), all or nothing. `key` is the agency's subject key
    (subjects.load_key). Errors name the row (``decisions.<i>.<field>`` in a batch) and the field; a key stored
    before with another body is a Conflict. When a decision rule refuses any row, only the refused attempts are
    written (with their counts and one ``oversight.decision.refuse`` event) and the result carries them.

    `final`: the caller ends the transaction right after (commits, or rolls back on an error), doing nothing else
    in it; on PostgreSQL a few decisions are then committed in the round trip that writes them
    (``audit.service.record_with(commit=True)``), which releases the audit trail's append lock a round trip
    sooner. The API's routes pass it; the result is the same either way."""
    now = now or utcnow()
    system = actor.label

    def where(i: int, name: str) -> str:
        return f"decisions.{i}.{name}" if batch else name

    ucs = _use_cases(session, actor, decisions, where, gate_ttl)
    _check(decisions, now, where)
    rows = _prepare(decisions, ucs, system, key)
    stored = _stored(session, rows, system)
    new, existing = _sort_out(rows, stored, where)
    result = LedgerResult()
    refused = facts.refusals(session, [rows[i] for i in new], {uc.id: uc for uc in ucs.values()}, now, gate_ttl)
    if refused:
        return _refuse(session, actor, rows, new, refused, result, now)
    ids: dict[int, int] = {}
    if new:
        leaves = [bytes.fromhex(rows[i]["item_hash"]) for i in new]
        state = batch_state(leaves)
        bids = sorted({rows[i]["_bid"] for i in new})
        details = {**state, "system": system, "use_cases": bids[:50],
                   "first_decision_id": rows[new[0]]["decision_id"], "last_decision_id": rows[new[-1]]["decision_id"]}
        # everything but the batch's sequence number is ready before the trail's append lock is taken
        values = []
        for n, i in enumerate(new):
            v = {k: val for k, val in rows[i].items() if not k.startswith("_")}
            v.update(batch_index=n, recorded_at=now)
            values.append(v)
        count_groups = [  # the daily, notice and operator counts
            (DailyCount, counts.KEY, Counter((rows[i]["use_case_id"], rows[i]["_day"], rows[i]["kind"],
                                              rows[i]["human_action"], Outcome.RECORDED) for i in new)),
            (RemedyCount, remedy_counts.KEY, remedy_counts.notice_counts([rows[i] for i in new])),
            (OperatorCount, counts.OPERATOR_KEY, Counter((rows[i]["use_case_id"], rows[i]["_day"], rows[i]["reviewer"],
                                                          rows[i]["human_action"])
                                                         for i in new if rows[i]["reviewer"] is not None))]
        try:  # no savepoint: on a conflict the whole transaction rolls back (two round trips fewer per request)
            if len(values) < SMALL and session.get_bind().dialect.name == "postgresql":
                seq, returned = _record_small(session, actor, state, details, values, count_groups, final)
            else:
                seq = record(session, actor, RECORD_ACTION, "decision_batch", state["merkle_root"], state, details).seq
                if len(leaves) >= PROOF_CHUNK:  # the full chunks' roots, so that a proof reads one chunk (proofs.py)
                    session.connection().execute(insert(BatchChunk), [
                        {"batch_seq": seq, "chunk": c,
                         "root": merkle.root(leaves[c * PROOF_CHUNK:(c + 1) * PROOF_CHUNK]).hex()}
                        for c in range(len(leaves) // PROOF_CHUNK)])
                for v in values:
                    v["batch_seq"] = seq
                returned = _insert(session, values)
                counts.upsert_add_many(session, count_groups)
        except IntegrityError:
            raise Conflict("another request recorded one of these decisions at the same moment: send the request "
                           "again (the same body is then answered 200)") from None
        result.batch_seq, result.merkle_root = seq, state["merkle_root"]
        ids = {i: returned[n] for n, i in enumerate(new)}
    for i, r in enumerate(rows):
        if i in existing:
            e = existing[i]
            pk = e["id"] if "id" in e else ids[e["same_as"]]
            result.rows.append({"index": i, "id": pk, "decision_id": r["decision_id"], "use_case": r["_bid"],
                                "status": "existing"})
        else:
            result.rows.append({"index": i, "id": ids[i], "decision_id": r["decision_id"], "use_case": r["_bid"],
                                "status": "created"})
    return result


class WriteAlone(Exception):
    """A group of single decisions (``record_group``) in which one would not be answered as it would alone."""


def record_group(session: Session, actor: Actor, key: bytes, raws: list[bytes], *, gate_ttl: float = 0,
                 final: bool = False) -> list[LedgerResult | ValidationFailed]:
    """Single decisions sent by one caller at the same moment (their bodies, as received), recorded as one batch
    (``record_decisions``: one audit event, one round trip of writes): one outcome per body, each what it would
    have been alone: a result of one row (``created`` with the group's batch_seq, or ``existing`` without one, as
    a decision stored before is answered alone) or the body's own ValidationFailed. Raises WriteAlone when a rule
    refuses any of them (the group's refused attempts are then written in `session`, and no decision: the caller
    rolls back, and alone each refused attempt is recorded with its own answer); a Conflict or any other error is
    raised as ``record_decisions`` raises it. On either the caller rolls back and records each decision alone
    (web/api/oversight.py, oversight/combine.py)."""
    outcomes: list = [None] * len(raws)
    parsed = []
    for i, raw in enumerate(raws):
        try:
            parsed.append((i, parse_decision(raw)))
        except ValidationFailed as exc:
            outcomes[i] = exc
    if not parsed:
        return outcomes
    together = record_decisions(session, actor, key, [d for _, d in parsed], batch=True, gate_ttl=gate_ttl,
                                final=final)
    if together.refusals:
        raise WriteAlone(f"{len(together.refusals)} of {len(parsed)} decisions refused")
    for (i, _), row in zip(parsed, together.rows, strict=True):
        created = row["status"] == "created"
        outcomes[i] = LedgerResult(rows=[{**row, "index": 0}], batch_seq=together.batch_seq if created else None,
                                   merkle_root=together.merkle_root if created else None)
    return outcomes


COLUMNS = ("use_case_id", "system", "decision_id", "ai_version", "kind", "subject", "ai_output", "reviewer",
           "human_action", "rationale", "other_bases", "decided_at", "corrects", "recorded_at", "item_hash",
           "batch_seq", "batch_index", "notice")
JSON_COLUMNS = frozenset({"ai_output", "other_bases", "notice"})


KEY_COLUMNS = ("use_case_id", "system", "decision_id", "item_hash")


def _insert(session: Session, values: list[dict]) -> list[int]:
    """The keys (``oversight_decision_keys``, whose unique constraint refuses a key recorded at the same moment by
    another request) and the rows with their keys' ids; the ids, in the order given.

    PostgreSQL: one decision (or a few) is one statement each, the key and the row together (``WITH k AS (INSERT
    ... RETURNING id) INSERT ... SELECT``); a batch takes its ids from the keys' sequence in one statement, then
    one ``COPY`` for the keys and one for the rows (an ``INSERT ... SELECT FROM unnest(arrays)`` of the keys took
    0.14 s per 10,000, the COPY less). SQLite: an executemany of each."""
    if session.get_bind().dialect.name != "postgresql":
        returned = session.execute(insert(DecisionKey).returning(DecisionKey.id, sort_by_parameter_order=True),
                                   [{c: v[c] for c in KEY_COLUMNS} for v in values]).scalars().all()
        session.execute(insert(Decision), [{**v, "id": pk} for v, pk in zip(values, returned, strict=True)])
        return list(returned)
    session.flush()
    if len(values) < 50:
        return [session.connection().execute(_one_statement(), _one_params(v)).scalar_one() for v in values]
    conn = session.connection()
    ids = list(conn.exec_driver_sql("SELECT nextval(pg_get_serial_sequence('oversight_decision_keys', 'id')) "
                                    "FROM generate_series(1, %s)", (len(values),)).scalars())
    _copy(session, "oversight_decision_keys", ("id", *KEY_COLUMNS), [[pk, *[v[c] for c in KEY_COLUMNS]]
                                                                      for pk, v in zip(ids, values, strict=True)])
    # the JSON columns as JSON text, which the text COPY hands to jsonb's input (as psycopg's Jsonb would, without
    # its adapter per value; None is JSON null there too)
    _copy(session, "oversight_decisions", ("id", *COLUMNS),
          ([pk, *[json.dumps(v[c]) if c in JSON_COLUMNS else v[c] for c in COLUMNS]] for pk, v in zip(ids, values, strict=True)))
    return ids


_ONE = None


def _one_statement(batch_seq=None):
    """The key and the row of one decision in one statement (PostgreSQL), returning the id: built once, with a
    bound parameter per column (``k_<column>`` for the key, ``v_<column>`` for the row), so it is compiled once.
    `batch_seq`: an SQL expression for that column instead of its parameter (``_record_small``'s)."""
    global _ONE
    if _ONE is None or batch_seq is not None:
        cols = Decision.__table__.c
        k = (insert(DecisionKey).values({c: bindparam(f"k_{c}", type_=DecisionKey.__table__.c[c].type) for c in KEY_COLUMNS})
             .returning(DecisionKey.id).cte("k"))
        one = (insert(Decision).from_select(["id", *COLUMNS], select(k.c.id, *[
            batch_seq if c == "batch_seq" and batch_seq is not None else bindparam(f"v_{c}", type_=cols[c].type)
            for c in COLUMNS])).returning(Decision.id))
        if batch_seq is not None:
            return one
        _ONE = one
    return _ONE


def _one_params(v: dict) -> dict:
    return {**{f"k_{c}": v[c] for c in KEY_COLUMNS}, **{f"v_{c}": v[c] for c in COLUMNS}}


SMALL = 50  # fewer decisions than this (one, mostly) are written as below on PostgreSQL
_ONE_PG: str | None = None


def _record_small(session: Session, actor: Actor, state: dict, details: dict, values: list[dict],
                  count_groups: list, commit: bool) -> tuple[int, list[int]]:
    """PostgreSQL, a few decisions: the batch's audit event, each decision's key and row (``_one_statement``, its
    batch_seq the new event's, ``audit.service.APPENDED_SEQ``) and the counts in one round trip
    (audit.service.record_with), so that the trail's append lock, which every recording request waits for, is
    held only while the server runs them, not across round trips; `commit`: the COMMIT in it too (the caller's
    transaction ends next). (batch_seq, the decisions' ids)."""
    import psycopg.types.json

    global _ONE_PG
    if _ONE_PG is None:
        _ONE_PG = str(_one_statement(literal_column(APPENDED_SEQ)).compile(dialect=session.get_bind().dialect))
    adds = counts.pg_statement(count_groups)
    jsonb = psycopg.types.json.Jsonb
    statements = []
    for v in values:
        p = _one_params({**v, "batch_seq": None})
        del p["v_batch_seq"]
        for c in JSON_COLUMNS:  # what SQLAlchemy's JSONB does (None is JSON null there too)
            p[f"v_{c}"] = jsonb(p[f"v_{c}"])
        p["v_human_action"] = str(p["v_human_action"])
        statements.append((_ONE_PG, p))
    if adds:
        statements.append(adds)
    ev, rows = record_with(session, actor, RECORD_ACTION, "decision_batch", state["merkle_root"], state, details,
                           statements, commit=commit)
    return ev.seq, [r[0][0] for r in rows[:len(values)]]


def _copy(session: Session, table: str, columns: tuple[str, ...], rows) -> None:
    """Rows in one COPY (a tenth of the time of an INSERT per row)."""
    import psycopg

    cur = session.connection().connection.cursor()
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    try:
        with cur.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.errors.IntegrityError as exc:  # the driver's own error: the raw cursor is not SQLAlchemy's
        raise IntegrityError(sql, None, exc) from None
    finally:
        cur.close()


def _refuse(session: Session, actor: Actor, rows: list[dict], new: list[int], refused: dict[int, list[dict]],
            result: LedgerResult, now: dt.datetime) -> LedgerResult:
    """Write the refused attempts (not the decisions), their counts and one audit event."""
    listed = [{"row": new[j], "decision_id": rows[new[j]]["decision_id"], "use_case": rows[new[j]]["_bid"],
               "codes": [r["code"] for r in refs]} for j, refs in sorted(refused.items())]
    ev = record(session, actor, REFUSE_ACTION, "use_case", listed[0]["use_case"],
                {"refused": listed}, {"refused": len(listed), "rows": listed[:100]})
    values = []
    for j, refs in sorted(refused.items()):
        r = rows[new[j]]
        values.append({"use_case_id": r["use_case_id"], "system": r["system"], "decision_id": r["decision_id"],
                       "kind": r["kind"], "human_action": r["human_action"],
                       "codes": [{"code": x["code"], "rule": x["rule"], "pack": x["pack"]} for x in refs],
                       "decided_at": r["decided_at"], "refused_at": now, "audit_seq": ev.seq})
        first = refs[0]
        result.refusals.append({"index": new[j], "decision_id": r["decision_id"], "use_case": r["_bid"],
                                "code": first["code"], "citation": first["citation"], "refusals": refs})
    session.execute(insert(Refusal), values)
    counts.add(session, Counter((v["use_case_id"], agency_today(now=v["decided_at"]), v["kind"], v["human_action"],
                                 Outcome.REFUSED) for v in values))
    return result
