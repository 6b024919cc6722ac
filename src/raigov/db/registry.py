"""Imports every domain's tables so that Base.metadata is complete (Alembic, tests)."""

from raigov.acquisition import models as _acquisition  # noqa: F401
from raigov.audit import models as _audit  # noqa: F401
from raigov.bodies import models as _bodies  # noqa: F401
from raigov.datacall import models as _datacall  # noqa: F401
from raigov.datasets import models as _datasets  # noqa: F401
from raigov.db.base import Base
from raigov.disclosure import models as _disclosure  # noqa: F401
from raigov.disclosure.feedback import models as _feedback  # noqa: F401
from raigov.disclosure.reports import models as _reports  # noqa: F401
from raigov.evaluation import models as _evaluation  # noqa: F401
from raigov.genai import models as _genai  # noqa: F401
from raigov.governance import models as _governance  # noqa: F401
from raigov.identity import models as _identity  # noqa: F401
from raigov.inventory import models as _inventory  # noqa: F401
from raigov.jobs import models as _jobs  # noqa: F401
from raigov.monitoring import models as _monitoring  # noqa: F401
from raigov.oversight import models as _oversight  # noqa: F401
from raigov.policy import models as _policy  # noqa: F401
from raigov.training import models as _training  # noqa: F401

metadata = Base.metadata
