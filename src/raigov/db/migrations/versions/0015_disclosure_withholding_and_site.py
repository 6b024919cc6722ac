"""disclosure: withholdings from the public inventory and builds of the public site (issue #19, items 2-4).

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'disclosure_withholdings',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=80), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], ondelete='CASCADE',
                                name=op.f('fk_disclosure_withholdings_use_case_id_use_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_withholdings')),
        sa.UniqueConstraint('use_case_id', 'field', name=op.f('uq_disclosure_withholdings_use_case_id_field')),
    )
    op.create_table(
        'disclosure_site_builds',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('directory', sa.String(length=200), nullable=False),
        sa.Column('files', sa.Integer(), nullable=False),
        sa.Column('merkle_root', sa.String(length=64), nullable=False),
        sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
        sa.Column('event_seq', sa.Integer(), nullable=False),
        sa.Column('built_by', sa.String(length=200), nullable=False),
        sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_site_builds')),
    )


def downgrade() -> None:
    op.drop_table('disclosure_site_builds')
    op.drop_table('disclosure_withholdings')
