"""inventory: use_cases.id_sort, the id in natural order (DHS-14 before DHS-101) for the inventory list,
indexed; backfilled from each use case's id (inventory/sorting.py). Issue #14.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

from raigov.inventory.sorting import natural_key

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (no table copy on SQLite, which would drop the search triggers)
    op.add_column('use_cases', sa.Column('id_sort', sa.String(length=400), nullable=False, server_default=''))
    conn = op.get_bind()
    table = sa.table('use_cases', sa.column('id', sa.Integer), sa.column('business_id', sa.String),
                     sa.column('id_sort', sa.String))
    rows = conn.execute(sa.select(table.c.id, table.c.business_id)).all()
    for start in range(0, len(rows), 1000):
        conn.execute(table.update().where(table.c.id == sa.bindparam('rid')).values(id_sort=sa.bindparam('key')),
                     [{'rid': i, 'key': natural_key(b)} for i, b in rows[start:start + 1000]])
    op.create_index('ix_use_cases_id_sort', 'use_cases', ['id_sort'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_use_cases_id_sort', table_name='use_cases')
    op.drop_column('use_cases', 'id_sort')
