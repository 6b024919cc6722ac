"""oversight: the decision ledger (append-only, like the audit trail), refused attempts, daily counts, the
operator roster and face-recognition opt-outs (issue #15).

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

APPEND_ONLY = ("oversight_decisions", "oversight_refusals")


def _big_id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'oversight_decisions',
        sa.Column('id', _big_id(), autoincrement=True, nullable=False),
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.Column('system', sa.String(length=200), nullable=False),
        sa.Column('decision_id', sa.String(length=200), nullable=False),
        sa.Column('ai_version', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=64), nullable=False),
        sa.Column('ai_output', sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.Column('reviewer', sa.String(length=200), nullable=True),
        sa.Column('human_action', sa.String(length=12), nullable=False),
        sa.Column('rationale', sa.Text(), nullable=False),
        sa.Column('other_bases', sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('corrects', sa.String(length=200), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('item_hash', sa.String(length=64), nullable=False),
        sa.Column('batch_seq', sa.Integer(), nullable=False),
        sa.Column('batch_index', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'],
                                name=op.f('fk_oversight_decisions_use_case_id_use_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_decisions')),
        sa.UniqueConstraint('use_case_id', 'system', 'decision_id',
                            name=op.f('uq_oversight_decisions_use_case_id_system_decision_id')),
    )
    op.create_index('ix_oversight_decisions_use_case_id_decided_at', 'oversight_decisions',
                    ['use_case_id', 'decided_at'], unique=False)
    op.create_index('ix_oversight_decisions_batch_seq_batch_index', 'oversight_decisions',
                    ['batch_seq', 'batch_index'], unique=False)
    op.create_table(
        'oversight_refusals',
        sa.Column('id', _big_id(), autoincrement=True, nullable=False),
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.Column('system', sa.String(length=200), nullable=False),
        sa.Column('decision_id', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('human_action', sa.String(length=12), nullable=False),
        sa.Column('codes', sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('refused_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('audit_seq', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'],
                                name=op.f('fk_oversight_refusals_use_case_id_use_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_refusals')),
    )
    op.create_index('ix_oversight_refusals_use_case_id_refused_at', 'oversight_refusals',
                    ['use_case_id', 'refused_at'], unique=False)
    op.create_table(
        'oversight_daily_counts',
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('human_action', sa.String(length=12), nullable=False),
        sa.Column('outcome', sa.String(length=10), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'],
                                name=op.f('fk_oversight_daily_counts_use_case_id_use_cases')),
        sa.PrimaryKeyConstraint('use_case_id', 'day', 'kind', 'human_action', 'outcome',
                                name=op.f('pk_oversight_daily_counts')),
    )
    op.create_table(
        'oversight_operators',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=200), nullable=False),
        sa.Column('trained_on', sa.Date(), nullable=False),
        sa.Column('expires_on', sa.Date(), nullable=False),
        sa.Column('recorded_by', sa.String(length=200), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'],
                                name=op.f('fk_oversight_operators_use_case_id_use_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_operators')),
        sa.UniqueConstraint('use_case_id', 'username', name=op.f('uq_oversight_operators_use_case_id_username')),
    )
    op.create_table(
        'oversight_opt_outs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=64), nullable=False),
        sa.Column('recorded_by', sa.String(length=200), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'],
                                name=op.f('fk_oversight_opt_outs_use_case_id_use_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_opt_outs')),
        sa.UniqueConstraint('use_case_id', 'subject', name=op.f('uq_oversight_opt_outs_use_case_id_subject')),
    )
    _append_only_triggers()


def _append_only_triggers() -> None:
    """The ledger and the refused attempts refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) at the database,
    with the audit trail's trigger function (migration 0001), so that the runtime role gets SELECT and INSERT
    only on them (raigov.db.privileges)."""
    if op.get_bind().dialect.name == "postgresql":
        for t in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
                       f"FOR EACH ROW EXECUTE FUNCTION raigov_append_only()")
            op.execute(f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION raigov_append_only()")
    else:
        for t in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {t}_no_{verb.lower()} BEFORE {verb} ON {t} BEGIN "
                           f"SELECT RAISE(ABORT, 'raigov: {verb} on {t} refused: the decision ledger is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for t in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}")
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}")
    op.drop_table('oversight_opt_outs')
    op.drop_table('oversight_operators')
    op.drop_table('oversight_daily_counts')
    op.drop_index('ix_oversight_refusals_use_case_id_refused_at', table_name='oversight_refusals')
    op.drop_table('oversight_refusals')
    op.drop_index('ix_oversight_decisions_batch_seq_batch_index', table_name='oversight_decisions')
    op.drop_index('ix_oversight_decisions_use_case_id_decided_at', table_name='oversight_decisions')
    op.drop_table('oversight_decisions')
