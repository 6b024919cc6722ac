"""What autogenerate and the models-vs-migrations test leave aside."""

import re

# the monthly partitions of the decision ledger on PostgreSQL (migration 0023): tables of the database that the
# models know as the one partitioned table `oversight_decisions`
PARTITION = re.compile(r"^oversight_decisions_(y\d{4}m\d{2}|default)$")


def include_object(obj, name, type_, reflected, compare_to):
    """Full-text search objects live in migrations only (FTS5 tables, expression indexes); the ledger's partitions
    are PostgreSQL's own."""
    if type_ == "table" and reflected and PARTITION.match(name or ""):
        return False
    return not (name or "").startswith(("use_cases_fts", "ix_use_cases_fts"))
