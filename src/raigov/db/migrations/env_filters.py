"""What autogenerate and the models-vs-migrations test leave aside."""


def include_object(obj, name, type_, reflected, compare_to):
    """Full-text search objects live in migrations only (FTS5 tables, expression indexes)."""
    return not (name or "").startswith(("use_cases_fts", "ix_use_cases_fts"))
