"""The team map's YAML layer: a strict loader, structural checks, and where each key sits.

The loader refuses duplicate keys, non-text keys, tags and aliases (no anchor bombs) and caps
depth. `key_lines()` records the YAML line of every mapping key and list item by dotted path,
so every problem can be reported as `PATH:LINE: dotted.path: message`, like a compiler.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_DEPTH = 12
_PLAIN_TAGS = {
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "bool", "null", "float", "map", "seq")
}


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and deep nesting; `path` is where it is reading."""

    def __init__(self, text: str) -> None:
        self.path: list[str] = []
        super().__init__(text)

    def compose_node(self, parent: Any, index: Any) -> Any:
        inner = isinstance(index, yaml.ScalarNode | int)  # a mapping value or a list item
        if inner:
            self.path.append(str(index.value if isinstance(index, yaml.ScalarNode) else index))
        if len(self.path) > MAX_DEPTH:
            raise yaml.YAMLError(f"nested deeper than {MAX_DEPTH} levels")
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.YAMLError(
                f"aliases (*{event.anchor}) are not allowed (line {event.start_mark.line + 1})"
            )
        node = super().compose_node(parent, index)
        if inner:  # on an error the path stays, to say where it happened
            self.path.pop()
        return node


def structure(node: Any, path: str) -> list[tuple[int, str]]:
    """Duplicate keys, keys that are not text, merge keys and tagged values: (line, problem)."""
    here = path or "(root)"
    if node.tag not in _PLAIN_TAGS:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        return [(_line(node), f"{here}: YAML tag {tag} is not allowed; quote the value")]
    problems: list[tuple[int, str]] = []
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            problems += structure(item, f"{path}.{i}" if path else str(i))
        return problems
    first: dict[str, int] = {}
    for key_node, value in node.value if isinstance(node, yaml.MappingNode) else ():
        line = _line(key_node)
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
            problems.append(
                (line, f"{here}: a key must be plain text (no lists, mappings or '<<' merge keys)")
            )
            continue
        key = key_node.value
        where = f"{path}.{seg(key)}" if path else seg(key)
        if key in first:
            problems.append((line, f"{where}: duplicate key {key!r} (first on line {first[key]})"))
        first.setdefault(key, line)
        problems += structure(value, where)
    return problems


def key_lines(node: Any, path: str = "", lines: dict[str, int] | None = None) -> dict[str, int]:
    """{dotted path: YAML line} of every mapping key and list item (the root is line 1)."""
    lines = {"": 1} if lines is None else lines
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            where = f"{path}.{i}" if path else str(i)
            lines.setdefault(where, _line(item))
            key_lines(item, where, lines)
    elif isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                where = f"{path}.{seg(key_node.value)}" if path else seg(key_node.value)
                lines.setdefault(where, _line(key_node))
                key_lines(value, where, lines)
    return lines


def locate(problem: str, lines: dict[str, int]) -> int:
    """The line of the deepest recorded path that a `dotted.path: message` problem names."""
    path = problem.split(": ", 1)[0]
    while path and path not in lines:
        path = path.rpartition(".")[0]
    return lines.get(path, 1)


def seg(key: Any) -> str:
    """A key as one readable path segment: odd keys (spaces, newlines, RTL marks) quoted."""
    text = str(key)
    return text if text.isprintable() and "." not in text and len(text) < 64 else repr(text)[:80]


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1
