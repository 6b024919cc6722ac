"""`raigov genai`: screen prompts with the GenAI data guard (docs/genai.md).

    raigov genai screen FILE|- [--tool ID] [--json]     one prompt (a file, or standard input)
    raigov genai screen --jsonl FILE|- [--tool ID]      one JSON object with a "text" key per line in,
                                                        one result per line out, in order

Exit codes: 0 every prompt allowed or redacted, 1 at least one blocked, 2 bad input (invalid UTF-8,
binary, empty, over the size limit, unknown tool, a bad JSONL line: nothing is screened then).

The tool catalog, the rules of behavior and access requests: `raigov genai tools|rules|access` (cli/genai_access.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from raigov.cli.common import EXIT_BAD_INPUT, EXIT_PROBLEM, console, err_console, handle_errors
from raigov.cli.genai_access import access_app, rules_app, tools_app

app = typer.Typer(help="GenAI: screen prompts with the data guard; tools, rules and access", no_args_is_help=True)
app.add_typer(tools_app, name="tools")
app.add_typer(rules_app, name="rules")
app.add_typer(access_app, name="access")


@app.callback()
def main() -> None:
    """GenAI: screen prompts with the data guard; tools, rules and access"""


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    path = Path(source)
    if not path.is_file():
        err_console.print(f"[red]error:[/red] {source}: no such file", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    return path.read_bytes()


def _jsonl_texts(data: bytes, source: str) -> list[str]:
    from raigov.errors import ValidationFailed
    from raigov.genai.service import decode_prompt

    texts = []
    for no, line in enumerate(decode_prompt(data, source).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise ValidationFailed.one(f"{source}:{no}", f"not JSON ({exc.msg})") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise ValidationFailed.one(f"{source}:{no}", 'each line must be a JSON object with a "text" string')
        texts.append(obj["text"])
    return texts


def _show(result: dict) -> None:
    console.print(f"decision: [bold]{result['decision']}[/bold] (tool {result['tool'] or 'none'}, "
                  f"data class {result['data_class']})", highlight=False)
    for r in result["reasons"]:
        console.print(f"  {r['type']}: {r['count']} -> {r['action']}", highlight=False)
    console.print("redacted:", highlight=False)
    console.print(result["redacted"], highlight=False, markup=False)


@app.command("screen")
@handle_errors
def screen(
    source: str = typer.Argument(None, help="the prompt's file, or - for standard input"),
    tool: str = typer.Option(None, "--tool", help="the tool's id in the catalog (raigov genai tools list)"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    jsonl: str = typer.Option(None, "--jsonl", help='a JSONL file (or -): one {"text": ...} per line'),
):
    """Screen a prompt (or a JSONL file of prompts) for a tool: allow, redact or block, with the findings."""
    from raigov.cli.common import ready_database, settings, system_actor
    from raigov.genai import service as genai

    if (source is None) == (jsonl is None):
        err_console.print("[red]error:[/red] give one prompt FILE (or -), or --jsonl FILE", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    texts = _jsonl_texts(_read(jsonl), jsonl) if jsonl is not None else [genai.decode_prompt(_read(source), source)]
    db, actor, cfg = ready_database(), system_actor(), settings()
    with db.transaction() as s:  # every prompt is checked before anything is recorded: all or nothing
        results = [genai.screen(s, actor, t, tool, cfg) for t in texts]
    for r in results:
        if jsonl is not None:
            sys.stdout.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
        elif as_json:
            sys.stdout.write(json.dumps(r, indent=2, ensure_ascii=False) + "\n")
        else:
            _show(r)
    if any(r["decision"] == "block" for r in results):
        raise typer.Exit(EXIT_PROBLEM)
