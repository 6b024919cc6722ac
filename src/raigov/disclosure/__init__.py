"""Disclosure and accountability: the public site, public feedback and the reports DHS publishes (issue #19)."""
