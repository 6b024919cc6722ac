"""The one-round-trip append on PostgreSQL (audit.service.record_with): the event's hash is chained in SQL
(``_APPEND_PG``) after its start is built in Python (canonical.event_head). The stored bytes hash as
canonical.event_bytes says, whatever the values hold (quotes, backslashes, control characters, non-ASCII text),
on an empty trail (after the genesis hash) and between appends made the usual way, in one transaction or in
several; the statements after it see the new event's sequence number as ``APPENDED_SEQ``."""

from __future__ import annotations

import threading

from sqlalchemy import select, text

from raigov.audit import service as audit
from raigov.audit.canonical import GENESIS_HASH, event_bytes, event_hash
from raigov.audit.models import AuditEvent

ODD = 'quote " backslash \\ tab \t newline \n nul-ish \x01 café 東京 🙂 </script>'


def _hash_of(ev: AuditEvent) -> str:
    return event_hash(event_bytes(seq=ev.seq, time=ev.time, actor=ev.actor, action=ev.action,
                                  object_type=ev.object_type, object_id=ev.object_id, state_digest=ev.state_digest,
                                  details=ev.details, prev_hash=ev.prev_hash))


def test_the_hash_chained_in_sql_is_the_canonical_one(pg_db, system):
    with pg_db.transaction() as s:  # the first event of the trail, after the genesis hash
        first, rows = audit.record_with(s, f"{system.label} {ODD}", "oversight.decision.record", "decision_batch",
                                        ODD, {"x": ODD}, {"note": ODD, "n": [1, 2.5, None, True]},
                                        [(f"SELECT {audit.APPENDED_SEQ}", {})])
        assert first.seq == 1 and first.prev_hash == GENESIS_HASH and rows == [[(1,)]]
        second = audit.record(s, system, "oversight.decision.record", "decision_batch", "two", {}, {"k": ODD})
        third, _ = audit.record_with(s, system, "oversight.decision.record", "decision_batch", "three", None, None, [])
        assert (second.seq, second.prev_hash) == (2, first.event_hash)
        assert (third.seq, third.prev_hash) == (3, second.event_hash)
    with pg_db.transaction() as s:
        fourth, _ = audit.record_with(s, system, "oversight.decision.record", "decision_batch", "four", {}, {}, [])
        fifth = audit.record(s, system, "oversight.decision.record", "decision_batch", "five", {}, {})
    with pg_db.transaction() as s:
        stored = s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        assert [e.seq for e in stored] == [1, 2, 3, 4, 5]
        assert fourth.prev_hash == third.event_hash and fifth.prev_hash == fourth.event_hash
        for ev in stored:
            assert ev.event_hash == _hash_of(ev)  # what an independent verifier recomputes
        returned = {1: first, 3: third, 4: fourth}
        for seq, ev in returned.items():  # the event record_with answers is the one stored
            row = stored[seq - 1]
            assert {c: getattr(ev, c) for c in audit._EVENT_COLUMNS} == {c: getattr(row, c) for c in audit._EVENT_COLUMNS}
        assert stored[0].object_id == ODD and stored[0].actor == f"{system.label} {ODD}"
        assert stored[0].time < stored[1].time < stored[2].time < stored[3].time < stored[4].time
        assert audit.verify(s, system).ok


def test_an_append_waits_for_the_lock_and_chains_after_the_holder(pg_db, system):
    """A second writer's append, sent while the first holds the lock, chains after the first's event once the
    first commits: its statement's snapshot is taken after the lock is granted."""
    started, done = threading.Event(), []
    with pg_db.transaction() as s:
        audit.record(s, system, "oversight.decision.record", "decision_batch", "holder", {}, {})

        def second():
            with pg_db.transaction() as s2:
                started.set()
                done.append(audit.record_with(s2, system, "oversight.decision.record", "decision_batch", "waiter", {},
                                              {}, [])[0])

        t = threading.Thread(target=second)
        t.start()
        started.wait(5)
        s.execute(text("SELECT pg_sleep(0.3)"))  # the waiter is blocked on the lock meanwhile
        assert not done
    t.join(10)
    with pg_db.transaction() as s:
        holder = s.scalar(select(AuditEvent).where(AuditEvent.object_id == "holder"))
        assert done[0].seq == holder.seq + 1 and done[0].prev_hash == holder.event_hash
        assert audit.verify(s, system).ok
