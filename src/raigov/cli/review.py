"""`raigov review ...`: the operator's view of governance: the gate's answer, the review queue, waivers,
and refreshing what use cases require. Decisions (approve, waive, accept risk) are people's acts: they are
made on the pages or through the API with a person's token, never from the operator's shell; the one act
here (`end-pilot`) is done `--as` a named person who gives their password."""

from __future__ import annotations

import typer
from rich.table import Table

from raigov.cli.common import (
    EXIT_PROBLEM,
    AsOption,
    PasswordStdin,
    console,
    handle_errors,
    person_actor,
    print_json,
    ready_database,
    system_actor,
)

app = typer.Typer(help="Reviews, practices, waivers and the authorization gate", no_args_is_help=True)


@app.command()
@handle_errors
def gate(business_id: str, json_: bool = typer.Option(False, "--json")) -> None:
    """Is the use case authorized now? Exit 0 when it is, 1 when it is not (with the reasons)."""
    from raigov.governance import service as gov

    db = ready_database()
    with db.transaction() as s:
        ans = gov.authorization(s, system_actor(), business_id).as_dict()
    if json_:
        print_json(ans)
    else:
        console.print(f"{business_id}: [bold]{'authorized' if ans['authorized'] else 'NOT authorized'}[/bold]"
                      f" (as of {ans['as_of']})")
        for r in ans["reasons"]:
            console.print(f"  - {r['code']}: {r['message']}", highlight=False)
    if not ans["authorized"]:
        raise typer.Exit(EXIT_PROBLEM)


@app.command()
@handle_errors
def sync(business_id: str = typer.Argument(None, help="one use case; all active use cases when omitted"),
         json_: bool = typer.Option(False, "--json")) -> None:
    """Open the reviews and create the practices that use cases now require (idempotent)."""
    from raigov.governance import service as gov
    from raigov.inventory import service as inventory

    db = ready_database()
    actor = system_actor()
    added: dict[str, dict] = {}
    with db.transaction() as s:
        ids = [business_id] if business_id else [
            u.business_id for u in inventory.iter_use_cases(s, actor, inventory.UseCaseQuery(status="active"))]
        for bid in ids:
            a = gov.sync(s, actor, bid)
            if any(a.values()):
                added[bid] = a
    if json_:
        print_json({"checked": len(ids), "changed": added})
    else:
        console.print(f"checked {len(ids)} use case(s); {len(added)} changed")
        for bid, a in added.items():
            console.print(f"  {bid}: +{len(a['reviews'])} review(s), +{len(a['practices'])} practice(s)"
                          + (f", withdrawn {', '.join(a['withdrawn'])}" if a.get("withdrawn") else ""))


@app.command()
@handle_errors
def queue(lane: str = typer.Option(None, "--lane", help="one lane (see lanes.yaml)"),
          json_: bool = typer.Option(False, "--json")) -> None:
    """Every open review, oldest first, with its age."""
    from raigov.governance import service as gov

    db = ready_database()
    with db.transaction() as s:
        rows = [{"review": q.review.id, "use_case": q.business_id, "name": q.name, "component": q.component,
                 "lane": q.review.lane, "status": q.review.status, "age_days": q.age_days, "overdue": q.overdue,
                 "assignee": q.assignee} for q in gov.queue(s, system_actor(), lane, include_all=True)]
    if json_:
        print_json(rows)
        return
    t = Table("review", "use case", "component", "lane", "status", "age (days)", "assignee", title="Open reviews")
    for r in rows:
        t.add_row(str(r["review"]), r["use_case"], r["component"] or "", r["lane"], r["status"],
                  f"{r['age_days']}{' overdue' if r['overdue'] else ''}", r["assignee"] or "")
    console.print(t)


@app.command()
@handle_errors
def waivers(json_: bool = typer.Option(False, "--json")) -> None:
    """Every waiver with its expiry, annual certification and OMB report clock."""
    from raigov.governance import service as gov

    db = ready_database()
    with db.transaction() as s:
        rows = [{"id": e.waiver.id, "use_case": e.business_id, "practice": e.waiver.practice_item,
                 "status": e.waiver.status, "expires_on": e.waiver.expires_on, "certified_on": e.waiver.certified_on,
                 "omb_report_due": e.waiver.omb_report_due, "omb_reported_on": e.waiver.omb_reported_on,
                 "public_summary": e.waiver.public_summary} for e in gov.list_waivers(s, system_actor())]
    if json_:
        print_json(rows)
        return
    t = Table("id", "use case", "practice", "status", "expires", "certified", "OMB report", title="Waivers")
    for r in rows:
        t.add_row(str(r["id"]), r["use_case"], r["practice"], r["status"], str(r["expires_on"]), str(r["certified_on"]),
                  f"reported {r['omb_reported_on']}" if r["omb_reported_on"] else f"due {r['omb_report_due']}")
    console.print(t)


@app.command()
@handle_errors
def submit(
    business_id: str = typer.Argument(..., help="The draft use case"),
    reason: str = typer.Option("submitted for review", "--reason"),
    as_: AsOption = None,
    password_stdin: PasswordStdin = False,
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """The owner submits a draft: it is screened and sent to the reviews and practices it needs (as the
    page's Submit button does: `raigov.flows.submit`)."""
    from raigov import flows

    db = ready_database()
    actor = person_actor(db, as_, password_stdin, "the use case's owner submits it")
    with db.transaction() as s:
        added = flows.submit(s, actor, business_id, reason)
    out = {"id": business_id, "reviews": list(added["reviews"]), "practices": list(added["practices"])}
    if json_:
        print_json(out)
    else:
        console.print(f"{business_id} submitted by {actor.label}: {len(out['reviews'])} review(s) and "
                      f"{len(out['practices'])} practice(s) opened", highlight=False)


@app.command("end-pilot")
@handle_errors
def end_pilot(
    pilot_id: int = typer.Argument(..., help="The pilot's id (`GET /api/v1/use-cases/{id}/pilots`, the governance page)"),
    reason: str = typer.Option(..., "--reason", help="Why the pilot ends"),
    as_: AsOption = None,
    password_stdin: PasswordStdin = False,
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """The Chief AI Officer ends an active pilot (not delegable): the gate then requires the use case's
    practices again."""
    from raigov.governance import service as gov

    db = ready_database()
    actor = person_actor(db, as_, password_stdin, "the Chief AI Officer ends a pilot")
    with db.transaction() as s:
        p = gov.end_pilot(s, actor, pilot_id, reason)
        out = {"id": p.id, "status": p.status, "ended_at": p.ended_at.isoformat(), "end_reason": p.end_reason}
    if json_:
        print_json(out)
    else:
        console.print(f"pilot {out['id']} ended by {actor.label}: {out['end_reason']}", highlight=False)
