"""oversight: the decision ledger's keys in a table of their own (``oversight_decision_keys``, unique per use
case, system and decision_id, with the item hash), appeals pointing at it; on PostgreSQL the ledger becomes
range-partitioned by month on ``decided_at`` (a partition per month holding data and for the 24 months ahead,
and a DEFAULT partition), its primary key (id, decided_at). SQLite keeps one ledger table (its unique constraint
moves to the key table). Every row is kept, with its id.

Revision ID: 0023_oversight_partitions
Revises: 0022_incident_source
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0023_oversight_partitions'
down_revision = '0022_incident_source'
branch_labels = None
depends_on = None

MONTHS_AHEAD = 24
COLUMNS = ("id", "use_case_id", "system", "decision_id", "ai_version", "kind", "subject", "ai_output", "reviewer",
           "human_action", "rationale", "other_bases", "decided_at", "corrects", "recorded_at", "item_hash",
           "batch_seq", "batch_index", "notice")


def _big_id():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _sqlite_triggers(table: str) -> None:
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} BEGIN "
                   f"SELECT RAISE(ABORT, 'raigov: {verb} on {table} refused: the decision ledger is append-only'); END")


def _pg_triggers(table: str) -> None:
    op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
               f"FOR EACH ROW EXECUTE FUNCTION raigov_append_only()")
    op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
               f"FOR EACH STATEMENT EXECUTE FUNCTION raigov_append_only()")


def _month_starts(conn) -> list[dt.date]:
    """The months holding decisions, and this month and the MONTHS_AHEAD after it (UTC)."""
    held = [r[0].date() if isinstance(r[0], dt.datetime) else r[0] for r in conn.execute(sa.text(
        "SELECT DISTINCT date_trunc('month', decided_at AT TIME ZONE 'UTC') FROM oversight_decisions_unpartitioned"))]
    today = dt.datetime.now(dt.UTC).date().replace(day=1)
    ahead, m = [], today
    for _ in range(MONTHS_AHEAD + 1):
        ahead.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return sorted(set(held) | set(ahead))


def upgrade() -> None:
    conn = op.get_bind()
    pg = conn.dialect.name == "postgresql"
    op.create_table(
        'oversight_decision_keys',
        sa.Column('id', _big_id(), autoincrement=True, nullable=False),
        sa.Column('use_case_id', sa.Integer(), nullable=False),
        sa.Column('system', sa.String(length=200), nullable=False),
        sa.Column('decision_id', sa.String(length=200), nullable=False),
        sa.Column('item_hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_decision_keys')),
        sa.UniqueConstraint('use_case_id', 'system', 'decision_id',
                            name=op.f('uq_oversight_decision_keys_use_case_id_system_decision_id')),
    )
    op.execute("INSERT INTO oversight_decision_keys (id, use_case_id, system, decision_id, item_hash) "
               "SELECT id, use_case_id, system, decision_id, item_hash FROM oversight_decisions ORDER BY id")
    with op.batch_alter_table('oversight_appeals') as b:
        b.drop_constraint('fk_oversight_appeals_decision_pk_oversight_decisions', type_='foreignkey')
        b.create_foreign_key('fk_oversight_appeals_decision_pk_oversight_decision_keys', 'oversight_decision_keys',
                             ['decision_pk'], ['id'])
    if not pg:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS oversight_decisions_no_{verb}")
        with op.batch_alter_table('oversight_decisions') as b:
            b.drop_constraint('uq_oversight_decisions_use_case_id_system_decision_id', type_='unique')
        _sqlite_triggers('oversight_decisions')
        _sqlite_triggers('oversight_decision_keys')
        return
    op.execute("SELECT setval(pg_get_serial_sequence('oversight_decision_keys', 'id'), "
               "coalesce((SELECT max(id) FROM oversight_decision_keys), 0) + 1, false)")
    _pg_triggers('oversight_decision_keys')
    # the ledger: the old table aside (its names freed), the partitioned one in its place, the rows copied
    op.execute("ALTER TABLE oversight_decisions RENAME TO oversight_decisions_unpartitioned")
    op.execute("ALTER TABLE oversight_decisions_unpartitioned RENAME CONSTRAINT pk_oversight_decisions "
               "TO pk_oversight_decisions_unpartitioned")
    op.execute("ALTER TABLE oversight_decisions_unpartitioned RENAME CONSTRAINT "
               "fk_oversight_decisions_use_case_id_use_cases TO fk_oversight_decisions_unpartitioned_use_case_id")
    for ix in ("ix_oversight_decisions_use_case_id_decided_at", "ix_oversight_decisions_batch_seq_batch_index"):
        op.execute(f"ALTER INDEX {ix} RENAME TO {ix}_unpartitioned")
    op.execute("CREATE TABLE oversight_decisions (LIKE oversight_decisions_unpartitioned) PARTITION BY RANGE (decided_at)")
    op.execute("ALTER TABLE oversight_decisions ADD CONSTRAINT pk_oversight_decisions PRIMARY KEY (id, decided_at)")
    op.execute("ALTER TABLE oversight_decisions ADD CONSTRAINT fk_oversight_decisions_use_case_id_use_cases "
               "FOREIGN KEY (use_case_id) REFERENCES use_cases (id)")
    op.execute("CREATE INDEX ix_oversight_decisions_use_case_id_decided_at ON oversight_decisions (use_case_id, decided_at)")
    op.execute("CREATE INDEX ix_oversight_decisions_batch_seq_batch_index ON oversight_decisions (batch_seq, batch_index)")
    for start in _month_starts(conn):
        end = (start + dt.timedelta(days=32)).replace(day=1)
        op.execute(f"CREATE TABLE oversight_decisions_y{start.year:04d}m{start.month:02d} PARTITION OF "
                   f"oversight_decisions FOR VALUES FROM ('{start.isoformat()} 00:00:00+00') "
                   f"TO ('{end.isoformat()} 00:00:00+00')")
    op.execute("CREATE TABLE oversight_decisions_default PARTITION OF oversight_decisions DEFAULT")
    cols = ", ".join(COLUMNS)
    op.execute(f"INSERT INTO oversight_decisions ({cols}) SELECT {cols} FROM oversight_decisions_unpartitioned")
    op.execute("DROP TABLE oversight_decisions_unpartitioned")  # its triggers go with it (DROP fires none)
    _pg_triggers('oversight_decisions')


def downgrade() -> None:
    conn = op.get_bind()
    pg = conn.dialect.name == "postgresql"
    if not pg:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS oversight_decisions_no_{verb}")
            op.execute(f"DROP TRIGGER IF EXISTS oversight_decision_keys_no_{verb}")
        with op.batch_alter_table('oversight_decisions') as b:
            b.create_unique_constraint('uq_oversight_decisions_use_case_id_system_decision_id',
                                       ['use_case_id', 'system', 'decision_id'])
        _sqlite_triggers('oversight_decisions')
    else:
        op.execute("ALTER TABLE oversight_decisions RENAME TO oversight_decisions_partitioned")
        op.execute("ALTER TABLE oversight_decisions_partitioned RENAME CONSTRAINT pk_oversight_decisions "
                   "TO pk_oversight_decisions_partitioned")
        op.execute("ALTER TABLE oversight_decisions_partitioned RENAME CONSTRAINT "
                   "fk_oversight_decisions_use_case_id_use_cases TO fk_oversight_decisions_partitioned_use_case_id")
        for ix in ("ix_oversight_decisions_use_case_id_decided_at", "ix_oversight_decisions_batch_seq_batch_index"):
            op.execute(f"ALTER INDEX {ix} RENAME TO {ix}_partitioned")
        op.execute("CREATE TABLE oversight_decisions (LIKE oversight_decisions_partitioned)")
        op.execute("CREATE SEQUENCE oversight_decisions_id_seq OWNED BY oversight_decisions.id")
        op.execute("ALTER TABLE oversight_decisions ALTER COLUMN id SET DEFAULT nextval('oversight_decisions_id_seq')")
        op.execute("ALTER TABLE oversight_decisions ADD CONSTRAINT pk_oversight_decisions PRIMARY KEY (id)")
        op.execute("ALTER TABLE oversight_decisions ADD CONSTRAINT fk_oversight_decisions_use_case_id_use_cases "
                   "FOREIGN KEY (use_case_id) REFERENCES use_cases (id)")
        op.execute("ALTER TABLE oversight_decisions ADD CONSTRAINT uq_oversight_decisions_use_case_id_system_decision_id "
                   "UNIQUE (use_case_id, system, decision_id)")
        op.execute("CREATE INDEX ix_oversight_decisions_use_case_id_decided_at ON oversight_decisions (use_case_id, decided_at)")
        op.execute("CREATE INDEX ix_oversight_decisions_batch_seq_batch_index ON oversight_decisions (batch_seq, batch_index)")
        cols = ", ".join(COLUMNS)
        op.execute(f"INSERT INTO oversight_decisions ({cols}) SELECT {cols} FROM oversight_decisions_partitioned ORDER BY id")
        op.execute("SELECT setval('oversight_decisions_id_seq', "
                   "coalesce((SELECT max(id) FROM oversight_decisions), 0) + 1, false)")
        op.execute("DROP TABLE oversight_decisions_partitioned")
        _pg_triggers('oversight_decisions')
        op.execute("DROP TRIGGER IF EXISTS oversight_decision_keys_append_only ON oversight_decision_keys")
        op.execute("DROP TRIGGER IF EXISTS oversight_decision_keys_no_truncate ON oversight_decision_keys")
    with op.batch_alter_table('oversight_appeals') as b:
        b.drop_constraint('fk_oversight_appeals_decision_pk_oversight_decision_keys', type_='foreignkey')
        b.create_foreign_key('fk_oversight_appeals_decision_pk_oversight_decisions', 'oversight_decisions',
                             ['decision_pk'], ['id'])
    op.drop_table('oversight_decision_keys')
