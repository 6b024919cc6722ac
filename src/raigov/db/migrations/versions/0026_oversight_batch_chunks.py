"""oversight: the root of each full chunk of 1,024 leaves of a decision batch, written with the batch, so that a
decision's proof reads its own chunk of the batch, not all of it (issue #15: a proof <= 50 ms).

Revision ID: 0026_oversight_batch_chunks
Revises: 0025_appeals_filed_index
"""
import sqlalchemy as sa
from alembic import op

revision = '0026_oversight_batch_chunks'
down_revision = '0025_appeals_filed_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'oversight_batch_chunks',
        sa.Column('batch_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('chunk', sa.Integer(), nullable=False),
        sa.Column('root', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('batch_seq', 'chunk', name=op.f('pk_oversight_batch_chunks')),
    )


def downgrade() -> None:
    op.drop_table('oversight_batch_chunks')
