"""inventory: use cases and revisions

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('use_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('business_id', sa.String(length=120), nullable=False),
    sa.Column('id_key', sa.String(length=300), nullable=True),
    sa.Column('name_key', sa.String(length=400), nullable=False),
    sa.Column('agency', sa.String(length=200), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=True),
    sa.Column('office', sa.String(length=300), nullable=True),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('stage', sa.String(length=200), nullable=True),
    sa.Column('impact', sa.String(length=200), nullable=True),
    sa.Column('topic', sa.String(length=200), nullable=True),
    sa.Column('is_cots', sa.Boolean(), nullable=False),
    sa.Column('is_face_recognition', sa.Boolean(), nullable=False),
    sa.Column('is_genai', sa.Boolean(), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retirement_reason', sa.Text(), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('revision_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_units.id'], name=op.f('fk_use_cases_org_unit_id_org_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_use_cases')),
    sa.UniqueConstraint('business_id', name=op.f('uq_use_cases_business_id')),
    sa.UniqueConstraint('id_key', name=op.f('uq_use_cases_id_key'))
    )
    with op.batch_alter_table('use_cases', schema=None) as batch_op:
        batch_op.create_index('ix_use_cases_agency_status', ['agency', 'status'], unique=False)
        batch_op.create_index('ix_use_cases_impact', ['impact'], unique=False)
        batch_op.create_index('ix_use_cases_name_key', ['name_key'], unique=False)
        batch_op.create_index('ix_use_cases_org_unit_id', ['org_unit_id'], unique=False)
        batch_op.create_index('ix_use_cases_stage', ['stage'], unique=False)
        batch_op.create_index('ix_use_cases_updated_at', ['updated_at'], unique=False)

    op.create_table('use_case_people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_use_case_people_use_case_id_use_cases'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_use_case_people_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_use_case_people')),
    sa.UniqueConstraint('use_case_id', 'user_id', 'role', name=op.f('uq_use_case_people_use_case_id_user_id_role'))
    )
    op.create_table('use_case_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('use_case_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('schema', sa.String(length=12), nullable=False),
    sa.Column('values', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('extra', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('source_form', sa.String(length=30), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['use_case_id'], ['use_cases.id'], name=op.f('fk_use_case_revisions_use_case_id_use_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_use_case_revisions')),
    sa.UniqueConstraint('use_case_id', 'number', name=op.f('uq_use_case_revisions_use_case_id_number'))
    )
    _full_text_search()


def _full_text_search() -> None:
    """SQLite: an FTS5 index kept in step by triggers. PostgreSQL: a GIN index on a tsvector."""
    if op.get_bind().dialect.name == "postgresql":
        # a stored tsvector: filters and ranking read it instead of re-parsing the text of each row
        op.execute("ALTER TABLE use_cases ADD COLUMN use_cases_fts_vector tsvector GENERATED ALWAYS AS "
                   "(to_tsvector('english', name || ' ' || search_text)) STORED")
        op.execute("CREATE INDEX ix_use_cases_fts ON use_cases USING gin (use_cases_fts_vector)")
        return
    op.execute("CREATE VIRTUAL TABLE use_cases_fts USING fts5(name, search_text, content='use_cases', "
               "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')")
    op.execute("CREATE TRIGGER use_cases_fts_ai AFTER INSERT ON use_cases BEGIN "
               "INSERT INTO use_cases_fts(rowid, name, search_text) VALUES (new.id, new.name, new.search_text); END")
    op.execute("CREATE TRIGGER use_cases_fts_ad AFTER DELETE ON use_cases BEGIN "
               "INSERT INTO use_cases_fts(use_cases_fts, rowid, name, search_text) "
               "VALUES ('delete', old.id, old.name, old.search_text); END")
    op.execute("CREATE TRIGGER use_cases_fts_au AFTER UPDATE OF name, search_text ON use_cases BEGIN "
               "INSERT INTO use_cases_fts(use_cases_fts, rowid, name, search_text) "
               "VALUES ('delete', old.id, old.name, old.search_text); "
               "INSERT INTO use_cases_fts(rowid, name, search_text) VALUES (new.id, new.name, new.search_text); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_use_cases_fts")
        op.execute("ALTER TABLE use_cases DROP COLUMN IF EXISTS use_cases_fts_vector")
    else:
        for t in ("use_cases_fts_ai", "use_cases_fts_ad", "use_cases_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {t}")
        op.execute("DROP TABLE IF EXISTS use_cases_fts")
    op.drop_table('use_case_revisions')
    op.drop_table('use_case_people')
    with op.batch_alter_table('use_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_use_cases_updated_at')
        batch_op.drop_index('ix_use_cases_stage')
        batch_op.drop_index('ix_use_cases_org_unit_id')
        batch_op.drop_index('ix_use_cases_name_key')
        batch_op.drop_index('ix_use_cases_impact')
        batch_op.drop_index('ix_use_cases_agency_status')

    op.drop_table('use_cases')
