"""Engine, session and base model. The names below load on first use (PEP 562), so that importing a
module of this package (e.g. raigov.db.register, read by `raigov --help`) does not import SQLAlchemy."""

_NAMES = {"Base": "raigov.db.base", "UTCDateTime": "raigov.db.base", "utcnow": "raigov.db.base",
          "Database": "raigov.db.engine", "get_database": "raigov.db.engine"}

__all__ = ["Base", "Database", "UTCDateTime", "get_database", "utcnow"]


def __getattr__(name: str):
    if name in _NAMES:
        import importlib

        value = getattr(importlib.import_module(_NAMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'raigov.db' has no attribute {name!r}")
