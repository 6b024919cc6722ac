"""The annual data call moved to its own domain, ``raigov.datacall`` (``raigov.datacall.service`` is its
public API). This module keeps the old import path working: ``from raigov.governance import datacall``."""

from raigov.datacall.service import *
from raigov.datacall.service import __all__  # noqa: F401
