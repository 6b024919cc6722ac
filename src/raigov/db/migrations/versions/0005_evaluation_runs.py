"""evaluation: T&E runs (input hash, result, criteria outcome, report evidence)

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evaluation_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('parameters', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('input_filename', sa.String(length=300), nullable=False),
    sa.Column('input_sha256', sa.String(length=64), nullable=False),
    sa.Column('input_rows', sa.Integer(), nullable=True),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('criteria', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('report_sha256', sa.String(length=64), nullable=True),
    sa.Column('report_pdf_evidence_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('component', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_evaluation_runs_use_case_id_use_cases'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['report_pdf_evidence_id'], ['evidence.id'],
                            name=op.f('fk_evaluation_runs_report_pdf_evidence_id_evidence')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_evaluation_runs_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_runs'))
    )
    with op.batch_alter_table('evaluation_runs', schema=None) as batch_op:
        batch_op.create_index('ix_evaluation_runs_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_evaluation_runs_use_case_id', ['use_case_id'], unique=False)
        batch_op.create_index('ix_evaluation_runs_input_sha256', ['input_sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('evaluation_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_evaluation_runs_input_sha256')
        batch_op.drop_index('ix_evaluation_runs_use_case_id')
        batch_op.drop_index('ix_evaluation_runs_created_at')

    op.drop_table('evaluation_runs')
