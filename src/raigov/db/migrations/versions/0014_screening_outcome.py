"""policy: the screen's outcome on a stored screening (presumed / insufficient_information / not_presumed;
issue #18). Screenings stored before it get presumed or not_presumed from their `presumed`.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('screenings', sa.Column('outcome', sa.String(length=30), nullable=True))
    op.execute("UPDATE screenings SET outcome = CASE WHEN presumed THEN 'presumed' ELSE 'not_presumed' END")


def downgrade() -> None:
    with op.batch_alter_table('screenings') as b:
        b.drop_column('outcome')
