"""`raigov oversight`: the decision ledger's statistics and a decision's proof, from the operator's shell.
Service imports are inside the commands so that `raigov oversight --help` stays quick."""

from __future__ import annotations

import typer

from raigov.cli.common import EXIT_PROBLEM, console, handle_errors, print_json, ready_database, system_actor

app = typer.Typer(help="Human oversight: the decision ledger's statistics and proofs", no_args_is_help=True)


@app.command()
@handle_errors
def stats(use_case: str, json_: bool = typer.Option(False, "--json"),
          since: str = typer.Option(None, "--since", help="first agency day, YYYY-MM-DD"),
          until: str = typer.Option(None, "--until", help="last agency day, YYYY-MM-DD")) -> None:
    """Decisions recorded and refused, by kind and human action, and the override rate (from the daily counts)."""
    import datetime as dt

    from raigov.errors import ValidationFailed
    from raigov.oversight import service

    def day(value: str | None, name: str):
        try:
            return dt.date.fromisoformat(value) if value else None
        except ValueError:
            raise ValidationFailed.one(name, "a date, YYYY-MM-DD") from None

    db = ready_database()
    with db.transaction(read=True) as s:
        out = service.stats(s, system_actor(), use_case, day(since, "--since"), day(until, "--until"))
    if json_:
        print_json(out)
        return
    t = out["totals"]
    console.print(f"{out['use_case']}: {t['recorded']} recorded, {t['refused']} refused")
    for kind, n in sorted(out["by_kind"].items()):
        console.print(f"  {kind}: {n['recorded']} recorded, {n['refused']} refused")
    actions = ", ".join(f"{a} {n}" for a, n in out["by_human_action"].items())
    console.print(f"  human action (recorded): {actions}")
    rate = out["override_rate"]
    console.print(f"  override rate: {'n/a' if rate is None else f'{rate:.1%}'} of {out['reviewed']} reviewed")
    rm = out["remedies"]
    console.print(f"  notices: {rm['notice_missing']} of {rm['notice_owed']} owed not given; appeals: "
                  f"{rm['appeal_filed']} filed, {rm['appeal_reversed']} of {rm['appeals_decided']} decided reversed"
                  + (" (past the reversal threshold: reviewers asked to look again)" if rm["reversal_alert"] else ""))
    for o in out["by_operator"]:
        share, over = o["share_of_reviewed"], o["override_rate"]
        console.print(f"  operator {o['reviewer']}: {o['decisions']} reviewed "
                      f"({'n/a' if share is None else f'{share:.1%}'} of the use case's), modified {o['modified']}, "
                      f"overrode {o['overrode']} (override rate {'n/a' if over is None else f'{over:.1%}'}); "
                      f"appeals {o['appeals']} (appeal rate {_pct(o['appeal_rate'])}), reversed "
                      f"{o['appeals_reversed']} of {o['appeals_decided']} decided (reversal rate "
                      f"{_pct(o['reversal_rate'])})")


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


@app.command()
@handle_errors
def trends(use_case: str, json_: bool = typer.Option(False, "--json"),
           since: str = typer.Option(None, "--since", help="first agency day, YYYY-MM-DD (default: 30 days, or 13 "
                                     "weeks, before --until)"),
           until: str = typer.Option(None, "--until", help="last agency day, YYYY-MM-DD (default: today)"),
           bucket: str = typer.Option("day", "--bucket", help="day or week"),
           operator: str = typer.Option(None, "--operator", help="one reviewer's user name: only their series")) -> None:
    """Oversight signals over time, per agency day or week: decisions recorded and refused, share reviewed, override
    rate, appeals, appeal and reversal rates (from the daily and remedy counts), and per operator the decisions
    reviewed and the override rate, and the appeals against their decisions (appeal and reversal rates)."""
    from raigov.errors import FieldError, ValidationFailed
    from raigov.oversight import service

    db = ready_database()
    try:
        with db.transaction(read=True) as s:
            out = service.trends(s, system_actor(), use_case, since, until, bucket, operator=operator)
    except ValidationFailed as exc:  # name the options, as `stats` does
        errors = [FieldError(f"--{e.field}" if e.field in ("since", "until", "bucket") else e.field, e.message, e.code)
                  for e in exc.errors]
        raise ValidationFailed(f"{errors[0].field}: {errors[0].message}" if errors else exc.detail,
                               errors=errors) from None
    if json_:
        print_json(out)
        return
    console.print(f"{out['use_case']}: {out['since']} to {out['until']}, per {out['bucket']}")
    for r in out["series"]:
        console.print(f"  {r['start']}  recorded {r['recorded']}, refused {r['refused']}, reviewed "
                      f"{_pct(r['review_share'])}, override rate {_pct(r['override_rate'])}, appeals {r['appeals']} "
                      f"(appeal rate {_pct(r['appeal_rate'])}), reversed {r['appeals_reversed']} of "
                      f"{r['appeals_decided']} decided (reversal rate {_pct(r['reversal_rate'])})", highlight=False)
    if out["operators"]:
        console.print(f"Per operator ({len(out['operators'])} of {out['operators_total']}): reviewed, override rate; "
                      "appeals against their decisions, appeal rate, reversed of decided")
    for o in out["operators"]:
        cells = ", ".join(f"{r['start']} {r['reviewed']} ({_pct(r['override_rate'])})" for r in o["series"]
                          if r["reviewed"])
        console.print(f"  {o['reviewer']}: {o['reviewed']} reviewed, override rate {_pct(o['override_rate'])}; "
                      f"{cells}", highlight=False, soft_wrap=True)
        if o["appeals"] or o["appeals_decided"]:
            cells = ", ".join(f"{r['start']} {r['appeals']} ({_pct(r['appeal_rate'])}) reversed {r['appeals_reversed']} "
                              f"of {r['appeals_decided']}" for r in o["series"] if r["appeals"] or r["appeals_decided"])
            console.print(f"    appeals {o['appeals']} (appeal rate {_pct(o['appeal_rate'])}), reversed "
                          f"{o['appeals_reversed']} of {o['appeals_decided']} decided (reversal rate "
                          f"{_pct(o['reversal_rate'])}); {cells}", highlight=False, soft_wrap=True)


@app.command()
@handle_errors
def prove(decision_id: int = typer.Argument(..., min=1, help="the decision's ledger id"),
          json_: bool = typer.Option(False, "--json")) -> None:
    """Prove a decision: item hash -> its batch's Merkle root -> the audit event carrying the root -> the signed
    tree head. Exit 1 when a step does not check out (or no signed head covers the event yet)."""
    from raigov.oversight import service

    db = ready_database()
    with db.transaction(read=True) as s:
        p = service.prove(s, system_actor(), decision_id)
    if json_:
        print_json(p)
    else:
        d, b, e = p["decision"], p["batch"], p["event"]
        console.print(f"decision {d['id']} ({d['use_case']} {d['decision_id']}), item hash {b['item_hash']}")
        console.print(f"  leaf {b['leaf_index']} of {b['tree_size']}, batch Merkle root {b['merkle_root']}")
        console.print(f"  audit event {e['seq']} ({e['action']}), in the trail's tree of size "
                      f"{p['event_proof']['tree_size']}, root {p['event_proof']['root_hash']}")
        head = p["signed_head"]
        console.print(f"  signed head: {head['timestamp']} size {head['tree_size']}" if head else
                      "  no signed head covers the event yet: raigov audit head")
        for step, ok in p["steps"].items():
            console.print(f"  {step}: {'ok' if ok else 'FAILED'}")
        console.print("[green]verified[/green]" if p["verified"] else "[red]NOT VERIFIED[/red]")
    if not p["verified"]:
        raise typer.Exit(EXIT_PROBLEM)


def _rows(path, fmt: str):
    """(line number, decision dict) of an NDJSON or CSV file, read as a stream."""
    import csv
    import json

    from raigov.errors import ValidationFailed

    with open(path, encoding="utf-8-sig", newline="") as fh:
        if fmt == "ndjson":
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        yield n, json.loads(line)
                    except ValueError as exc:
                        raise ValidationFailed.one(f"line {n}", f"not JSON: {exc}", "json_invalid") from None
            return
        for row in csv.DictReader(fh):
            d: dict = {k: v for k, v in row.items() if k is not None}
            for k in ("reviewer", "corrects"):
                if not (d.get(k) or "").strip():
                    d[k] = None
            if d.get("corrects") is None:
                d.pop("corrects", None)
            text = (d.get("other_bases") or "").strip()
            d["other_bases"] = json.loads(text) if text.startswith("[") else [b for b in text.split("|") if b.strip()]
            out = (d.get("ai_output") or "").strip()
            d["ai_output"] = json.loads(out) if out.startswith("{") else out
            yield 0, d  # numbered by _numbered


@app.command("import")
@handle_errors
def import_(file: str = typer.Argument(..., help="an .ndjson/.jsonl file (one decision per line) or a .csv file"),
            system: str = typer.Option(..., "--system", help="the operational system (service account) the "
                                       "decisions are recorded as; its grants decide which use cases it may record"),
            batch: int = typer.Option(10_000, "--batch", min=1, max=10_000, help="decisions per transaction"),
            json_: bool = typer.Option(False, "--json")) -> None:
    """Record a file of decisions, streamed, a batch per transaction (one audit event each, as the batch API).
    Safe to run again: decisions already recorded with the same body are counted as existing. Stops at the first
    batch with bad input (exit 2, naming the line and field) or a refusal (exit 1; that batch's refused attempts
    are recorded, the batches before it stay recorded)."""
    import json
    from pathlib import Path

    from raigov.errors import FieldError, ValidationFailed
    from raigov.identity import service as identity
    from raigov.oversight import service

    path = Path(file)
    fmt = "csv" if path.suffix.lower() == ".csv" else "ndjson" if path.suffix.lower() in (".ndjson", ".jsonl") else None
    if fmt is None:
        raise ValidationFailed.one("FILE", "give an .ndjson, .jsonl or .csv file")
    db = ready_database()
    with db.transaction(read=True) as s:
        user = identity.get_user(s, system)
        if user.kind != "service" or not user.is_active:
            raise ValidationFailed.one("--system", f"{system} is not an active service account")
        actor = identity.actor_for(s, user)
    from raigov.cli.common import settings

    key = service.load_key(settings().ensure_data_dir())
    totals = {"created": 0, "existing": 0, "batches": 0}

    def flush(chunk: list[tuple[int, dict]]) -> None:
        lines = [n for n, _ in chunk]
        try:
            parsed = service.parse_batch(json.dumps({"decisions": [d for _, d in chunk]}).encode())
            with db.transaction() as s:
                res = service.record_decisions(s, actor, key, parsed)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.detail, errors=[FieldError(_line_field(e.field, lines), e.message, e.code)
                                                       for e in exc.errors]) from None
        if res.refusals:
            for r in res.refusals[:20]:
                console.print(f"line {lines[r['index']]}: refused, {r['code']} ({r['citation']})", highlight=False)
            console.print(f"[red]{len(res.refusals)} decision(s) refused[/red]: this batch was not recorded "
                          f"({totals['created']} recorded before it)")
            raise typer.Exit(EXIT_PROBLEM)
        totals["created"] += res.created
        totals["existing"] += len(res.rows) - res.created
        totals["batches"] += 1

    chunk: list[tuple[int, dict]] = []
    for n, d in _numbered(_rows(path, fmt), fmt):
        chunk.append((n, d))
        if len(chunk) == batch:
            flush(chunk)
            chunk = []
    if chunk:
        flush(chunk)
    if json_:
        print_json(totals)
    else:
        console.print(f"{totals['created']} recorded, {totals['existing']} already recorded, in {totals['batches']} batch(es)")


def _numbered(rows, fmt: str):
    """NDJSON rows carry their line; a CSV row is numbered from 2 (the header is line 1)."""
    for i, (n, d) in enumerate(rows):
        yield (n if fmt == "ndjson" else i + 2), d


def _line_field(field: str, lines: list[int]) -> str:
    """``decisions.3.kind`` of a batch -> ``line 12: kind`` of the file."""
    parts = field.split(".", 2)
    if len(parts) >= 2 and parts[0] == "decisions" and parts[1].isdigit() and int(parts[1]) < len(lines):
        return f"line {lines[int(parts[1])]}" + (f": {parts[2]}" if len(parts) == 3 else "")
    return field


@app.command()
@handle_errors
def appeals(status: str = typer.Option("open", "--status", help="open (by due date), decided or all"),
            json_: bool = typer.Option(False, "--json")) -> None:
    """Appeals against recorded decisions (docs/oversight.md §9): due date, overdue, outcome."""
    from raigov.errors import ValidationFailed
    from raigov.oversight import service

    if status not in ("open", "decided", "all"):
        raise ValidationFailed.one("--status", "open, decided or all")
    db = ready_database()
    with db.transaction(read=True) as s:
        rows = service.list_appeals(s, system_actor(), status)
    if json_:
        print_json(rows)
        return
    for a in rows:
        state = "open" + (" (overdue)" if a["overdue"] else "") if a["status"] == "open" else a["outcome"]
        console.print(f"appeal {a['id']}  {a['use_case']}  decision {a['decision']}  due {a['due_on']}  {state}")
    if not rows:
        console.print(f"no {status} appeals")


@app.command()
@handle_errors
def summary(use_case: str, month: str = typer.Option(..., "--month", help="the month, YYYY-MM"),
            json_: bool = typer.Option(False, "--json"),
            html: str = typer.Option(None, "--html", help="write the summary as HTML to this file"),
            pdf: str = typer.Option(None, "--pdf", help="write the summary as PDF to this file"),
            store: bool = typer.Option(False, "--store", help="store the PDF as evidence of the use case's "
                                       "human-oversight and monitoring practices")) -> None:
    """A use case's monthly oversight summary: decisions, share reviewed, override rate, per operator, appeals and
    reversals, refused attempts and alerts (from the counts, never the ledger)."""
    from pathlib import Path

    from raigov.db.base import utcnow
    from raigov.oversight import summary as monthly
    from raigov.oversight import summary_render

    db = ready_database()
    with db.transaction(read=True) as s:
        out = monthly.build(s, system_actor(), use_case, month)
    now = utcnow()
    if html:
        Path(html).write_text(summary_render.render_html(out, now), encoding="utf-8")
    if pdf:
        Path(pdf).write_bytes(summary_render.render_pdf(out, now))
    if store:
        from raigov.cli.common import settings

        with db.transaction() as s:
            ev = monthly.store(s, system_actor(), settings(), use_case, month)
            out["evidence"] = {"id": ev.id, "sha256": ev.sha256, "title": ev.title}
    if json_:
        print_json(out)
        return
    console.print(summary_render.title_of(out))
    for measure, value in summary_render.headline_rows(out):
        console.print(f"  {measure}: {value}")
    console.print(f"  alerts: {len(out['alerts'])}")
    if store:
        console.print(f"stored as evidence {out['evidence']['id']}: {out['evidence']['title']}")
