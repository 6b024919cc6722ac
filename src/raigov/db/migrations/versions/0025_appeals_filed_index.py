"""oversight: an index on the appeals by use case and day filed, for the appeals filed per bucket (per use case and
per operator, oversight/trends.py and reads.operator_appeal_days), as the decided ones have.

Revision ID: 0025_appeals_filed_index
Revises: 0024_audit_epoch
"""
from alembic import op

revision = '0025_appeals_filed_index'
down_revision = '0024_audit_epoch'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_oversight_appeals_use_case_id_filed_on', 'oversight_appeals', ['use_case_id', 'filed_on'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_oversight_appeals_use_case_id_filed_on', table_name='oversight_appeals')
