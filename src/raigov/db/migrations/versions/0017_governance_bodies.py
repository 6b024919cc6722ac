"""bodies: the governance bodies' members, meetings, agenda items, attendance, decisions and votes (issue #20).

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('body_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=True),
    sa.Column('minutes_published', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_body_meetings'))
    )
    with op.batch_alter_table('body_meetings', schema=None) as batch_op:
        batch_op.create_index('ix_body_meetings_body_starts_at', ['body', 'starts_at'], unique=False)

    op.create_table('body_agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('subject_ref', sa.String(length=200), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('added_by', sa.String(length=200), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['body_meetings.id'],
                            name=op.f('fk_body_agenda_items_meeting_id_body_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_body_agenda_items')),
    sa.UniqueConstraint('meeting_id', 'position', name=op.f('uq_body_agenda_items_meeting_id_position'))
    )
    op.create_table('body_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body', sa.String(length=40), nullable=False),
    sa.Column('seat', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('appointed_by', sa.String(length=200), nullable=False),
    sa.Column('appointed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_body_members_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_body_members'))
    )
    with op.batch_alter_table('body_members', schema=None) as batch_op:
        batch_op.create_index('ix_body_members_body_seat', ['body', 'seat'], unique=False)

    op.create_table('body_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['body_meetings.id'],
                            name=op.f('fk_body_attendance_meeting_id_body_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['body_members.id'],
                            name=op.f('fk_body_attendance_member_id_body_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_body_attendance')),
    sa.UniqueConstraint('meeting_id', 'member_id', name=op.f('uq_body_attendance_meeting_id_member_id'))
    )
    op.create_table('body_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('subject_ref', sa.String(length=200), nullable=True),
    sa.Column('subject_label', sa.String(length=500), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('yes', sa.Integer(), nullable=False),
    sa.Column('no', sa.Integer(), nullable=False),
    sa.Column('abstain', sa.Integer(), nullable=False),
    sa.Column('present', sa.Integer(), nullable=False),
    sa.Column('quorum_needed', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'],
                            name=op.f('fk_body_decisions_evidence_id_evidence')),
    sa.ForeignKeyConstraint(['meeting_id'], ['body_meetings.id'],
                            name=op.f('fk_body_decisions_meeting_id_body_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_body_decisions'))
    )
    with op.batch_alter_table('body_decisions', schema=None) as batch_op:
        batch_op.create_index('ix_body_decisions_subject', ['subject_kind', 'subject_ref'], unique=False)

    op.create_table('body_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('vote', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['body_decisions.id'],
                            name=op.f('fk_body_votes_decision_id_body_decisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['body_members.id'],
                            name=op.f('fk_body_votes_member_id_body_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_body_votes')),
    sa.UniqueConstraint('decision_id', 'member_id', name=op.f('uq_body_votes_decision_id_member_id'))
    )


def downgrade() -> None:
    op.drop_table('body_votes')
    with op.batch_alter_table('body_decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_body_decisions_subject')

    op.drop_table('body_decisions')
    op.drop_table('body_attendance')
    with op.batch_alter_table('body_members', schema=None) as batch_op:
        batch_op.drop_index('ix_body_members_body_seat')

    op.drop_table('body_members')
    op.drop_table('body_agenda_items')
    with op.batch_alter_table('body_meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_body_meetings_body_starts_at')

    op.drop_table('body_meetings')
