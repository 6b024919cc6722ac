"""Disclosure: what the public may read of the inventory (withholding, the public site, open data, verification)."""
