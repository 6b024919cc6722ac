"""The decision ledger in the service layer, on both databases: idempotency and 409, atomic batches, every
refusal code (recorded as a refused attempt, counted and audited, the decision not stored), corrections, the
daily counts, and the permission rules (a service records only for its component; nobody updates a decision)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, text

from raigov.audit.models import AuditEvent
from raigov.errors import Conflict, PayloadTooLarge, PermissionDenied, ValidationFailed
from raigov.oversight import service as oversight
from raigov.oversight.models import DailyCount, Decision, Refusal
from tests.oversight.conftest import decision


def _record(db, actor, key, rows: list[dict], batch: bool = True):
    with db.transaction() as s:
        if batch:
            parsed = oversight.parse_batch(json.dumps({"decisions": rows}).encode())
        else:
            parsed = [oversight.parse_decision(json.dumps(rows[0]).encode())]
        return oversight.record_decisions(s, actor, key, parsed, batch=batch)


def _count(db, model) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_record_then_the_same_again_then_a_different_body(db, people, use_cases, key):
    sys_ = people["cbp-sys"]
    first = _record(db, sys_, key, [decision(use_cases["low"])], batch=False)
    assert first.created == 1 and first.rows[0]["status"] == "created" and first.refusals == []
    again = _record(db, sys_, key, [decision(use_cases["low"])], batch=False)
    assert again.created == 0 and again.rows[0] == {**first.rows[0], "status": "existing"}
    assert again.batch_seq is None  # nothing new: no audit event
    with pytest.raises(Conflict) as e:
        _record(db, sys_, key, [decision(use_cases["low"], rationale="another reason")], batch=False)
    assert e.value.errors[0].field == "decision_id" and "correction" in e.value.errors[0].message
    assert _count(db, Decision) == 1
    with db.transaction() as s:
        d = s.get(Decision, first.rows[0]["id"])
        assert d.rationale == "income above the limit on the pay stubs"
        # the subject is a pseudonym: HMAC-SHA-256 under the agency key, never the identifier
        assert d.subject == oversight.pseudonym(key, "A000000001") and "A000000001" not in json.dumps(
            oversight.decision_out(d, use_cases["low"]), default=str)
        ev = s.get(AuditEvent, d.batch_seq)
        assert ev.action == "oversight.decision.record" and json.loads(ev.details)["items"] == 1


def test_a_correction_is_a_new_record_linked_to_the_first(db, people, use_cases, key):
    sys_ = people["cbp-sys"]
    _record(db, sys_, key, [decision(use_cases["low"])])
    fix = decision(use_cases["low"], 2, kind="favourable", corrects="D-1", rationale="appeal upheld")
    res = _record(db, sys_, key, [fix])
    assert res.created == 1
    with db.transaction() as s:
        rows = {d.decision_id: d for d in s.scalars(select(Decision))}
    assert rows["D-1"].kind == "benefit_denial" and rows["D-2"].corrects == "D-1"
    with pytest.raises(ValidationFailed) as e:
        _record(db, sys_, key, [decision(use_cases["low"], 3, corrects="D-99")])
    assert e.value.errors[0].field == "decisions.0.corrects"
    # another system's decision with the same id is another key
    with pytest.raises(PermissionDenied):
        _record(db, people["tsa-sys"], key, [decision(use_cases["low"], 4)])


def test_a_bad_row_in_the_middle_of_a_batch_writes_nothing(db, people, use_cases, key):
    sys_ = people["cbp-sys"]
    with db.transaction() as s:
        events = s.scalar(select(func.count()).select_from(AuditEvent))
    rows = [decision(use_cases["low"], n) for n in range(1, 6)]
    rows[2]["kind"] = "banishment"
    with pytest.raises(ValidationFailed) as e:
        _record(db, sys_, key, rows)
    assert [x.field for x in e.value.errors] == ["decisions.2.kind"] and "unknown kind" in e.value.errors[0].message
    rows[2]["kind"] = "favourable"
    rows[3]["use_case"] = "DHS-NOPE"
    with pytest.raises(ValidationFailed) as e:
        _record(db, sys_, key, rows)
    assert e.value.errors[0].field == "decisions.3.use_case"
    rows[3] = decision(use_cases["low"], 4, human_action="none")  # a reviewer named but nobody acted
    with pytest.raises(ValidationFailed) as e:
        _record(db, sys_, key, rows)
    assert e.value.errors[0].field == "decisions.3.reviewer"
    rows[3] = decision(use_cases["low"], 1, rationale="a different body under an id of the same batch")
    with pytest.raises(Conflict) as e:
        _record(db, sys_, key, rows)
    assert e.value.errors[0].field == "decisions.3.decision_id"
    assert _count(db, Decision) == 0 and _count(db, DailyCount) == 0 and _count(db, Refusal) == 0
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == events
    rows[3] = decision(use_cases["low"], 4)
    res = _record(db, sys_, key, rows)
    assert res.created == 5 and [r["index"] for r in res.rows] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("body, field, code", [
    ({"decisions": [{**decision("DHS-1"), "colour": "red"}]}, "decisions.0.colour", "extra_forbidden"),
    ({"decisions": [{**decision("DHS-1"), "other_bases": "one"}]}, "decisions.0.other_bases", "list_type"),
    ({"decisions": [{**decision("DHS-1"), "human_action": "maybe"}]}, "decisions.0.human_action", "literal_error"),
    ({"decisions": [{k: v for k, v in decision("DHS-1").items() if k != "rationale"}]}, "decisions.0.rationale", "missing"),
    ({"decisions": [{**decision("DHS-1"), "decided_at": 1764856800}]}, "decisions.0.decided_at", "datetime_type"),
    ({"decisions": []}, "decisions", "too_short"),
])
def test_wrong_types_and_unknown_fields_name_the_row_and_field(body, field, code):
    with pytest.raises(ValidationFailed) as e:
        oversight.parse_batch(json.dumps(body).encode())
    assert (e.value.errors[0].field, e.value.errors[0].code) == (field, code)


def test_non_json_and_oversize_batches_are_refused():
    with pytest.raises(ValidationFailed) as e:
        oversight.parse_batch(b"decision_id,use_case\n1,DHS-1\n")
    assert e.value.errors[0].code == "json_invalid"
    with pytest.raises(PayloadTooLarge) as e:
        oversight.parse_batch(json.dumps({"decisions": [decision("DHS-1", n) for n in range(10_001)]}).encode())
    assert e.value.errors[0].field == "decisions" and "10000" in e.value.errors[0].message


def _refused(db, actor, key, rows) -> set[str]:
    res = _record(db, actor, key, rows)
    assert res.created == 0 and res.refusals
    return {x["code"] for r in res.refusals for x in r["refusals"]}


def test_ai_sole_basis(db, people, use_cases, key):
    sys_ = people["cbp-sys"]
    low = use_cases["low"]
    # no human review of an adverse decision
    res = _record(db, sys_, key, [decision(low, 1, human_action="none", reviewer=None)])
    r = res.refusals[0]
    assert (r["index"], r["code"]) == (0, "ai_sole_basis") and "139-08" in r["citation"]
    assert r["refusals"][0]["rule"] == "D139-08.Decision.SoleBasis" and r["refusals"][0]["pack"] == "dhs-139-08@1.2.0"
    # reviewed, but the AI output is the only basis
    assert _refused(db, sys_, key, [decision(low, 2, other_bases=[])]) == {"ai_sole_basis"}
    # a favourable decision without review is no prohibited use
    assert _record(db, sys_, key, [decision(low, 3, kind="favourable", human_action="none", reviewer=None,
                                            other_bases=[])]).created == 1
    # the refused attempts are recorded, counted and audited; their decisions are not
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 1
        refusals = list(s.scalars(select(Refusal).order_by(Refusal.id)))
        assert [(x.decision_id, [c["code"] for c in x.codes]) for x in refusals] == [
            ("D-1", ["ai_sole_basis"]), ("D-2", ["ai_sole_basis"])]
        ev = s.get(AuditEvent, refusals[0].audit_seq)
        assert ev.action == "oversight.decision.refuse" and json.loads(ev.details)["rows"][0]["codes"] == ["ai_sole_basis"]
    st = _stats(db, people["lead"], low)
    assert st["totals"] == {"recorded": 1, "refused": 2}
    assert st["by_kind"] == {"benefit_denial": {"recorded": 0, "refused": 2}, "favourable": {"recorded": 1, "refused": 0}}


def _stats(db, actor, bid):
    with db.transaction() as s:
        return oversight.stats(s, actor, bid)


def test_a_refused_row_refuses_the_whole_batch(db, people, use_cases, key):
    rows = [decision(use_cases["low"], n) for n in range(1, 5)]
    rows[2]["other_bases"] = []
    res = _record(db, people["cbp-sys"], key, rows)
    assert [(r["index"], r["code"]) for r in res.refusals] == [(2, "ai_sole_basis")]
    assert _count(db, Decision) == 0 and _stats(db, people["lead"], use_cases["low"])["totals"] == {
        "recorded": 0, "refused": 1}


def test_operator_not_qualified(db, people, use_cases, key):
    sys_, low = people["cbp-sys"], use_cases["low"]
    assert _refused(db, sys_, key, [decision(low, 1, reviewer="someone.else")]) == {"operator_not_qualified"}
    # training not yet current on the day of the decision, then expired
    with db.transaction() as s:
        oversight.record_operator(s, people["lead"], low, "late.starter", dt.date(2026, 12, 5), dt.date(2027, 12, 5))
        oversight.record_operator(s, people["lead"], low, "lapsed", dt.date(2025, 1, 1), dt.date(2026, 1, 1))
    assert _refused(db, sys_, key, [decision(low, 2, reviewer="late.starter")]) == {"operator_not_qualified"}
    assert _refused(db, sys_, key, [decision(low, 3, reviewer="lapsed")]) == {"operator_not_qualified"}
    with pytest.raises(PermissionDenied):  # only the component's leads and the CAIO's office keep the roster
        with db.transaction() as s:
            oversight.record_operator(s, people["tsa.lead"], low, "x", dt.date(2026, 1, 1), dt.date(2027, 1, 1))


def test_the_training_ledger_renews_an_operators_training(db, people, use_cases, key, make_user, actor_of):
    """Issue #15: the roster uses the person-level training ledger (issue #16) where it exists: a completion of the
    operators' course (courses.yaml, audience "operators") counts from its day to its expiry, beside the roster's
    own dates; another course does not; being on the roster is still required."""
    from raigov.training import service as training

    sys_, low = people["cbp-sys"], use_cases["low"]
    make_user("lapsed.officer", "submitter@CBP", password=False)
    make_user("coordinator", "training_coordinator", password=False)
    coord = actor_of("coordinator")
    with db.transaction() as s:  # the roster's own training ended on 2026-01-01; the decision is of 2026-12-04
        oversight.record_operator(s, people["lead"], low, "Lapsed.Officer", dt.date(2025, 1, 1), dt.date(2026, 1, 1))
        training.record_completion(s, coord, "lapsed.officer", "ai-awareness", dt.date(2026, 6, 1), dt.date(2026, 12, 4))
    assert _refused(db, sys_, key, [decision(low, 1, reviewer="Lapsed.Officer")]) == {"operator_not_qualified"}
    with db.transaction() as s:  # completed after the decision's day: not yet current on it
        training.record_completion(s, coord, "lapsed.officer", "hi-ai-operator", dt.date(2026, 12, 5), dt.date(2026, 12, 5))
    assert _refused(db, sys_, key, [decision(low, 2, reviewer="Lapsed.Officer")]) == {"operator_not_qualified"}
    with db.transaction() as s:  # completed on 2026-06-01, valid 12 months: current on 2026-12-04
        training.record_completion(s, coord, "lapsed.officer", "hi-ai-operator", dt.date(2026, 6, 1), dt.date(2026, 12, 5))
    res = _record(db, sys_, key, [decision(low, 3, reviewer="Lapsed.Officer")])
    assert (res.created, res.refusals) == (1, [])
    # a trained person who is not on this use case's roster is still refused
    make_user("trained.stranger", "submitter@CBP", password=False)
    with db.transaction() as s:
        training.record_completion(s, coord, "trained.stranger", "hi-ai-operator", dt.date(2026, 6, 1), dt.date(2026, 12, 5))
    assert _refused(db, sys_, key, [decision(low, 4, reviewer="trained.stranger")]) == {"operator_not_qualified"}


def test_use_case_not_authorized_gives_the_gates_reasons(db, people, use_cases, key, settings):
    res = _record(db, people["cbp-sys"], key, [decision(use_cases["fr"], 1, kind="favourable")])
    refusal = res.refusals[0]
    assert refusal["code"] == "use_case_not_authorized"
    assert {x["code"] for x in refusal["refusals"]} == {"use_case_not_authorized"}
    with db.transaction() as s:
        from raigov.governance import service as gov

        gate = gov.authorization(s, people["cbp-sys"], use_cases["fr"])
    assert gate.authorized is False
    assert {r["code"] for r in refusal["refusals"][0]["reasons"]} == {r["code"] for r in gate.reasons}


def test_fr_sole_basis_and_fr_opt_out(db, people, use_cases, key):
    sys_, fr = people["cbp-sys"], use_cases["fr"]
    codes = _refused(db, sys_, key, [decision(fr, 1, kind="arrest", other_bases=[])])
    assert {"fr_sole_basis", "ai_sole_basis", "use_case_not_authorized"} == codes
    # with a basis other than the match, no sole-basis refusal (the gate still says no)
    assert _refused(db, sys_, key, [decision(fr, 2, kind="arrest")]) == {"use_case_not_authorized"}
    with db.transaction() as s:
        assert oversight.record_opt_out(s, people["privacy"], key, fr, " A000000003 ") is True
        assert oversight.record_opt_out(s, people["privacy"], key, fr, "A000000003") is False
    assert _refused(db, sys_, key, [decision(fr, 3, kind="favourable")]) == {"fr_opt_out", "use_case_not_authorized"}
    assert _refused(db, sys_, key, [decision(fr, 4, kind="favourable")]) == {"use_case_not_authorized"}
    # the check answers yes or no, for the use case opted out of only
    with db.transaction() as s:
        assert oversight.check_opt_out(s, sys_, key, fr, "A000000003") is True
        assert oversight.check_opt_out(s, sys_, key, fr, "A000000004") is False
        assert oversight.check_opt_out(s, sys_, key, use_cases["low"], "A000000003") is False
        with pytest.raises(ValidationFailed) as e:  # no opt-out from a use that is not face recognition
            oversight.record_opt_out(s, people["privacy"], key, use_cases["low"], "A000000003")
        assert e.value.errors[0].field == "use_case"
        with pytest.raises(PermissionDenied):
            oversight.check_opt_out(s, people["tsa-sys"], key, fr, "A000000003")
        with pytest.raises(PermissionDenied):
            oversight.record_opt_out(s, people["legal"], key, fr, "A000000005")


def test_who_reads_and_that_nobody_updates_a_decision(db, people, use_cases, key):
    res = _record(db, people["cbp-sys"], key, [decision(use_cases["low"])])
    pk = res.rows[0]["id"]
    for who in ("lead", "caio", "privacy", "crcl", "auditor"):
        with db.transaction() as s:
            assert oversight.get_decision(s, people[who], pk)[0].id == pk
    for who in ("tsa.lead", "owner", "legal", "cbp-sys"):
        with db.transaction() as s, pytest.raises(PermissionDenied):
            oversight.get_decision(s, people[who], pk)
    with db.transaction() as s:
        assert [r["use_case"] for r in oversight.overview(s, people["lead"])] == [use_cases["low"]]
        assert oversight.overview(s, people["tsa.lead"]) == []
    from sqlalchemy.exc import DatabaseError

    for sql in ("UPDATE oversight_decisions SET kind = 'favourable'", "DELETE FROM oversight_decisions"):
        with pytest.raises(DatabaseError, match="append-only"), db.transaction() as s:
            s.execute(text(sql))
    assert _count(db, Decision) == 1


def test_a_decision_in_the_future_is_refused(db, people, use_cases, key):
    with pytest.raises(ValidationFailed) as e:
        _record(db, people["cbp-sys"], key, [decision(use_cases["low"], decided_at="2099-01-01T00:00:00Z")])
    assert e.value.errors[0].field == "decisions.0.decided_at"


@pytest.mark.parametrize("output", [
    {"score": 0.91, "label": "inéligible ✓", "big": 2**70, "flags": [True, False, None, 1e-7, -0.0, 1.5e300],
     "nested": {"b": [1, 2.5, {"z": "q", "a": 3}], "a": ""}},
    "a plain text output with \"quotes\", \\ and \u2028",
    {},
])
def test_the_fast_item_hash_is_the_audit_trails_item_hash(output):
    from raigov.audit.batch import item_hash
    from raigov.oversight.ledger import fast_item_hash

    item = {"use_case": "DHS-1", "system": "service:x", "decision_id": "é-1", "ai_version": "v", "kind": "arrest",
            "subject": "ab" * 32, "ai_output": output, "reviewer": None, "human_action": "none", "rationale": "r\n",
            "other_bases": ["one", "twö"], "decided_at": "2026-12-04T14:00:00.000000Z", "corrects": None}
    assert fast_item_hash(item) == item_hash(item).hex()
