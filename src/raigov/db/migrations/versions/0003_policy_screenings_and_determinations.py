"""policy: screenings and determinations

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('screenings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('pack', sa.String(length=120), nullable=False),
    sa.Column('presumed', sa.Boolean(), nullable=False),
    sa.Column('out_of_scope', sa.Boolean(), nullable=False),
    sa.Column('categories', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('prohibited', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_screenings_use_case_id_use_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screenings'))
    )
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.create_index('ix_screenings_use_case_pack', ['use_case_id', 'pack'], unique=False)

    op.create_table('determinations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('framework', sa.String(length=20), nullable=False),
    sa.Column('pack', sa.String(length=120), nullable=True),
    sa.Column('decision', sa.String(length=60), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('screening_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['screening_id'], ['screenings.id'], name=op.f('fk_determinations_screening_id_screenings')),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_determinations_use_case_id_use_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_determinations'))
    )
    with op.batch_alter_table('determinations', schema=None) as batch_op:
        batch_op.create_index('ix_determinations_use_case', ['use_case_id', 'framework'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('determinations', schema=None) as batch_op:
        batch_op.drop_index('ix_determinations_use_case')

    op.drop_table('determinations')
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.drop_index('ix_screenings_use_case_pack')

    op.drop_table('screenings')
