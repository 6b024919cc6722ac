"""genai and training (issue #16): the GenAI tool catalog and its states, rules of behavior and
acknowledgements, access requests, grants, gateway usage counts; the training ledger; supervisors.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "genai_rules_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genai_rules_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_genai_rules_versions_version")),
    )
    op.create_table(
        "genai_tools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("data_class", sa.String(length=40), nullable=False),
        sa.Column("tos_amendment", sa.Text(), nullable=False),
        sa.Column("courses", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=True),
        sa.Column("upstream_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genai_tools")),
        sa.UniqueConstraint("key", name=op.f("uq_genai_tools_key")),
    )
    op.create_table(
        "genai_tool_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tool_id"], ["genai_tools.id"], name=op.f("fk_genai_tool_states_tool_id_genai_tools"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genai_tool_states")),
    )
    with op.batch_alter_table("genai_tool_states", schema=None) as batch_op:
        batch_op.create_index("ix_genai_tool_states_tool_id_effective_on", ["tool_id", "effective_on"], unique=False)

    op.create_table(
        "genai_access_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["supervisor_id"], ["users.id"], name=op.f("fk_genai_access_requests_supervisor_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tool_id"], ["genai_tools.id"], name=op.f("fk_genai_access_requests_tool_id_genai_tools"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_genai_access_requests_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genai_access_requests")),
    )
    with op.batch_alter_table("genai_access_requests", schema=None) as batch_op:
        batch_op.create_index("ix_genai_access_requests_supervisor_id_status", ["supervisor_id", "status"], unique=False)
        batch_op.create_index("ix_genai_access_requests_user_id", ["user_id"], unique=False)

    op.create_table(
        "genai_rules_acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_genai_rules_acknowledgements_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genai_rules_acknowledgements")),
        sa.UniqueConstraint("user_id", "version", name=op.f("uq_genai_rules_acknowledgements_user_id_version")),
    )
    op.create_table(
        "genai_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("blocked", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tool_id"], ["genai_tools.id"], name=op.f("fk_genai_usage_tool_id_genai_tools"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_genai_usage_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genai_usage")),
        sa.UniqueConstraint("user_id", "tool_id", "day", name=op.f("uq_genai_usage_user_id_tool_id_day")),
    )
    op.create_table(
        "supervisions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["supervisor_id"], ["users.id"], name=op.f("fk_supervisions_supervisor_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_supervisions_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_supervisions")),
    )
    with op.batch_alter_table("supervisions", schema=None) as batch_op:
        batch_op.create_index("ix_supervisions_supervisor_id", ["supervisor_id"], unique=False)

    op.create_table(
        "training_completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.String(length=40), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_training_completions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_completions")),
        sa.UniqueConstraint(
            "user_id", "course_id", "completed_on", name=op.f("uq_training_completions_user_id_course_id_completed_on")
        ),
    )
    with op.batch_alter_table("training_completions", schema=None) as batch_op:
        batch_op.create_index("ix_training_completions_course_id_expires_on", ["course_id", "expires_on"], unique=False)

    op.create_table(
        "genai_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suspended_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["genai_access_requests.id"], name=op.f("fk_genai_grants_request_id_genai_access_requests")
        ),
        sa.ForeignKeyConstraint(
            ["tool_id"], ["genai_tools.id"], name=op.f("fk_genai_grants_tool_id_genai_tools"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_genai_grants_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genai_grants")),
        sa.UniqueConstraint("user_id", "tool_id", name=op.f("uq_genai_grants_user_id_tool_id")),
    )
    with op.batch_alter_table("genai_grants", schema=None) as batch_op:
        batch_op.create_index("ix_genai_grants_tool_id", ["tool_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("genai_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_genai_grants_tool_id")

    op.drop_table("genai_grants")
    with op.batch_alter_table("training_completions", schema=None) as batch_op:
        batch_op.drop_index("ix_training_completions_course_id_expires_on")

    op.drop_table("training_completions")
    with op.batch_alter_table("supervisions", schema=None) as batch_op:
        batch_op.drop_index("ix_supervisions_supervisor_id")

    op.drop_table("supervisions")
    op.drop_table("genai_usage")
    op.drop_table("genai_rules_acknowledgements")
    with op.batch_alter_table("genai_access_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_genai_access_requests_user_id")
        batch_op.drop_index("ix_genai_access_requests_supervisor_id_status")

    op.drop_table("genai_access_requests")
    with op.batch_alter_table("genai_tool_states", schema=None) as batch_op:
        batch_op.drop_index("ix_genai_tool_states_tool_id_effective_on")

    op.drop_table("genai_tool_states")
    op.drop_table("genai_tools")
    op.drop_table("genai_rules_versions")
