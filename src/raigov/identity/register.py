"""What identity contributes: sign-in, accounts and roles (pages, API, `raigov users|tokens`, navigation).
Light: imports nothing but raigov.domains (see raigov/domains.py)."""

from raigov.domains import CliGroup, Contribution, HomePanel, Link, Task

CONTRIBUTES = Contribution(
    # the core JSON API (one module: /me, org units, users, tokens, the audit trail, use cases)
    api=("raigov.web.api.v1:router",),
    pages=("raigov.web.pages.auth:router", "raigov.web.pages.admin:router", "raigov.web.pages.account:router"),
    cli=(CliGroup("users", "raigov.cli.users", "User accounts and their roles"),
         CliGroup("tokens", "raigov.cli.tokens", "API tokens: shown once, stored hashed, expiring, revocable")),
    nav=(Link("/admin/users", "Users", "identity.user.read", key="users", order=70),
         Link("/account", "My account", None, order=1000)),
    home=(HomePanel("admin", "Administrator", "Manage accounts and roles. Administrators approve nothing.",
                    (Link("/admin/users", "User administration", "identity.user.read"),)),
          HomePanel("employee", "Employee",
                    "Your account and the notices sent to you.")),
    tasks=(Task("grants", "Role grants to confirm", "identity.role.confirm", "raigov.identity.tasks:grants_to_confirm",
                link="/admin/pending-grants", order=50),),
)
