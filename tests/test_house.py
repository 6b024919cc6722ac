"""House rules for the code under src/raigov, checked by reading it (``ast``), not by running it:

- no module imports an underscore name from another raigov module (``from raigov.x import _name``) or
  reaches one through a module it imported (``inventory._component_of``): what another module uses is
  public, named without the underscore;
- no file is over 600 lines;
- no function is over 80 lines unless its docstring says why (a sentence starting "Long because");
  Alembic revisions (``db/migrations/versions``) are records of what was applied and are left as they are.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "raigov"
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80
LONG_MARKER = "Long because"


def _all_modules() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def _is_migration(path: Path) -> bool:
    """An Alembic revision: a record of a schema change as it was applied, never refactored afterwards."""
    return path.parent.name == "versions" and "migrations" in path.parts


def _module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str, src: Path) -> bool:
    """Is ``dotted`` (raigov.x.y) a module or package of the source tree?"""
    if not dotted.startswith("raigov"):
        return False
    rel = Path(src, *dotted.split("."))
    return rel.with_suffix(".py").is_file() or (rel / "__init__.py").is_file()


def _absolute(mod_name: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = mod_name.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def parse_source(source: str, filename: str = "<unknown>") -> ast.Module:
    """ast.parse, tried again once on CPython 3.11's spurious "AST constructor recursion depth mismatch"
    SystemError (gh-106905: a counter shared between threads; a background thread of another test in this
    worker can trip it). A real syntax error is a SyntaxError and is not retried."""
    try:
        return ast.parse(source, filename=filename)
    except SystemError:
        return ast.parse(source, filename=filename)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def underscore_uses(path: Path, src: Path = SRC) -> list[str]:
    """Where the module at `path` (under the source root `src`) uses an underscore name of another raigov
    module."""
    mod_name = _module_name(path, src)
    tree = parse_source(path.read_text(encoding="utf-8"), str(path))
    modules: dict[str, str] = {}  # local name -> the raigov module it is bound to
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("raigov"):
                    modules[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(mod_name, path, node)
            if not source.startswith("raigov"):
                continue
            for a in node.names:
                if _private(a.name) and source != mod_name:
                    found.append(f"{path.relative_to(src)}:{node.lineno}: from {source} import {a.name}")
                if _is_module(f"{source}.{a.name}", src):
                    modules[a.asname or a.name] = f"{source}.{a.name}"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not _private(node.attr):
            continue
        chain, v = [], node.value
        while isinstance(v, ast.Attribute):
            chain.insert(0, v.attr)
            v = v.value
        if not isinstance(v, ast.Name) or v.id not in modules:
            continue
        target = ".".join([modules[v.id], *chain])
        if _is_module(target, src) and target != mod_name:
            found.append(f"{path.relative_to(src)}:{node.lineno}: {target}.{node.attr}")
    return found


def test_no_module_imports_an_underscore_name_of_another():
    found = [f for p in _all_modules() for f in underscore_uses(p)]
    assert found == [], "underscore names used across modules (make them public):\n" + "\n".join(found)


def test_the_scan_sees_both_forms(tmp_path):
    """The scan itself: a `from raigov.x import _name` and a `module._name` are both found; a dunder, a
    public name and a module's own underscore names are not."""
    pkg = tmp_path / "raigov"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("")
    (pkg / "a" / "service.py").write_text("def _hidden():\n    pass\n\n\ndef shown():\n    _hidden()\n")
    bad = pkg / "b.py"
    bad.write_text("from raigov.a.service import _hidden, shown\nfrom raigov.a import service as s\n"
                   "import raigov.a.service\ns._hidden()\nx = s.__doc__\nraigov.a.service._hidden()\nshown()\n")
    assert underscore_uses(bad, tmp_path) == ["raigov/b.py:1: from raigov.a.service import _hidden",
                                              "raigov/b.py:4: raigov.a.service._hidden",
                                              "raigov/b.py:6: raigov.a.service._hidden"]
    assert underscore_uses(pkg / "a" / "service.py", tmp_path) == []


def test_no_file_in_src_is_over_600_lines():
    over = {str(p.relative_to(SRC)): n for p in _all_modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES}
    assert over == {}, f"files over {MAX_FILE_LINES} lines: {over}"


def test_no_function_is_over_80_lines_without_its_reason():
    long = []
    for p in _all_modules():
        if _is_migration(p):
            continue
        tree = parse_source(p.read_text(encoding="utf-8"), str(p))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES and LONG_MARKER not in (ast.get_docstring(node) or ""):
                    long.append(f"{p.relative_to(SRC)}:{node.lineno} {node.name} ({n} lines)")
    assert long == [], (f"functions over {MAX_FUNCTION_LINES} lines without a {LONG_MARKER!r} reason in their "
                        "docstring:\n" + "\n".join(long))


# Imports inside a function are kept only where importing at the top would cost what the rule protects: the CLI
# groups (a group's --help imports no service), raigov/domains.py and the PEP 562 packages (read by
# `raigov --help`), and the evaluation modules that pull in NumPy/pyarrow (the service and the pipeline are
# imported by the web app, which must not load them until a run).
LAZY_FILES = ("cli/", "domains.py", "evaluation/__init__.py", "inventory/formats/__init__.py", "db/__init__.py",
              "policy/__init__.py")
LAZY_MODULES = ("raigov.evaluation.runner", "raigov.evaluation.report", "raigov.evaluation.biometric",
                "raigov.evaluation.classifier", "raigov.evaluation.stats", "raigov.evaluation.intervals",
                "raigov.monitoring.ingest", "raigov.monitoring.windows",
                # NumPy and pyarrow, as ingest: the late-labels join and the split by a time column
                "raigov.monitoring.labels", "raigov.monitoring.batches")
LIGHT = ("raigov", "sqlalchemy", "fastapi", "starlette", "pydantic", "yaml")
# the settings (pydantic-settings, ~0.3 s of imports) where the pure policy screen reaches them: only when an agency
# policy directory is set or a condition compares a date, so `raigov policy screen` starts without them (issue #18)
LAZY_PAIRS = {("policy/conditions.py", "raigov.clock"), ("policy/packs.py", "raigov.config")}


def _imports_in_functions(path: Path) -> list[tuple[int, str]]:
    out = []
    for fn in ast.walk(parse_source(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    out.append((node.lineno, node.module))
                elif isinstance(node, ast.Import):
                    out += [(node.lineno, a.name) for a in node.names]
    return out


def test_light_modules_are_imported_at_the_top():
    """No function imports raigov (or SQLAlchemy, FastAPI, Pydantic, YAML) where the module could import it at
    the top (docs/architecture.md, "Imports"): a top-level import that would make a cycle calls for fixing the
    layering, not for hiding the import in a function."""
    found = []
    for path in _all_modules():
        rel = path.relative_to(PKG).as_posix()
        if _is_migration(path) or rel.startswith(LAZY_FILES) or rel in LAZY_FILES:
            continue
        for line, mod in _imports_in_functions(path):
            if (rel, mod) in LAZY_PAIRS:
                continue
            if (mod.split(".")[0] in LIGHT and mod.split(".")[0] != "raigov") or \
                    (mod.startswith("raigov") and not mod.startswith(LAZY_MODULES)):
                found.append(f"{rel}:{line}: {mod}")
    assert not found, "\n".join(found)
