"""monitoring: an incident records its source (a monitoring alert, an oversight alert, a reversed appeal or a
public feedback report), issue #17 item 6.

Revision ID: 0022_incident_source
Revises: 0021_oversight_operators
"""
import sqlalchemy as sa
from alembic import op

revision = '0022_incident_source'
down_revision = '0021_oversight_operators'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('monitor_incidents') as batch:
        batch.add_column(sa.Column('source_kind', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('source_id', sa.Integer(), nullable=True))
    op.execute("UPDATE monitor_incidents SET source_kind = 'monitor_alert', source_id = alert_id "
               "WHERE alert_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('monitor_incidents') as batch:
        batch.drop_column('source_id')
        batch.drop_column('source_kind')
