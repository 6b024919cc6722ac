"""One JSON column type for every model (``raigov.db.base.JSONType``: JSONB on PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import JSON
from sqlalchemy.dialects import postgresql, sqlite

import raigov.db.registry  # noqa: F401  - imports every model
from raigov.db.base import Base, JSONType


def _json_columns():
    return [(t.name, c.name, c.type) for t in Base.metadata.tables.values() for c in t.columns
            if isinstance(c.type, JSON)]


def test_every_json_column_uses_the_one_json_type():
    cols = _json_columns()
    assert len(cols) >= 10  # evaluation, governance, inventory and policy tables
    assert [(t, c) for t, c, typ in cols if typ is not JSONType] == []
    assert JSONType.compile(dialect=postgresql.dialect()) == "JSONB"
    assert JSONType.compile(dialect=sqlite.dialect()) == "JSON"
