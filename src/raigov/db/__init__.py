from raigov.db.base import Base, UTCDateTime, utcnow
from raigov.db.engine import Database, get_database

__all__ = ["Base", "UTCDateTime", "utcnow", "Database", "get_database"]
