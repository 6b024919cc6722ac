"""oversight: per-operator daily counts of recorded decisions (use case x agency day x reviewer x human action),
kept in the recording transaction, filled here from the ledger once (issue #15 item 6: per-operator figures).

Revision ID: 0021_oversight_operators
Revises: 0020_oversight_appeals
"""
from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0021_oversight_operators'
down_revision = '0020_oversight_appeals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'oversight_operator_counts',
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('reviewer', sa.String(length=200), nullable=False),
        sa.Column('human_action', sa.String(length=12), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'],
                                name=op.f('fk_oversight_operator_counts_use_case_id_use_cases')),
        sa.PrimaryKeyConstraint('use_case_id', 'day', 'reviewer', 'human_action',
                                name=op.f('pk_oversight_operator_counts')),
    )
    # the decisions recorded before: counted once, by agency day (the zone of the settings, as the ledger does)
    from raigov.clock import agency_today

    conn = op.get_bind()
    c: Counter = Counter()
    rows = conn.execute(sa.text("SELECT use_case_id, reviewer, human_action, decided_at FROM oversight_decisions "
                                "WHERE reviewer IS NOT NULL"))
    for uc, reviewer, action, at in rows:
        if isinstance(at, str):  # SQLite hands back text
            at = datetime.fromisoformat(at)
        if at.tzinfo is None:  # stored in UTC
            at = at.replace(tzinfo=UTC)
        c[(uc, agency_today(now=at), reviewer, action)] += 1
    if c:
        op.bulk_insert(table, [{"use_case_id": k[0], "day": k[1], "reviewer": k[2], "human_action": k[3], "count": n}
                               for k, n in sorted(c.items(), key=lambda kv: str(kv[0]))])


def downgrade() -> None:
    op.drop_table('oversight_operator_counts')
