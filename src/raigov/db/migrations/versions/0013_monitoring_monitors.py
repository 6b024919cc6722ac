"""monitoring: monitors (configuration and reference profile as data), windows, alerts, incidents and their
corrective actions (issue #17).

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _json():
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('monitors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('cadence', sa.String(length=20), nullable=False),
    sa.Column('cadence_days', sa.Integer(), nullable=False),
    sa.Column('grace_days', sa.Integer(), nullable=False),
    sa.Column('config', _json(), nullable=False),
    sa.Column('rules', _json(), nullable=False),
    sa.Column('spec', _json(), nullable=False),
    sa.Column('reference', _json(), nullable=False),
    sa.Column('reference_rows', sa.Integer(), nullable=False),
    sa.Column('reference_name', sa.String(length=300), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_monitors_use_case_id_use_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitors')),
    sa.UniqueConstraint('use_case_id', 'name', name=op.f('uq_monitors_use_case_id_name'))
    )
    op.create_table('monitor_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('monitor_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('counts', _json(), nullable=False),
    sa.Column('results', _json(), nullable=False),
    sa.Column('drift', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('received_by', sa.String(length=200), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['monitor_id'], ['monitors.id'], name=op.f('fk_monitor_windows_monitor_id_monitors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_windows')),
    sa.UniqueConstraint('monitor_id', 'period_start', name=op.f('uq_monitor_windows_monitor_id_period_start'))
    )
    op.create_index('ix_monitor_windows_monitor_id_period_end', 'monitor_windows', ['monitor_id', 'period_end'], unique=False)
    op.create_table('monitor_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('monitor_id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('last_window_id', sa.Integer(), nullable=False),
    sa.Column('feature', sa.String(length=200), nullable=False),
    sa.Column('group_name', sa.String(length=200), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('method', sa.Text(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('threshold_source', sa.Text(), nullable=False),
    sa.Column('n_reference', sa.Integer(), nullable=False),
    sa.Column('n_current', sa.Integer(), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=200), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['last_window_id'], ['monitor_windows.id'],
                            name=op.f('fk_monitor_alerts_last_window_id_monitor_windows')),
    sa.ForeignKeyConstraint(['monitor_id'], ['monitors.id'], name=op.f('fk_monitor_alerts_monitor_id_monitors')),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_monitor_alerts_use_case_id_use_cases')),
    sa.ForeignKeyConstraint(['window_id'], ['monitor_windows.id'], name=op.f('fk_monitor_alerts_window_id_monitor_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_alerts'))
    )
    op.create_index('ix_monitor_alerts_use_case_id_status', 'monitor_alerts', ['use_case_id', 'status'], unique=False)
    op.create_table('monitor_incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('what_happened', sa.Text(), nullable=False),
    sa.Column('affected', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('containment', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('opened_by', sa.String(length=200), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('suspended_by', sa.String(length=200), nullable=True),
    sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('suspend_reason', sa.Text(), nullable=True),
    sa.Column('lifted_by', sa.String(length=200), nullable=True),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=200), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['monitor_alerts.id'], name=op.f('fk_monitor_incidents_alert_id_monitor_alerts')),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_monitor_incidents_use_case_id_use_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_incidents'))
    )
    op.create_index('ix_monitor_incidents_use_case_id_status', 'monitor_incidents', ['use_case_id', 'status'], unique=False)
    op.create_table('monitor_incident_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['monitor_incidents.id'],
                            name=op.f('fk_monitor_incident_actions_incident_id_monitor_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_incident_actions'))
    )


def downgrade() -> None:
    op.drop_table('monitor_incident_actions')
    op.drop_index('ix_monitor_incidents_use_case_id_status', table_name='monitor_incidents')
    op.drop_table('monitor_incidents')
    op.drop_index('ix_monitor_alerts_use_case_id_status', table_name='monitor_alerts')
    op.drop_table('monitor_alerts')
    op.drop_index('ix_monitor_windows_monitor_id_period_end', table_name='monitor_windows')
    op.drop_table('monitor_windows')
    op.drop_table('monitors')
