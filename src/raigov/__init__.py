"""raigov: responsible-AI governance for a government agency."""

__version__ = "0.1.0"
