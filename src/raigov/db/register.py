"""What the database layer contributes: `raigov db`. Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Contribution

CONTRIBUTES = Contribution(cli=(CliGroup("db", "raigov.cli.db", "Database: migrate and inspect"),))
