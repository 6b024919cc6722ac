"""datacall: explanations of failing reporting checks saved before a component certifies (datacall_explanations)

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('datacall_explanations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('component', sa.String(length=20), nullable=False),
    sa.Column('check_key', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('explained_by', sa.String(length=200), nullable=False),
    sa.Column('explained_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['reporting_cycles.id'],
                            name=op.f('fk_datacall_explanations_cycle_id_reporting_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_datacall_explanations')),
    sa.UniqueConstraint('cycle_id', 'check_key', name=op.f('uq_datacall_explanations_cycle_id_check_key'))
    )
    with op.batch_alter_table('datacall_explanations', schema=None) as batch_op:
        batch_op.create_index('ix_datacall_explanations_cycle', ['cycle_id', 'component'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('datacall_explanations', schema=None) as batch_op:
        batch_op.drop_index('ix_datacall_explanations_cycle')
    op.drop_table('datacall_explanations')
