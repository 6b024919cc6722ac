"""What the demo contributes: `raigov demo`. Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Contribution

CONTRIBUTES = Contribution(cli=(CliGroup("demo", "raigov.cli.demo", "The demo agency"),))
