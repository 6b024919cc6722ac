"""data call: the certified snapshot's spreadsheet-safe public CSV and public XLSX (issue #12, item 11), offered
beside the exact public file, each with its own name, size and SHA-256 on reporting_cycles; backfilled from each
certified cycle's datacall.certify event when it records them (a database downgraded and upgraded again). Cycles
certified before have neither file: the columns stay NULL and the public page offers only the exact file.

Revision ID: 0008
Revises: 0007
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COLUMNS = ('public_safe_file', 'public_safe_sha256', 'public_safe_size',
           'public_xlsx_file', 'public_xlsx_sha256', 'public_xlsx_size')


def upgrade() -> None:
    with op.batch_alter_table('reporting_cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_safe_file', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('public_safe_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('public_safe_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('public_xlsx_file', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('public_xlsx_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('public_xlsx_size', sa.Integer(), nullable=True))
    _backfill()


def _backfill() -> None:
    """audit_events is only read (its triggers refuse UPDATE and DELETE)."""
    conn = op.get_bind()
    cycles = sa.table('reporting_cycles', sa.column('id', sa.Integer), sa.column('year', sa.Integer),
                      sa.column('status', sa.String), *(sa.column(c) for c in COLUMNS))
    events = sa.table('audit_events', sa.column('seq', sa.Integer), sa.column('action', sa.String),
                      sa.column('object_type', sa.String), sa.column('object_id', sa.String),
                      sa.column('details', sa.Text))
    for cycle_id, year in conn.execute(sa.select(cycles.c.id, cycles.c.year).where(cycles.c.status == 'certified')).all():
        details = conn.execute(
            sa.select(events.c.details).where(events.c.action == 'datacall.certify',
                                              events.c.object_type == 'reporting_cycle',
                                              events.c.object_id == str(year))
            .order_by(events.c.seq.desc()).limit(1)).scalar()
        if details is None:
            continue
        d = json.loads(details)
        by_sha = {sha: name for name, sha in (d.get('files') or {}).items()}
        sizes = d.get('sizes') or {}
        values = {}
        for kind in ('safe', 'xlsx'):
            sha = d.get(f'public_{kind}_sha256')
            name = by_sha.get(sha) if sha else None
            if name:
                values |= {f'public_{kind}_file': name, f'public_{kind}_sha256': sha,
                           f'public_{kind}_size': sizes.get(name)}
        if values:
            conn.execute(cycles.update().where(cycles.c.id == cycle_id).values(**values))


def downgrade() -> None:
    # recreate='never': SQLite (3.35+) drops the columns in place (recreating the table would cascade, see 0006)
    with op.batch_alter_table('reporting_cycles', schema=None, recreate='never') as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
