"""`raigov datasets`: the dataset registry from the operator's shell (as the system): data cards, versions
(a file given with --file is checked against the SHA-256 stated), links to use cases, a use case's datasets
and its pre-filled assessment data section. Service imports are inside the commands (quick --help)."""

from __future__ import annotations

from pathlib import Path

import typer

from raigov.cli.common import console, handle_errors, print_json, ready_database, system_actor

app = typer.Typer(help="The dataset registry: data cards, versions and their use", no_args_is_help=True)
JSON = typer.Option(False, "--json")


@app.command("list")
@handle_errors
def list_(json_: bool = JSON) -> None:
    """Every dataset with its newest version and how many use cases use it."""
    from raigov.datasets import reads

    with ready_database().transaction(read=True) as s:
        rows = reads.list_datasets(s, system_actor())
    if json_:
        print_json(rows)
        return
    for d in rows:
        console.print(f"{d['id']}: {d['name']} (owner {d['owner']}; newest version {d['newest_version'] or 'none'}; "
                      f"{d['use_cases']} use case(s))", highlight=False)


@app.command()
@handle_errors
def show(dataset_id: int = typer.Argument(..., min=1), json_: bool = JSON) -> None:
    """A data card with its versions, use cases and the evaluation runs whose input matches a version."""
    from raigov.datasets import reads

    with ready_database().transaction(read=True) as s:
        d = reads.dataset_view(s, system_actor(), dataset_id)
    if json_:
        print_json(d)
        return
    console.print(f"{d['name']}: owner {d['owner']}; source {d['source']}", highlight=False)
    for v in d["versions"]:
        console.print(f"  version {v['label']}: {v['sha256']}", highlight=False)
    for u in d["use_cases"]:
        console.print(f"  used by {u['id']} for {u['purpose']}", highlight=False)
    for r in d["runs"]:
        console.print(f"  run {r['run']} used version {r['version']} (outcome {r['outcome']})", highlight=False)


@app.command()
@handle_errors
def add(card: Path = typer.Argument(..., exists=True, dir_okay=False, help="the data card, a JSON file"),
        json_: bool = JSON) -> None:
    """Register a dataset from its data card (JSON: name, component, owner, source, provenance, ...)."""
    from raigov.datasets import reads
    from raigov.datasets import service as ds
    from raigov.datasets.schemas import DatasetIn

    data = DatasetIn.model_validate_json(card.read_bytes())
    with ready_database().transaction() as s:
        d = ds.create_dataset(s, system_actor(), data)
        out = reads.dataset_view(s, system_actor(), d.id)
    print_json(out) if json_ else console.print(f"registered dataset {out['id']}: {out['name']}", highlight=False)


@app.command()
@handle_errors
def version(dataset_id: int = typer.Argument(..., min=1), label: str = typer.Option(..., "--label"),
            sha256: str = typer.Option(..., "--sha256"),
            file: Path = typer.Option(None, "--file", exists=True, dir_okay=False,
                                      help="the version's file: its SHA-256 must be the one stated"),
            note: str = typer.Option("", "--note"), json_: bool = JSON) -> None:
    """Register a version of a dataset by its SHA-256 (refused, nothing written, when --file does not match)."""
    from raigov.datasets import reads
    from raigov.datasets import service as ds
    from raigov.datasets.schemas import VersionIn

    content = file.read_bytes() if file is not None else None
    data = VersionIn(label=label, sha256=sha256.strip().lower(), filename=file.name if file else "", note=note)
    with ready_database().transaction() as s:
        ds.add_version(s, system_actor(), dataset_id, data, content)
        out = reads.dataset_view(s, system_actor(), dataset_id)
    print_json(out) if json_ else console.print(f"registered version {label} of {out['name']}", highlight=False)


@app.command()
@handle_errors
def link(dataset_id: int = typer.Argument(..., min=1), use_case: str = typer.Argument(...),
         purpose: str = typer.Option(..., "--purpose", help="training, testing or operation"),
         unlink: bool = typer.Option(False, "--unlink"), json_: bool = JSON) -> None:
    """The use case uses the dataset for a purpose (or, with --unlink, no longer does)."""
    from raigov.datasets import reads
    from raigov.datasets import service as ds

    with ready_database().transaction() as s:
        ds.link_use_case(s, system_actor(), dataset_id, use_case, purpose, unlink=unlink)
        out = reads.dataset_view(s, system_actor(), dataset_id)
    print_json(out) if json_ else console.print(f"{out['name']}: {len(out['use_cases'])} use case link(s)", highlight=False)


@app.command("use-case")
@handle_errors
def use_case(business_id: str, json_: bool = JSON) -> None:
    """A use case's datasets and its impact assessment's data section pre-filled from them."""
    from raigov.datasets import reads
    from raigov.inventory import service as inventory

    with ready_database().transaction(read=True) as s:
        uc = inventory.get_use_case(s, system_actor(), business_id)
        out = {"use_case": uc.business_id, "datasets": reads.use_case_datasets(s, system_actor(), uc.id),
               "assessment_section": {"B_data_model_quality": reads.assessment_data_section(s, system_actor(), uc.id)}}
    if json_:
        print_json(out)
        return
    console.print(out["assessment_section"]["B_data_model_quality"] or f"{uc.business_id} uses no registered dataset",
                  highlight=False)
