"""identity: grants of deciding roles pending a second person (pending_role_grants, role_assignments.confirmed_by);
sign-in throttling per (name, address) and per address (sign_in_attempts.throttled, index on ip, at)

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pending_role_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], name=op.f('fk_pending_role_grants_org_unit_id_org_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pending_role_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_role_grants'))
    )
    with op.batch_alter_table('pending_role_grants', schema=None) as batch_op:
        batch_op.create_index('ix_pending_role_grants_user_id', ['user_id'], unique=False)

    # recreate='never': plain ADD COLUMN / CREATE INDEX on SQLite too (recreating role_assignments or
    # sign_in_attempts would drop and copy them for nothing)
    with op.batch_alter_table('role_assignments', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('confirmed_by', sa.String(length=200), nullable=True))
    with op.batch_alter_table('sign_in_attempts', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('throttled', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_sign_in_attempts_ip_at', ['ip', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sign_in_attempts', schema=None, recreate='never') as batch_op:
        batch_op.drop_index('ix_sign_in_attempts_ip_at')
        batch_op.drop_column('throttled')
    with op.batch_alter_table('role_assignments', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('confirmed_by')
    with op.batch_alter_table('pending_role_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_pending_role_grants_user_id')
    op.drop_table('pending_role_grants')
