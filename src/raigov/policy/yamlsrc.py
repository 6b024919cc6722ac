"""YAML reading that keeps line numbers, so every error names the file, line and key.

``load_yaml(text, source)`` returns ``(data, marks)``: plain Python data (dict/list/str/int/
float/bool/None; YAML timestamps are kept as their ISO text) and ``marks``, a map from a path
tuple (``("items", 3, "when")``) to the 1-based line where that key or element starts. Nothing
in the file is executed: only the YAML safe schema is used, and duplicate keys are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

Path_ = tuple  # a path into the document: str keys and int indexes
# libyaml's parser when PyYAML was built with it (about 8 times faster; same nodes, same line numbers)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class YamlProblem:
    source: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class YamlError(Exception):
    def __init__(self, problem: YamlProblem):
        super().__init__(str(problem))
        self.problem = problem


def path_text(path: tuple) -> str:
    """``("items", 3, "when")`` -> ``items[3].when``."""
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def load_yaml(text: str, source: str) -> tuple[object, dict[tuple, int]]:
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlError(YamlProblem(source, line, "", f"not valid YAML: {exc.problem or exc}")) from None
    except yaml.YAMLError as exc:
        raise YamlError(YamlProblem(source, None, "", f"not valid YAML: {exc}")) from None
    marks: dict[tuple, int] = {}
    if root is None:
        return None, marks
    constructor = SafeConstructor()

    def build(node, path: tuple):
        marks.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            out: dict = {}
            for knode, vnode in node.value:
                if not isinstance(knode, ScalarNode):
                    raise YamlError(YamlProblem(source, knode.start_mark.line + 1, path_text(path),
                                                "mapping keys must be plain text"))
                if knode.tag == "tag:yaml.org,2002:merge":
                    raise YamlError(YamlProblem(source, knode.start_mark.line + 1, path_text(path),
                                                "YAML merge keys (<<) are not allowed in packs"))
                key = knode.value
                if key in out:
                    raise YamlError(YamlProblem(source, knode.start_mark.line + 1, path_text(path + (key,)),
                                                "duplicate key"))
                marks[path + (key,)] = knode.start_mark.line + 1
                out[key] = build(vnode, path + (key,))
            return out
        if isinstance(node, SequenceNode):
            return [build(v, path + (i,)) for i, v in enumerate(node.value)]
        if node.tag == _TIMESTAMP:
            return node.value  # keep dates as their ISO text; the schema checks the format
        if node.tag.startswith("tag:yaml.org,2002:"):
            try:
                return constructor.construct_object(node)
            except yaml.YAMLError as exc:
                raise YamlError(YamlProblem(source, node.start_mark.line + 1, path_text(path), str(exc))) from None
        raise YamlError(YamlProblem(source, node.start_mark.line + 1, path_text(path),
                                    f"YAML tag {node.tag} is not allowed in packs"))

    return build(root, ()), marks


def line_of(marks: dict[tuple, int], path: tuple) -> int | None:
    """Line of ``path`` or of its nearest ancestor that has one."""
    p = tuple(path)
    while True:
        if p in marks:
            return marks[p]
        if not p:
            return None
        p = p[:-1]
