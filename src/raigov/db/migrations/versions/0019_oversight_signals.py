"""oversight signals: each use case's authorized scale and declared protected characteristics with their CRCL
justification, and the oversight alerts (automation bias, scale) (issue #15).

Revision ID: 0019_oversight_signals
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = '0019_oversight_signals'
down_revision = '0018'
branch_labels = None
depends_on = None


def _json():
    return sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'oversight_use_case_settings',
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.Column('authorized_scale', sa.Integer(), nullable=True),
        sa.Column('protected_inputs', _json(), nullable=False),
        sa.Column('justified_inputs', _json(), nullable=False),
        sa.Column('justification', sa.Text(), nullable=True),
        sa.Column('justified_by', sa.String(length=200), nullable=True),
        sa.Column('justified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_by', sa.String(length=200), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'],
                                name=op.f('fk_oversight_use_case_settings_use_case_id_use_cases')),
        sa.PrimaryKeyConstraint('use_case_id', name=op.f('pk_oversight_use_case_settings')),
    )
    op.create_table(
        'oversight_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('details', _json(), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_oversight_alerts_use_case_id_use_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_alerts')),
        sa.UniqueConstraint('use_case_id', 'kind', 'day', name=op.f('uq_oversight_alerts_use_case_id_kind_day')),
    )
    op.create_index('ix_oversight_alerts_status_use_case_id', 'oversight_alerts', ['status', 'use_case_id'])


def downgrade() -> None:
    op.drop_index('ix_oversight_alerts_status_use_case_id', table_name='oversight_alerts')
    op.drop_table('oversight_alerts')
    op.drop_table('oversight_use_case_settings')
