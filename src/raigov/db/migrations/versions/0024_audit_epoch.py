"""audit: a partial index on the events that may change state (every action but the append-only ledgers'),
so that ``audit.service.epoch`` (the newest such event) is one index look-up; caches of the gate's input and of
API tokens' actors are checked against it (issue #15, one decision's latency).

Revision ID: 0024_audit_epoch
Revises: 0023_oversight_partitions
"""
import sqlalchemy as sa
from alembic import op

revision = '0024_audit_epoch'
down_revision = '0023_oversight_partitions'
branch_labels = None
depends_on = None

# frozen here: a later change of the ledger actions writes a new migration (tests/audit/test_epoch.py)
PREDICATE = "action NOT IN ('genai.prompt.screen', 'oversight.decision.record', 'oversight.decision.refuse')"


def upgrade() -> None:
    op.create_index('ix_audit_events_epoch', 'audit_events', ['seq'], unique=False,
                    postgresql_where=sa.text(PREDICATE), sqlite_where=sa.text(PREDICATE))


def downgrade() -> None:
    op.drop_index('ix_audit_events_epoch', table_name='audit_events')
