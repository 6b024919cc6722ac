"""What monitoring contributes: `raigov monitor` (drift between two files, no database). Light: see
raigov/domains.py."""

from raigov.domains import CliGroup, Contribution

CONTRIBUTES = Contribution(
    cli=(CliGroup("monitor", "raigov.cli.monitor", "Monitoring: data drift between a reference and a current file"),),
)
