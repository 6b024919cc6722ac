"""`raigov policy ...` commands: validate, list, show, screen, signals-report, diff (no database needed), and the database
side: diff without --inventory, rescreen, agency-answers, disagreements.

Packs come from the shipped directory plus ``--packs-dir`` (repeatable) or, when none is
given, ``RAIGOV_POLICY_DIR`` (``Settings.policy_dir``).
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

import typer

from raigov.cli.common import EXIT_BAD_INPUT, AsOption, PasswordStdin, console, err_console, handle_errors, print_json

app = typer.Typer(help="Policy packs: validate, screen, diff", no_args_is_help=True)

PacksDir = typer.Option(None, "--packs-dir", help="Extra directory of agency packs (repeatable); "
                        "default: RAIGOV_POLICY_DIR")


def Table(*args, **kwargs):  # rich's Table, imported only when a table is printed
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)


def _registry(packs_dir: list[Path] | None):
    from raigov.policy.packs import configured_dirs, load_registry

    return load_registry(list(packs_dir) if packs_dir else configured_dirs())


def _registry_for(refs: list[str], packs_dir: list[Path] | None):
    """The packs ``refs`` name, loading no other pack when it can (``packs.load_packs_for``: a refusal or an
    unknown pack loads them all, so the same messages come out)."""
    from raigov.policy.packs import configured_dirs, load_packs_for

    return load_packs_for(refs, list(packs_dir) if packs_dir else configured_dirs())


def _get(reg, ref: str):
    from raigov.errors import NotFound

    try:
        return reg.get(ref)
    except KeyError:
        known = ", ".join(sorted({p.id for p in reg.packs()}))
        raise NotFound(f"no policy pack {ref!r} (known: {known})") from None


def _emit_line(obj: dict) -> None:
    try:
        sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    except BrokenPipeError:  # e.g. piped into head
        raise typer.Exit(0) from None


@app.command("validate")
@handle_errors
def validate(files: list[Path] = typer.Argument(..., help="Pack files (YAML) to check"),
             as_json: bool = typer.Option(False, "--json")):
    """Check pack files against the schema and the semantic rules. Exit 0 if all are valid, 2 if not."""
    from raigov.policy.packs import PackError, load_pack

    results, bad = [], False
    for f in files:
        try:
            p = load_pack(f)
            results.append({"file": str(f), "valid": True, "pack": p.key, "items": len(p.items)})
        except PackError as exc:
            bad = True
            results.append({"file": str(f), "valid": False,
                            "problems": [{"file": q.source, "line": q.line, "key": q.key, "message": q.message}
                                         for q in exc.problems]})
    if as_json:
        print_json(results)
    else:
        for r in results:
            if r["valid"]:
                console.print(f"[green]valid[/green] {r['file']}: {r['pack']} ({r['items']} items)", highlight=False)
            else:
                for q in r["problems"]:
                    where = f"{q['file']}:{q['line']}" if q["line"] else q["file"]
                    err_console.print(f"[red]invalid[/red] {where}: {q['key']}: {q['message']}", highlight=False)
    if bad:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command("list")
@handle_errors
def list_packs(as_json: bool = typer.Option(False, "--json"), packs_dir: list[Path] = PacksDir):
    """The packs available (shipped + agency directory), every version."""
    reg = _registry(packs_dir)
    rows = [p.summary() for p in reg.packs()]
    if as_json:
        print_json(rows)
        return
    t = Table(title="Policy packs")
    for c in ("pack", "title", "effective", "status", "items", "source"):
        t.add_column(c)
    for r in rows:
        eff = f"{r['effective']['from']} -> {r['effective']['until'] or ''}"
        items = ", ".join(f"{k} {v}" for k, v in r["items"].items())
        t.add_row(r["key"], r["title"], eff, r["status"], items, r["source"].get("citation", ""))
    console.print(t)


@app.command("show")
@handle_errors
def show(pack: str = typer.Argument(..., help="PACK or PACK@VERSION"),
         as_json: bool = typer.Option(False, "--json"), packs_dir: list[Path] = PacksDir):
    """A pack's items with their citations and verification status."""
    reg = _registry(packs_dir)
    p = _get(reg, pack)
    if as_json:
        d = p.summary()
        d["items"] = [i.as_dict() for i in p.items]
        d["signals"] = {n: {"title": s.title, "phrases": list(s.phrases), "except": list(s.excepts),
                            "any_of": list(s.any_of), "negation": s.negation} for n, s in p.signals.items()}
        d["conditions"] = p.conditions
        d["crosswalk"] = p.crosswalk
        print_json(d)
        return
    console.print(f"[bold]{p.key}[/bold] {p.title}", highlight=False)
    console.print(f"source: {p.source.get('citation')}  status: {p.status}  effective: "
                  f"{p.effective_from} -> {p.effective_until or ''}", highlight=False)
    t = Table()
    for c in ("id", "kind", "citation", "status", "title"):
        t.add_column(c)
    for i in p.items:
        t.add_row(i.id, i.kind, i.citation, i.status, i.title)
    console.print(t)


@app.command("screen")
@handle_errors
def screen_cmd(file: Path = typer.Argument(..., help="An inventory file (any form read_inventory accepts)"),
               pack: list[str] = typer.Option(..., "--pack", help="PACK or PACK@VERSION (repeatable)"),
               jsonl: bool = typer.Option(False, "--jsonl", help="One JSON object per use case, in file order"),
               as_json: bool = typer.Option(False, "--json", help="One JSON document"),
               trace: bool = typer.Option(False, "--trace", help="Include every item's evaluation trace"),
               history: list[Path] = typer.Option(None, "--history", help="An earlier inventory file (any published "
                                                  "form; repeatable): a use case reported there with a "
                                                  "determination gets it as its precedent"),
               packs_dir: list[Path] = PacksDir):
    """Propose determinations for every use case of an inventory file (no database)."""
    from raigov.inventory.formats import read_inventory
    from raigov.policy.screen import contract_row, screen_inventory

    gc.disable()  # loading makes only long-lived objects: nothing for the collector to find
    try:
        from raigov.policy.outcome import PACK_OF_FRAMEWORK

        reg = _registry_for(list(pack) + (list(PACK_OF_FRAMEWORK.values()) if history else []), packs_dir)
        packs = [_get(reg, ref) for ref in pack]
        parsed = read_inventory(file)
    finally:
        gc.freeze()  # the packs and the file's rows live to the end: the collector need not walk them again
        gc.enable()
    rows = screen_inventory(parsed, packs, with_trace=trace, history=_history(reg, history) if history else None)
    if jsonl:
        for rs in rows:
            _emit_line(contract_row(rs, trace=trace))
        return
    out = [contract_row(rs, trace=trace) for rs in rows]
    if as_json:
        print_json({"file": str(file), "form": parsed.form, "packs": [p.key for p in packs], "rows": out})
        return
    t = Table(title=f"{file.name}: {', '.join(p.key for p in packs)}")
    for c in ("row", "id", "name", "outcome", "categories", "prohibited"):
        t.add_column(c)
    for d in out:
        t.add_row(str(d["row"]), str(d["id"] or ""), (d["name"] or "")[:60], d["outcome"].replace("_", " "),
                  ", ".join(d["categories"]), ", ".join(d["prohibited"]))
    console.print(t)
    n = sum(d["presumed"] for d in out)
    thin = sum(d["outcome"] == "insufficient_information" for d in out)
    console.print(f"{n} of {len(out)} use cases presumed, {thin} with too little information to screen",
                  highlight=False)


def _history(reg, files: list[Path]):
    """The earlier files of ``--history``, indexed for precedent (``policy.outcome.History``)."""
    from raigov.inventory.formats import read_inventory
    from raigov.policy.outcome import PACK_OF_FRAMEWORK, History
    from raigov.policy.screen import screen

    old = {fw: reg.get(pid) for fw, pid in PACK_OF_FRAMEWORK.items() if reg.versions(pid)}
    h = History(old_packs=old, screen=screen)
    for f in files:
        h.add(read_inventory(f), f.name)
    return h


@app.command("signals-report")
@handle_errors
def signals_report_cmd(files: list[Path] = typer.Argument(..., help="Labelled inventory files"),
                       labels: str = typer.Option(..., "--labels", help="The column holding the agency's own "
                                                  "determination (a header of the file or a field name)"),
                       pack: str = typer.Option("omb-m-25-21", "--pack", help="PACK or PACK@VERSION"),
                       as_json: bool = typer.Option(False, "--json"), packs_dir: list[Path] = PacksDir):
    """For every signal, shared condition and item of a pack: the labelled rows it holds on (positive:
    high-impact, presumed, rights- or safety-impacting; negative: not high-impact, neither) and its precision."""
    from raigov.inventory.formats import read_inventory
    from raigov.policy.precision import signals_report

    p = _get(_registry(packs_dir), pack)
    rep = signals_report([read_inventory(f) for f in files], p, labels)
    if as_json:
        print_json(rep.as_dict())
        return
    d = rep.as_dict()
    r = d["rows"]
    console.print(f"{rep.pack} on {len(files)} file(s): {r['positive']} positive, {r['negative']} negative, "
                  f"{r['unlabelled']} unlabelled rows (column {labels!r})", highlight=False)
    if rep.floor:
        console.print(f"precision floor: {rep.floor['min_precision']} from {rep.floor.get('min_hits', 1)} "
                      "labelled hits", highlight=False)
    t = Table()
    for c in ("kind", "name", "positive", "negative", "unlabelled", "precision", ""):
        t.add_column(c, no_wrap=c == "name")
    for e in d["entries"]:
        prec = "" if e["precision"] is None else f"{e['precision']:.3f}"
        t.add_row(e["kind"], e["name"], str(e["positive_hits"]), str(e["negative_hits"]),
                  str(e["unlabelled_hits"]), prec, "below floor" if e["below_floor"] else "")
    console.print(t)


@app.command("diff")
@handle_errors
def diff_cmd(old: str = typer.Argument(..., help="PACK@V1"), new: str = typer.Argument(..., help="PACK@V2"),
             inventory: Path | None = typer.Option(None, "--inventory", help="Inventory file to screen with both; "
                                                   "without it: every use case in the database"),
             as_json: bool = typer.Option(False, "--json"), packs_dir: list[Path] = PacksDir):
    """Which use cases' results would change between two packs (or two versions of one).

    With --inventory, the rows of a file (no database); without it, the use cases in the database
    (RAIGOV_DATABASE_URL), with their current determination. Nothing is written either way."""
    reg = _registry(packs_dir)
    if inventory is None:
        _diff_database(reg, old, new, as_json)
        return
    from raigov.inventory.formats import read_inventory
    from raigov.policy.screen import diff_inventory

    a, b = _get(reg, old), _get(reg, new)
    parsed = read_inventory(inventory)
    changes = diff_inventory(parsed, a, b)
    if as_json:
        print_json({"old": a.key, "new": b.key, "inventory": str(inventory), "rows": len(parsed.rows),
                    "changed": len(changes), "changes": changes})
        return
    t = Table(title=f"{a.key} -> {b.key}: {len(changes)} of {len(parsed.rows)} use cases change")
    for c in ("row", "name", "presumed", "categories +", "categories -", "prohibited +/-"):
        t.add_column(c)
    for ch in changes:
        pr = f"{ch['presumed'][0]} -> {ch['presumed'][1]}" if ch["presumed"][0] != ch["presumed"][1] else ""
        t.add_row(str(ch["row"]), (ch["name"] or "")[:50], pr, ", ".join(ch["categories_added"]),
                  ", ".join(ch["categories_removed"]),
                  ", ".join(["+" + x for x in ch["prohibited_added"]] + ["-" + x for x in ch["prohibited_removed"]]))
    console.print(t)


def _diff_database(reg, old: str, new: str, as_json: bool) -> None:
    from dataclasses import asdict

    from rich.markup import escape

    from raigov.cli.common import ready_database, system_actor
    from raigov.policy import service

    db = ready_database()
    with db.transaction() as s:
        res = service.diff_database(s, system_actor(), old, new, registry=reg)
    if as_json:
        print_json({"old": res.old, "new": res.new, "source": "database", "screened": res.screened,
                    "skipped": res.skipped, "changed": len(res.changes), "changes": [asdict(c) for c in res.changes]})
        return
    t = Table(title=f"{res.old} -> {res.new}: {len(res.changes)} of {res.screened} use cases in the database change")
    for c in ("id", "name", "component", "presumed", "categories +", "categories -", "prohibited +/-",
              "determination"):
        t.add_column(c)
    for ch in res.changes:
        pr = f"{ch.presumed_old} -> {ch.presumed_new}" if ch.presumed_old != ch.presumed_new else ""
        det = f"{ch.determination} ({ch.determination_status})" if ch.determination else ""
        if ch.against_determination:
            det += " [bold]to look at[/bold]"
        t.add_row(ch.business_id, escape((ch.name or "")[:50]), ch.component or "", pr, ", ".join(ch.categories_added),
                  ", ".join(ch.categories_removed),
                  ", ".join(["+" + x for x in ch.prohibited_added] + ["-" + x for x in ch.prohibited_removed]), det)
    console.print(t)
    if res.skipped:
        console.print(f"{res.skipped} use case{'s' if res.skipped != 1 else ''} not screened (COTS entries or a "
                      "form the packs do not read)", highlight=False)


# ---------------------------------------------------------------- the database side


@app.command("rescreen")
@handle_errors
def rescreen_cmd(business_ids: list[str] = typer.Argument(None, help="Use case ids; none: every use case"),
                 pack: str = typer.Option(None, "--pack", help="PACK or PACK@VERSION (default: the framework's pack in force)"),
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """Screen use cases in the database and store new proposals (determinations are never touched). Named use
    cases are screened as the page's "Screen now" does (`raigov.flows.screen`: their reviews and practices are
    then brought up to date); without names every use case is screened, nothing else."""
    from raigov import flows
    from raigov.cli.common import ready_database, system_actor
    from raigov.policy import service

    db = ready_database()
    out = []
    with db.transaction() as s:
        if business_ids:
            for bid in business_ids:
                sc = flows.screen(s, system_actor(), bid, pack)
                out.append({"id": bid, "pack": sc.pack, "presumed": sc.presumed, "categories": sc.categories,
                            "prohibited": sc.prohibited})
        else:
            n = service.screen_all(s, system_actor(), pack)
            out.append({"screened": n})
    if as_json:
        print_json(out)
    else:
        for o in out:
            console.print(o)


@app.command("determine")
@handle_errors
def determine_cmd(business_id: str = typer.Argument(...),
                  decision: str = typer.Option(..., "--decision", help="M-25-21: high-impact, presumed-not-high-impact, "
                                               "not-high-impact; M-24-10: rights-impacting, safety-impacting, both, neither"),
                  reason: str = typer.Option(..., "--reason", help="The written reason"),
                  as_: AsOption = None,
                  password_stdin: PasswordStdin = False,
                  as_json: bool = typer.Option(False, "--json")) -> None:
    """Record the official's determination (the CAIO or a delegate; M-24-10: the CAIO only), then bring the use
    case's reviews and practices up to date, as the page and the API do (`raigov.flows.decide`)."""
    from raigov import flows
    from raigov.cli.common import person_actor, ready_database

    db = ready_database()
    actor = person_actor(db, as_, password_stdin, "a determination is the official's act")
    with db.transaction() as s:
        d = flows.decide(s, actor, business_id, decision, reason)
        out = {"id": business_id, "framework": d.framework, "decision": d.decision, "status": d.status, "pack": d.pack}
    if as_json:
        print_json(out)
    else:
        console.print(f"{business_id}: {out['decision']} ({out['status']}) by {actor.label}", highlight=False)


@app.command("agency-answers")
@handle_errors
def agency_answers_cmd() -> None:
    """Record the determinations agencies reported in their inventory files, as theirs (once per revision)."""
    from raigov.cli.common import ready_database, system_actor
    from raigov.policy import service

    db = ready_database()
    with db.transaction() as s:
        n = service.record_agency_answers(s, system_actor())
    console.print(f"recorded {n} agency determinations")


@app.command("disagreements")
@handle_errors
def disagreements_cmd(as_json: bool = typer.Option(False, "--json")) -> None:
    """Use cases whose newest screen and newest determination disagree."""
    from dataclasses import asdict

    from raigov.cli.common import ready_database, system_actor
    from raigov.policy import service

    db = ready_database()
    with db.transaction() as s:
        rows = [asdict(d) for d in service.disagreements(s, system_actor())]
    if as_json:
        print_json(rows)
        return
    for r in rows:
        console.print(f"{r['business_id']} {r['name'][:60]}: screen {'presumed' if r['presumed'] else 'not presumed'} "
                      f"({', '.join(r['categories'][:3])}), determined {r['decision']} by {r['decided_by']}")
    console.print(f"{len(rows)} disagreements")
