"""data call: the certified snapshot's files, sizes and hashes on reporting_cycles (public_sha256 was only
in the audit event); backfilled from each certified cycle's datacall.certify event

Revision ID: 0006
Revises: 0005
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

COLUMNS = ('snapshot_file', 'snapshot_size', 'public_file', 'public_sha256', 'public_size', 'public_count',
           'manifest_sha256')


def upgrade() -> None:
    with op.batch_alter_table('reporting_cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('snapshot_file', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('snapshot_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('public_file', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('public_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('public_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('public_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('manifest_sha256', sa.String(length=64), nullable=True))
    _backfill()


def _backfill() -> None:
    """Certified cycles take their public hash, file names and public row count from their (latest)
    datacall.certify audit event. audit_events is only read: its triggers refuse UPDATE and DELETE. Sizes and
    the manifest's hash are not in the event and stay NULL."""
    conn = op.get_bind()
    cycles = sa.table('reporting_cycles', sa.column('id', sa.Integer), sa.column('year', sa.Integer),
                      sa.column('status', sa.String), *(sa.column(c) for c in COLUMNS))
    events = sa.table('audit_events', sa.column('seq', sa.Integer), sa.column('action', sa.String),
                      sa.column('object_type', sa.String), sa.column('object_id', sa.String),
                      sa.column('details', sa.Text))
    for cycle_id, year in conn.execute(sa.select(cycles.c.id, cycles.c.year).where(cycles.c.status == 'certified')).all():
        details = conn.execute(
            # the action was renamed datacall.cycle.certify later (audit/actions.yaml); a database downgraded
            # and upgraded again holds that name
            sa.select(events.c.details).where(events.c.action.in_(('datacall.certify', 'datacall.cycle.certify')),
                                              events.c.object_type == 'reporting_cycle',
                                              events.c.object_id == str(year))
            .order_by(events.c.seq.desc()).limit(1)).scalar()
        if details is None:
            continue  # nothing to copy: the public pages refuse to serve this cycle and say so
        d = json.loads(details)
        files = d.get('files') or {}
        by_sha = {sha: name for name, sha in files.items()}
        full_name = by_sha.get(d.get('snapshot_sha256')) or f'omb-2025-inventory-{year}.csv'
        public_name = by_sha.get(d.get('public_sha256')) or f'omb-2025-inventory-{year}-public.csv'
        conn.execute(cycles.update().where(cycles.c.id == cycle_id).values(
            snapshot_file=full_name, public_file=public_name, public_sha256=d.get('public_sha256'),
            public_count=d.get('public_rows')))


def downgrade() -> None:
    # recreate='never': SQLite (3.35+) drops the columns in place. Recreating the table would DROP it, and with
    # foreign keys on that cascades to component_certifications.
    with op.batch_alter_table('reporting_cycles', schema=None, recreate='never') as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
