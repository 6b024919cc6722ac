"""oversight: use cases' plain-language notices, appeals against recorded decisions, remedy counts, and the
optional `notice` a decision carries (issue #15 items 4 and 5).

Revision ID: 0020_oversight_appeals
Revises: 0019_oversight_signals
"""
import sqlalchemy as sa
from alembic import op

revision = '0020_oversight_appeals'
down_revision = '0019_oversight_signals'
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.add_column('oversight_decisions',
                  sa.Column('notice', sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql'),
                            nullable=True))
    op.create_table(
        'oversight_use_case_notices',
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.Column('what_ai_does', sa.Text(), nullable=False),
        sa.Column('human_review', sa.Text(), nullable=False),
        sa.Column('appeal', sa.Text(), nullable=False),
        sa.Column('opt_out', sa.Text(), nullable=False),
        sa.Column('updated_by', sa.String(length=200), nullable=False),
        _at('updated_at'),
        sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'],
                                name=op.f('fk_oversight_use_case_notices_use_case_id_use_cases')),
        sa.PrimaryKeyConstraint('use_case_id', name=op.f('pk_oversight_use_case_notices')),
    )
    op.create_table(
        'oversight_appeals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('decision_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('grounds', sa.Text(), nullable=False),
        sa.Column('filed_by', sa.String(length=200), nullable=False),
        _at('filed_at'),
        sa.Column('filed_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('outcome', sa.String(length=10), nullable=True),
        sa.Column('rationale', sa.Text(), nullable=True),
        sa.Column('decided_by', sa.String(length=200), nullable=True),
        _at('decided_at', True),
        sa.Column('decided_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['decision_pk'], ['oversight_decisions.id'],
                                name=op.f('fk_oversight_appeals_decision_pk_oversight_decisions')),
        sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'],
                                name=op.f('fk_oversight_appeals_use_case_id_use_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_appeals')),
    )
    op.create_index('ix_oversight_appeals_status_due_on', 'oversight_appeals', ['status', 'due_on'], unique=False)
    op.create_index('ix_oversight_appeals_use_case_id_decided_on', 'oversight_appeals', ['use_case_id', 'decided_on'],
                    unique=False)
    op.create_index('ix_oversight_appeals_decision_pk', 'oversight_appeals', ['decision_pk'], unique=False)
    op.create_table(
        'oversight_remedy_counts',
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('measure', sa.String(length=20), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'],
                                name=op.f('fk_oversight_remedy_counts_use_case_id_use_cases')),
        sa.PrimaryKeyConstraint('use_case_id', 'day', 'measure', name=op.f('pk_oversight_remedy_counts')),
    )


def downgrade() -> None:
    op.drop_table('oversight_remedy_counts')
    op.drop_index('ix_oversight_appeals_decision_pk', table_name='oversight_appeals')
    op.drop_index('ix_oversight_appeals_use_case_id_decided_on', table_name='oversight_appeals')
    op.drop_index('ix_oversight_appeals_status_due_on', table_name='oversight_appeals')
    op.drop_table('oversight_appeals')
    op.drop_table('oversight_use_case_notices')
    op.drop_column('oversight_decisions', 'notice')
