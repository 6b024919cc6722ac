"""disclosure: the accountability reports (generated files with their SHA-256, the compliance plan's edited
sections) and public feedback (issue #19, items 5 and 6).

Revision ID: 0012_h19_reports
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_h19_reports'
down_revision = '0011'
branch_labels = None
depends_on = None


def _json():
    return sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'accountability_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('fmt', sa.String(length=8), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data_sha256', sa.String(length=64), nullable=False),
        sa.Column('final', sa.Boolean(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_accountability_reports_kind_year', 'accountability_reports', ['kind', 'year'])
    op.create_table(
        'compliance_plans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('sections', _json(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_by', sa.String(length=200), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finalised_by', sa.String(length=200), nullable=True),
        sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('year'),
    )


def downgrade() -> None:
    op.drop_table('compliance_plans')
    op.drop_index('ix_accountability_reports_kind_year', table_name='accountability_reports')
    op.drop_table('accountability_reports')
