"""Disclosure and accountability: withholding, the public site, open data, verification, public feedback and
the reports DHS publishes."""
