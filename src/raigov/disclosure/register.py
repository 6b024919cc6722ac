"""What disclosure contributes: the public site (/public, no account), its open data, proofs and the
well-known public key; the CAIO's office's withholding pages (/disclosure, linked from the data call's page,
not the navigation bar) and `raigov public`. Its
sub-packages (feedback/, reports/) register themselves. Light: see raigov/domains.py."""

from raigov.domains import CliGroup, Contribution

CONTRIBUTES = Contribution(
    pages=("raigov.web.pages.disclosure:router", "raigov.web.pages.public_site:router",
           "raigov.web.pages.public_site:well_known"),
    cli=(CliGroup("public", "raigov.cli.public",
                  "The public site: build it from the certified snapshots, verify a published file"),),
)
