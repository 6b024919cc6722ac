"""The audit trail's epoch (audit.service.epoch) and the caches checked against it (audit.epoch_cache): an event of
any action but the ledgers' moves the epoch, a ledger event does not, a transaction's own uncommitted change hides
it; on PostgreSQL it is answered from the partial index; and what the caches hold (an API token's actor) is
never used once a change was committed: revoking a token, taking a role or deactivating an account takes effect
on the very next request. Both databases."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa

from raigov.audit import actions
from raigov.audit import service as audit
from raigov.audit.epoch_cache import EpochCache
from raigov.audit.models import EPOCH_PREDICATE
from raigov.web.app import create_app

MIGRATION = Path(__file__).resolve().parents[2] / "src/raigov/db/migrations/versions/0024_audit_epoch.py"


def test_the_index_predicate_is_the_catalogue_s_ledger_actions():
    """models.py, migration 0024 and actions.yaml name the same actions: a change of the ledger actions needs a
    new migration of the index."""
    spec = importlib.util.spec_from_file_location("m0024", MIGRATION)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    expected = "action NOT IN (" + ", ".join(f"'{a}'" for a in actions.LEDGER_ACTIONS) + ")"
    assert mod.PREDICATE == EPOCH_PREDICATE == expected
    assert actions.LEDGER_ACTIONS == ("genai.prompt.screen", "oversight.decision.record", "oversight.decision.refuse")


def test_epoch_moves_with_changes_not_with_ledger_events(db, system):
    with db.transaction() as s:
        assert audit.epoch(s) == (0, audit.GENESIS_HASH)
        ev = audit.record(s, system, "inventory.use_case.revise", "thing", 1, {"i": 1})
        assert audit.epoch(s) is None  # this transaction changed state: no cache may be used in it
    with db.transaction() as s:
        first = audit.epoch(s)
        assert first == (ev.seq, ev.event_hash)
        audit.record(s, system, "oversight.decision.record", "decision_batch", "r", {"root": "r"})
        audit.record(s, system, "genai.prompt.screen", "prompt", "h", {"d": "allow"})
        assert audit.epoch(s) == first  # ledger events change nothing the caches read
    with db.transaction() as s:
        assert audit.epoch(s) == first
        ev2 = audit.record(s, system, "identity.token.revoke", "api_token", 1, {})
    with db.transaction() as s:
        assert audit.epoch(s) == (ev2.seq, ev2.event_hash) != first
    with pytest.raises(RuntimeError):  # a rolled-back change leaves the epoch where it was
        with db.transaction() as s:
            audit.record(s, system, "inventory.use_case.revise", "thing", 2, {"i": 2})
            raise RuntimeError("rolled back")
    with db.transaction() as s:
        assert audit.epoch(s) == (ev2.seq, ev2.event_hash)


def test_the_cache_reuses_a_value_only_under_the_same_epoch(db, system):
    cache = EpochCache(maxsize=2)
    reads = []

    def compute():
        reads.append(1)
        return len(reads)

    with db.transaction() as s:
        assert cache.get(s, "k", compute) == 1
        assert cache.get(s, "k", compute) == 1
        assert cache.get(s, "k", compute, max_age=0) == 2  # 0: never cached
    with db.transaction() as s:
        audit.record(s, system, "oversight.decision.record", "decision_batch", "r", {})
    with db.transaction() as s:
        assert cache.get(s, "k", compute) == 1  # a ledger event: still valid
        audit.record(s, system, "inventory.use_case.revise", "thing", 1, {})
        assert cache.get(s, "k", compute) == 3  # this transaction's own change: read, not cached
    with db.transaction() as s:
        assert cache.get(s, "k", compute) == 4  # the committed change: read again
        assert cache.get(s, "k", compute) == 4
        cache.get(s, "a", compute)
        cache.get(s, "b", compute)  # maxsize 2: "k" is out
        assert cache.get(s, "k", compute) == 7
        assert cache.get(s, "none", lambda: None, keep_none=False) is None
        assert cache.get(s, "none", compute, keep_none=False) == 8  # None was not kept


def test_postgres_answers_the_epoch_from_the_partial_index(pg_db, system):
    with pg_db.transaction() as s:
        for i in range(3):
            audit.record(s, system, "inventory.use_case.revise", "thing", i, {"i": i})
    with pg_db.transaction() as s:
        s.execute(sa.text("SET LOCAL enable_seqscan = off"))  # the planner's choice on a tiny table aside
        plan = "\n".join(s.execute(sa.text("EXPLAIN " + str(audit._EPOCH_SQL))).scalars())
    assert "ix_audit_events_epoch" in plan, plan


def test_revoking_a_token_or_a_role_or_the_account_takes_effect_on_the_next_request(db, settings, make_user, system):
    from fastapi.testclient import TestClient

    from raigov.identity import service as identity

    make_user("cbp-sys", "service@CBP", kind="service")
    make_user("admin", "admin", password=False)
    with db.transaction() as s:
        token, _ = identity.create_token(s, system, "cbp-sys", "t", settings)
        token2, _ = identity.create_token(s, system, "cbp-sys", "t2", settings)
        admin = identity.actor_for(s, identity.get_user(s, "admin"))
    hdr, hdr2 = {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {token2}"}
    with TestClient(create_app(settings, db), base_url="http://testserver") as c:
        me = "/api/v1/me"
        assert c.get(me, headers=hdr).status_code == 200
        assert c.get(me, headers=hdr).json()["username"] == "cbp-sys"  # cached now
        with db.transaction() as s:
            tid = s.scalar(sa.select(identity.ApiToken.id).where(identity.ApiToken.name == "t"))
            identity.revoke_token(s, admin, tid)
        assert c.get(me, headers=hdr).status_code == 401
        assert "service" in str(c.get(me, headers=hdr2).json())
        with db.transaction() as s:
            identity.revoke_role(s, admin, "cbp-sys", "service", "CBP")
        assert "service" not in str(c.get(me, headers=hdr2).json().get("roles"))
        with db.transaction() as s:
            identity.set_active(s, admin, "cbp-sys", False)
        assert c.get(me, headers=hdr2).status_code == 401


def test_the_epoch_is_read_once_a_transaction(db, system):
    """Later readings in a transaction answer the first (a request consults several caches and pays one look-up);
    the next transaction reads it anew."""
    with db.transaction(read=True) as s:
        first = audit.epoch(s)
        with db.transaction() as other:  # a change committed meanwhile
            ev = audit.record(other, system, "inventory.use_case.revise", "thing", 9, {"i": 9})
        assert audit.epoch(s) == first != (ev.seq, ev.event_hash)
    with db.transaction() as s:
        assert audit.epoch(s) == (ev.seq, ev.event_hash)
