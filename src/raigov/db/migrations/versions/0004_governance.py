"""governance: reviews, practices, evidence, assessments, waivers, pilots, notices, data call

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('recipient', sa.String(length=300), nullable=False),
    sa.Column('recipient_user', sa.String(length=200), nullable=True),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=120), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=200), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
    sa.UniqueConstraint('key', name=op.f('uq_notices_key'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_sent_at', ['sent_at'], unique=False)

    op.create_table('reporting_cycles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('opened_by', sa.String(length=200), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('certified_by', sa.String(length=200), nullable=True),
    sa.Column('certified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('snapshot_sha256', sa.String(length=64), nullable=True),
    sa.Column('snapshot_path', sa.String(length=500), nullable=True),
    sa.Column('snapshot_count', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_cycles')),
    sa.UniqueConstraint('year', name=op.f('uq_reporting_cycles_year'))
    )
    op.create_table('component_certifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('component', sa.String(length=20), nullable=False),
    sa.Column('use_case_count', sa.Integer(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('explanations', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('certified_by', sa.String(length=200), nullable=False),
    sa.Column('certified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['reporting_cycles.id'],
                            name=op.f('fk_component_certifications_cycle_id_reporting_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_component_certifications'))
    )
    with op.batch_alter_table('component_certifications', schema=None) as batch_op:
        batch_op.create_index('ix_component_certifications_cycle', ['cycle_id', 'component'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('filename', sa.String(length=300), nullable=True),
    sa.Column('media_type', sa.String(length=100), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('dated_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('component', sa.String(length=20), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_evidence_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_expires_on', ['expires_on'], unique=False)
        batch_op.create_index('ix_evidence_sha256', ['sha256'], unique=False)

    op.create_table('impact_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_impact_assessments_use_case_id_use_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_impact_assessments')),
    sa.UniqueConstraint('use_case_id', 'number', name=op.f('uq_impact_assessments_use_case_id_number'))
    )
    op.create_table('pilots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('scale', sa.Text(), nullable=False),
    sa.Column('max_participants', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('opt_in_out', sa.Text(), nullable=False),
    sa.Column('practices_applied', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('certified_by', sa.String(length=200), nullable=False),
    sa.Column('certified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_pilots_use_case_id_use_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pilots'))
    )
    op.create_table('practices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=120), nullable=False),
    sa.Column('pack', sa.String(length=120), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('citation', sa.String(length=300), nullable=False),
    sa.Column('timing', sa.String(length=40), nullable=True),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_practices_owner_id_users')),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_practices_use_case_id_use_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practices')),
    sa.UniqueConstraint('use_case_id', 'item', name=op.f('uq_practices_use_case_id_item'))
    )
    with op.batch_alter_table('practices', schema=None) as batch_op:
        batch_op.create_index('ix_practices_status_due', ['status', 'due_on'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('lane', sa.String(length=40), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('required_by', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_reviews_assignee_id_users')),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_reviews_use_case_id_use_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('use_case_id', 'lane', 'cycle', name=op.f('uq_reviews_use_case_id_lane_cycle'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_lane_status', ['lane', 'status'], unique=False)

    op.create_table('waivers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('practice_item', sa.String(length=120), nullable=False),
    sa.Column('grounds', sa.String(length=30), nullable=False),
    sa.Column('determination', sa.Text(), nullable=False),
    sa.Column('risk_assessment', sa.Text(), nullable=False),
    sa.Column('public_summary', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('granted_by', sa.String(length=200), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('certified_on', sa.Date(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=200), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.Column('omb_report_due', sa.Date(), nullable=False),
    sa.Column('omb_reported_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_waivers_use_case_id_use_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waivers'))
    )
    with op.batch_alter_table('waivers', schema=None) as batch_op:
        batch_op.create_index('ix_waivers_use_case_item', ['use_case_id', 'practice_item'], unique=False)

    op.create_table('evidence_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=True),
    sa.Column('linked_by', sa.String(length=200), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_evidence_links_evidence_id_evidence')),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_evidence_links_practice_id_practices')),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_evidence_links_use_case_id_use_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_links')),
    sa.UniqueConstraint('evidence_id', 'use_case_id', 'practice_id',
                        name=op.f('uq_evidence_links_evidence_id_use_case_id_practice_id'))
    )
    with op.batch_alter_table('evidence_links', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_links_use_case_id', ['use_case_id'], unique=False)

    op.create_table('review_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('decision', sa.String(length=30), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_review_comments_author_id_users')),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_comments_review_id_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_comments'))
    )
    with op.batch_alter_table('review_comments', schema=None) as batch_op:
        batch_op.create_index('ix_review_comments_review_id', ['review_id'], unique=False)

    op.create_table('review_conditions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=200), nullable=True),
    sa.Column('closure_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_conditions_review_id_reviews'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_conditions'))
    )
    op.create_table('risk_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('assessment_sha256', sa.String(length=64), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('accepted_by', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=40), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_risk_acceptances_accepted_by_id_users')),
    sa.ForeignKeyConstraint(['assessment_id'], ['impact_assessments.id'],
                            name=op.f('fk_risk_acceptances_assessment_id_impact_assessments')),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_risk_acceptances_use_case_id_use_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_acceptances'))
    )


def downgrade() -> None:
    op.drop_table('risk_acceptances')
    op.drop_table('review_conditions')
    with op.batch_alter_table('review_comments', schema=None) as batch_op:
        batch_op.drop_index('ix_review_comments_review_id')

    op.drop_table('review_comments')
    with op.batch_alter_table('evidence_links', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_links_use_case_id')

    op.drop_table('evidence_links')
    with op.batch_alter_table('waivers', schema=None) as batch_op:
        batch_op.drop_index('ix_waivers_use_case_item')

    op.drop_table('waivers')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_lane_status')

    op.drop_table('reviews')
    with op.batch_alter_table('practices', schema=None) as batch_op:
        batch_op.drop_index('ix_practices_status_due')

    op.drop_table('practices')
    op.drop_table('pilots')
    op.drop_table('impact_assessments')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_sha256')
        batch_op.drop_index('ix_evidence_expires_on')

    op.drop_table('evidence')
    with op.batch_alter_table('component_certifications', schema=None) as batch_op:
        batch_op.drop_index('ix_component_certifications_cycle')

    op.drop_table('component_certifications')
    op.drop_table('reporting_cycles')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_sent_at')

    op.drop_table('notices')
