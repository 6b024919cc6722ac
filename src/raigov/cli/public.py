"""`raigov public build|verify`: publish the public site from the certified snapshots, and check a download
against its published proof and signed tree head (docs/verify.md). Imports are inside the commands so that
`raigov public --help` stays quick."""

from __future__ import annotations

from pathlib import Path

import typer

from raigov.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_PROBLEM,
    console,
    err_console,
    handle_errors,
    print_json,
    ready_database,
    settings,
    system_actor,
)

app = typer.Typer(help="The public site: build it from the certified snapshots, verify a published file",
                  no_args_is_help=True)


@app.command()
@handle_errors
def build(json_: bool = typer.Option(False, "--json")) -> None:
    """Publish a new build of the public site from every certified year (a signed tree head covers it)."""
    from raigov.disclosure import site

    db = ready_database()
    with db.transaction() as s:
        res = site.build(s, system_actor(), settings())
    if json_:
        print_json(res.as_dict())
        return
    console.print(f"published {res.files} files in public/{res.directory}: Merkle root {res.merkle_root}, "
                  f"audit event {res.event_seq}, signed head of {res.head['tree_size']} events")
    if res.plain_language:
        console.print(f"plain-language flags for the owners ({len(res.plain_language)}; not a block):")
        for line in res.plain_language[:50]:
            console.print(f"  {line}", highlight=False)


def _fetch(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def _proof_for(target: str, proof: Path | None, key: str | None) -> tuple[bytes, dict, str | None]:
    """(the file's bytes, its proof, the pinned public key) for a URL or a local file."""
    import json
    import urllib.parse

    from raigov.disclosure import site, verify
    from raigov.errors import ValidationFailed

    if target.startswith(("http://", "https://")):
        u = urllib.parse.urlsplit(target)
        origin = f"{u.scheme}://{u.netloc}"
        path = verify.published_path(u.path)
        if path is None:
            raise ValidationFailed.one("url", f"{u.path} is not a published file or public page")
        # a public page is checked through its data (its JSON twin); a file as downloaded from the URL given
        page = path.startswith("pages/") and not u.path.startswith("/public/site/")
        data = _fetch(f"{origin}/public/site/{path}" if page else target)
        p = json.loads(proof.read_text()) if proof else json.loads(_fetch(f"{origin}/public/proofs/{path}"))
        key = key or json.loads(_fetch(f"{origin}/.well-known/raigov-signing-key.json"))["public_key"]
        return data, p, key
    file = Path(target)
    if not file.is_file():
        raise ValidationFailed.one("file", f"{target} is not a file or an http(s) URL")
    data = file.read_bytes()
    if proof:
        return data, json.loads(proof.read_text()), key
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    db = ready_database()
    with db.transaction(read=True) as s:
        cur = site.current(s, settings())
        if cur is None:
            raise ValidationFailed.one("file", "nothing is published yet")
        found = next((it["path"] for it in cur.manifest["files"] if it["sha256"] == sha), None)
        if found is None:
            return data, {"item": {"sha256": "(no published file has this SHA-256)"}}, key
        return data, cur.proof(found), key or cur.manifest["head"]["public_key"]


@app.command("verify")
@handle_errors
def verify_(target: str = typer.Argument(..., metavar="URL_OR_FILE"),
            proof: Path = typer.Option(None, "--proof", help="the file's proof (JSON from /public/proofs/...)"),
            key: str = typer.Option(None, "--key", help="the pinned public key (hex); default: the published one"),
            json_: bool = typer.Option(False, "--json")) -> None:
    """Check a published file (or a public page's data) against its proof and the signed tree head. Exit 0 when
    it is what was published, 1 when not, 2 on bad input. A local FILE without --proof is looked up by its
    SHA-256 in this installation's latest build."""
    import urllib.error

    from raigov.disclosure import verify

    try:
        data, p, pinned = _proof_for(target, proof, key)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        err_console.print(f"[red]error:[/red] {target}: {exc}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    problems = verify.check(data, p, pinned)
    out = {"ok": not problems, "path": (p.get("item") or {}).get("path"), "sha256": (p.get("item") or {}).get("sha256"),
           "tree_size": (p.get("head") or {}).get("tree_size"), "problems": problems}
    if json_:
        print_json(out)
    elif problems:
        console.print("[red]NOT VERIFIED[/red]")
        for line in problems:
            console.print(f"  {line}", highlight=False)
    else:
        console.print(f"[green]verified[/green]: {out['path']} (SHA-256 {out['sha256']}) is in the public site's "
                      f"build, covered by the signed tree head of {out['tree_size']} events")
    if problems:
        raise typer.Exit(EXIT_PROBLEM)
