"""`raigov bodies`: the governance bodies from the operator's shell (the shell keeps any body's records, as the
permission matrix gives ``system``): list and show bodies, meetings, the proposed agenda, appoint, schedule, add
agenda items, attendance, votes, minutes, publication, the iCalendar file, the workforce. ``--json`` everywhere
it reads. Service imports are inside the commands so that `raigov bodies --help` stays quick."""

from __future__ import annotations

import typer

from raigov.cli.common import console, handle_errors, print_json, ready_database, system_actor

app = typer.Typer(help="Governance bodies: members, meetings, agendas, votes, iCalendar", no_args_is_help=True)
JSON = typer.Option(False, "--json")


def _meeting(s, actor, meeting_id: int) -> dict:
    from raigov.bodies import service
    from raigov.bodies.schemas import meeting_out

    m = service.get_meeting(s, actor, meeting_id)
    return meeting_out(m, service.attendance_of(s, m), service.meeting_quorum(s, m), service.decisions_of(s, m))


@app.command("list")
@handle_errors
def list_(json_: bool = JSON) -> None:
    """The bodies, their chairs, members and quorum."""
    from raigov.bodies import service
    from raigov.bodies.schemas import body_out

    actor = system_actor()
    with ready_database().transaction(read=True) as s:
        out = [body_out(b, service.members_of(s, b.key)) for b in service.readable_bodies(s, actor)]
    if json_:
        print_json(out)
        return
    for b in out:
        console.print(f"{b['key']}: {b['name']} (chair: {b['chair']}; {len(b['members'])} of {len(b['seats'])} seats "
                      f"filled; quorum {b['quorum_needed']}: {b['quorum']})", highlight=False)


@app.command()
@handle_errors
def meetings(body: str, json_: bool = JSON) -> None:
    """A body's meetings, newest first."""
    from raigov.bodies import service
    from raigov.bodies.schemas import meeting_out

    actor = system_actor()
    with ready_database().transaction(read=True) as s:
        out = [meeting_out(m) for m in service.meetings_of(s, actor, body)]
    if json_:
        print_json(out)
        return
    for m in out:
        console.print(f"{m['id']}: {m['starts_at']:%Y-%m-%d %H:%M} UTC {m['title']} ({m['status']}, "
                      f"{len(m['agenda'])} items)", highlight=False)


@app.command()
@handle_errors
def meeting(meeting_id: int = typer.Argument(..., min=1), json_: bool = JSON) -> None:
    """A meeting: agenda, attendance and quorum, decisions with their votes."""
    with ready_database().transaction(read=True) as s:
        out = _meeting(s, system_actor(), meeting_id)
    if json_:
        print_json(out)
        return
    console.print(f"{out['title']} ({out['body']}, {out['starts_at']:%Y-%m-%d %H:%M} UTC, {out['status']})", highlight=False)
    for i in out["agenda"]:
        console.print(f"  {i['position']}. {i['title']}", highlight=False)
    if out["quorum"]:
        q = out["quorum"]
        console.print(f"  quorum: {'met' if q['met'] else 'not met'} ({q['present']} of {q['needed']} needed)")
    for d in out["decisions"]:
        console.print(f"  {d['kind']} on {d['subject']}: {d['outcome']} ({d['yes']} yes, {d['no']} no, "
                      f"{d['abstain']} abstain)", highlight=False)


@app.command()
@handle_errors
def agenda(meeting_id: int = typer.Argument(..., min=1), json_: bool = JSON) -> None:
    """What the platform's state proposes for a meeting's agenda, with why."""
    from raigov.bodies import agenda as ag
    from raigov.bodies import service

    actor = system_actor()
    with ready_database().transaction(read=True) as s:
        m = service.get_meeting(s, actor, meeting_id)
        out = [{"subject_kind": p.subject_kind.value, "subject_ref": p.subject_ref, "title": p.title, "why": p.why}
               for p in ag.proposals(s, actor, m.body, meeting=m)]
    if json_:
        print_json(out)
        return
    for p in out:
        console.print(f"{p['subject_kind']} {p['subject_ref']}: {p['title']} ({p['why']})", highlight=False)


@app.command()
@handle_errors
def appoint(body: str, seat: str, username: str, json_: bool = JSON) -> None:
    """Appoint a person to a seat of a body (from today)."""
    from raigov.bodies import service
    from raigov.bodies.schemas import member_out

    with ready_database().transaction() as s:
        out = member_out(service.appoint(s, system_actor(), body, seat, username))
    print_json(out) if json_ else console.print(f"{username} holds the seat {out['seat_title']}", highlight=False)


@app.command()
@handle_errors
def schedule(body: str, title: str = typer.Option(..., "--title"),
             at: str = typer.Option(..., "--at", help="YYYY-MM-DDTHH:MM in the agency's time zone (or with an offset)"),
             minutes: int = typer.Option(60, "--minutes"), location: str = typer.Option("", "--location"),
             json_: bool = JSON) -> None:
    """Schedule a meeting of a body."""
    import datetime as dt

    from raigov.bodies import service
    from raigov.bodies.schemas import meeting_out
    from raigov.errors import ValidationFailed

    try:
        starts = dt.datetime.fromisoformat(at)
    except ValueError:
        raise ValidationFailed.one("--at", "a date and time, YYYY-MM-DDTHH:MM") from None
    with ready_database().transaction() as s:
        out = meeting_out(service.schedule(s, system_actor(), body, title=title, starts_at=starts,
                                           duration_minutes=minutes, location=location))
    print_json(out) if json_ else console.print(f"meeting {out['id']} scheduled", highlight=False)


@app.command("add-item")
@handle_errors
def add_item(meeting_id: int = typer.Argument(..., min=1),
             kind: str = typer.Argument(..., help="use_case | waiver | policy_pack | report | other"),
             ref: str = typer.Argument(None), title: str = typer.Option(None, "--title"),
             notes: str = typer.Option("", "--notes"), json_: bool = JSON) -> None:
    """Put an item on a meeting's agenda."""
    from raigov.bodies import service

    actor = system_actor()
    with ready_database().transaction() as s:
        service.add_item(s, actor, meeting_id, subject_kind=kind, subject_ref=ref, title=title, notes=notes)
        out = _meeting(s, actor, meeting_id)
    print_json(out) if json_ else console.print(f"{len(out['agenda'])} items on the agenda")


@app.command()
@handle_errors
def attend(meeting_id: int = typer.Argument(..., min=1), present: list[str] = typer.Argument(None),
           json_: bool = JSON) -> None:
    """Record who attended (user names of the members present; the others absent) and the quorum."""
    from raigov.bodies import service

    actor = system_actor()
    with ready_database().transaction() as s:
        service.record_attendance(s, actor, meeting_id, present or [])
        out = _meeting(s, actor, meeting_id)
    q = out["quorum"]
    print_json(out) if json_ else console.print(f"quorum {'met' if q['met'] else 'not met'}: {q['present']} present, "
                                                f"{q['needed']} needed", highlight=False)


@app.command()
@handle_errors
def decide(meeting_id: int = typer.Argument(..., min=1), kind: str = typer.Option(..., "--kind"),
           subject_kind: str = typer.Option(..., "--subject-kind"), ref: str = typer.Option(None, "--ref"),
           text: str = typer.Option(..., "--text"),
           vote: list[str] = typer.Option([], "--vote", help="USER=yes|no|abstain, once per voter"),
           json_: bool = JSON) -> None:
    """Record a decision or recommendation with its votes; its outcome follows the body's rules."""
    from raigov.bodies import service
    from raigov.bodies.schemas import decision_out
    from raigov.errors import ValidationFailed

    votes = {}
    for v in vote:
        user, sep, choice = v.partition("=")
        if not sep:
            raise ValidationFailed.one("--vote", f"USER=yes|no|abstain, not {v!r}")
        votes[user] = choice
    with ready_database().transaction() as s:
        out = decision_out(service.record_decision(s, system_actor(), meeting_id, kind=kind, subject_kind=subject_kind,
                                                   subject_ref=ref, text=text, votes=votes))
    print_json(out) if json_ else console.print(f"{out['outcome']} ({out['yes']} yes, {out['no']} no, "
                                                f"{out['abstain']} abstain)", highlight=False)


@app.command()
@handle_errors
def minutes(meeting_id: int = typer.Argument(..., min=1), text: str = typer.Option(..., "--text")) -> None:
    """Record a held meeting's minutes."""
    from raigov.bodies import service

    with ready_database().transaction() as s:
        service.record_minutes(s, system_actor(), meeting_id, text)
    console.print("minutes recorded")


@app.command()
@handle_errors
def publish(decision_id: int = typer.Argument(..., min=1), withdraw: bool = typer.Option(False, "--withdraw")) -> None:
    """Publish a decision (or withdraw it with --withdraw)."""
    from raigov.bodies import service

    with ready_database().transaction() as s:
        service.publish_decision(s, system_actor(), decision_id, not withdraw)
    console.print("withdrawn" if withdraw else "published")


@app.command()
@handle_errors
def ics(body: str) -> None:
    """The body's meetings as iCalendar text (to standard output)."""
    import sys

    from raigov.bodies import service

    actor = system_actor()
    with ready_database().transaction(read=True) as s:
        text = service.calendar(s, actor, service.meetings_of(s, actor, body))
    sys.stdout.buffer.write(text.encode("utf-8"))  # bytes: the CRLFs of RFC 5545 as they are
    sys.stdout.flush()


@app.command()
@handle_errors
def workforce(json_: bool = JSON) -> None:
    """The bodies' members and the reviewers, with their training status."""
    from raigov.bodies import workforce as wf

    with ready_database().transaction(read=True) as s:
        out = [vars(p) for p in wf.workforce(s, system_actor())]
    if json_:
        print_json(out)
        return
    for p in out:
        console.print(f"{p['username']}: {'; '.join(p['seats'] + p['lanes']) or 'none'} ({p['training']})", highlight=False)
