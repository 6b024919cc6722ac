"""The audit trail on both databases: appends in the caller's transaction, refuses UPDATE/DELETE at
the database, and `verify` names the first event that was changed, deleted, inserted or swapped."""

import itertools
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from raigov.audit import service as audit
from raigov.audit.canonical import GENESIS_HASH, event_bytes, event_hash
from raigov.errors import PermissionDenied


def _fill(db, system, n=12):
    with db.transaction() as s:
        for i in range(n):
            audit.record(s, system, "inventory.use_case.revise", "thing", i, {"i": i}, {"n": i, "label": f"héllo {i}"})


def _disable_guard(db):
    """Tests play the attacker with direct database access: drop the append-only triggers first."""
    with db.engine.begin() as c:
        if db.dialect == "postgresql":
            c.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        else:
            c.exec_driver_sql("DROP TRIGGER audit_events_no_update")
            c.exec_driver_sql("DROP TRIGGER audit_events_no_delete")


def test_chain_links_and_verifies(db, system):
    _fill(db, system)
    with db.transaction() as s:
        rows = s.execute(sa.select(audit.AuditEvent).order_by(audit.AuditEvent.seq)).scalars().all()
        assert [r.seq for r in rows] == list(range(1, 13))
        assert rows[0].prev_hash == GENESIS_HASH
        for a, b in itertools.pairwise(rows):
            assert b.prev_hash == a.event_hash
        assert json.loads(rows[3].details) == {"label": "héllo 3", "n": 3}
        result = audit.verify(s, system)
    assert result.ok and result.events == 12 and result.findings == []


def test_event_is_rolled_back_with_its_transaction(db, system):
    _fill(db, system, 2)
    with pytest.raises(RuntimeError):
        with db.transaction() as s:
            audit.record(s, system, "inventory.use_case.revise", "thing", 99, {})
            raise RuntimeError("the change failed")
    with db.transaction() as s:
        assert audit.tree_size(s) == 2
        assert audit.verify(s, system).ok


def test_database_refuses_update_and_delete(db, system, settings):
    _fill(db, system, 3)
    with db.transaction() as s:
        audit.sign_head(s, system, settings.data_dir)
    for stmt in ("UPDATE audit_events SET actor = 'x' WHERE seq = 2", "DELETE FROM audit_events WHERE seq = 3",
                 "UPDATE audit_tree_heads SET tree_size = 0"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine.begin() as c:
                c.exec_driver_sql(stmt)
    if db.dialect == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine.begin() as c:
                c.exec_driver_sql("TRUNCATE audit_events")


@pytest.mark.parametrize(
    "attack, seq, kind",
    [
        ("UPDATE audit_events SET action = 'test.thing.delete' WHERE seq = 5", 5, "changed"),
        ("UPDATE audit_events SET details = '{\"n\":7}' WHERE seq = 7", 7, "changed"),
        ("DELETE FROM audit_events WHERE seq = 6", 6, "deleted"),
    ],
)
def test_verify_names_the_tampered_event(db, system, attack, seq, kind):
    _fill(db, system)
    _disable_guard(db)
    with db.engine.begin() as c:
        c.exec_driver_sql(attack)
    with db.transaction() as s:
        result = audit.verify(s, system)
    assert not result.ok
    assert (result.findings[0].seq, result.findings[0].kind) == (seq, kind)


def test_verify_names_a_rewritten_event_even_with_its_hash_recomputed(db, system):
    """The attacker recomputes the hash of the row they changed: the next event's link breaks."""
    _fill(db, system)
    _disable_guard(db)
    with db.transaction() as s:
        ev = s.get(audit.AuditEvent, 4)
        data = audit.event_as_dict(ev) | {"actor": "user:mallory"}
        new_hash = event_hash(event_bytes(**{k: data[k] for k in ("seq", "time", "actor", "action", "object_type",
                                                                   "object_id", "state_digest", "details", "prev_hash")}))
    with db.engine.begin() as c:
        c.execute(sa.text("UPDATE audit_events SET actor = 'user:mallory', event_hash = :h WHERE seq = 4"), {"h": new_hash})
    with db.transaction() as s:
        result = audit.verify(s, system)
    assert not result.ok and result.findings[0].seq == 5
    assert "event 5 does not link to event 4" in result.findings[0].message


def test_verify_names_swapped_events(db, system):
    _fill(db, system)
    _disable_guard(db)
    with db.engine.begin() as c:  # swap the contents of 8 and 9 by renumbering
        c.exec_driver_sql("UPDATE audit_events SET seq = 1000 WHERE seq = 8")
        c.exec_driver_sql("UPDATE audit_events SET seq = 8 WHERE seq = 9")
        c.exec_driver_sql("UPDATE audit_events SET seq = 9 WHERE seq = 1000")
    with db.transaction() as s:
        result = audit.verify(s, system)
    assert not result.ok and result.findings[0].seq == 8
    assert result.findings[0].kind == "changed"


def test_verify_names_an_inserted_event(db, system):
    _fill(db, system)
    _disable_guard(db)
    with db.engine.begin() as c:  # make room at 6 and insert a forged event there
        for seq in range(12, 5, -1):
            c.exec_driver_sql(f"UPDATE audit_events SET seq = {seq + 1} WHERE seq = {seq}")
        c.exec_driver_sql(
            "INSERT INTO audit_events "
            "(seq, time, actor, action, object_type, object_id, state_digest, details, prev_hash, event_hash) "
            "SELECT 6, time, 'user:mallory', 'identity.role.grant', 'user', 'mallory', state_digest, '{}', "
            "event_hash, event_hash "
            "FROM audit_events WHERE seq = 5")
    with db.transaction() as s:
        result = audit.verify(s, system)
    assert not result.ok and result.findings[0].seq == 6


def test_truncation_after_a_signed_head_is_caught(db, system, settings):
    _fill(db, system)
    with db.transaction() as s:
        head = audit.sign_head(s, system, settings.data_dir)
    assert head["tree_size"] == 12
    _disable_guard(db)
    with db.engine.begin() as c:
        c.exec_driver_sql("DELETE FROM audit_events WHERE seq > 10")
    with db.transaction() as s:
        result = audit.verify(s, system)
    assert not result.ok
    assert any(f.kind == "truncated" and f.seq == 11 for f in result.findings)


def test_whole_rewrite_is_caught_by_the_signed_head(db, system, settings):
    """Even an attacker who rewrites every hash cannot forge the Ed25519-signed head."""
    _fill(db, system, 4)
    with db.transaction() as s:
        audit.sign_head(s, system, settings.data_dir)
    _disable_guard(db)
    with db.transaction() as s:
        rows = s.execute(sa.text("SELECT seq, time, actor, action, object_type, object_id, state_digest, details "
                                 "FROM audit_events ORDER BY seq")).all()
    prev = GENESIS_HASH
    with db.engine.begin() as c:
        for r in rows:
            actor = "user:mallory" if r.seq == 2 else r.actor
            h = event_hash(event_bytes(seq=r.seq, time=r.time, actor=actor, action=r.action, object_type=r.object_type,
                                       object_id=r.object_id, state_digest=r.state_digest, details=r.details, prev_hash=prev))
            c.execute(sa.text("UPDATE audit_events SET actor = :a, prev_hash = :p, event_hash = :h WHERE seq = :s"),
                      {"a": actor, "p": prev, "h": h, "s": r.seq})
            prev = h
    with db.transaction() as s:
        result = audit.verify(s, system)
    assert not result.ok and result.findings[0].kind == "head-mismatch"


def test_reads_need_the_audit_role(db, system, make_user, actor_of):
    _fill(db, system, 2)
    make_user("olga", "auditor")
    make_user("sam", "submitter@CBP")
    olga, sam = actor_of("olga"), actor_of("sam")
    with db.transaction() as s:
        rows, total = audit.list_events(s, olga, audit.EventFilter(action="inventory."))
        assert total == 2 and rows[0].seq == 2
        with pytest.raises(PermissionDenied):
            audit.list_events(s, sam)
        with pytest.raises(PermissionDenied):
            audit.sign_head(s, olga, "/nonexistent")  # the auditor changes nothing


def test_filters(db, system, make_user, actor_of):
    make_user("olga", "auditor")
    _fill(db, system, 3)
    olga = actor_of("olga")
    with db.transaction() as s:
        _, total = audit.list_events(s, olga, audit.EventFilter(actor="system:test"))
        assert total == 4  # three things and olga's account
        rows, total = audit.list_events(s, olga, audit.EventFilter(object_type="thing", object_id="1"))
        assert total == 1 and rows[0].object_id == "1"
        _, total = audit.list_events(s, olga, audit.EventFilter(object_type="user"))
        assert total == 1  # olga's own creation
