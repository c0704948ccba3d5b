"""Checks of one value of the team map, each appending a `dotted.path: message` problem
(calsync.core.team_map adds `PATH:LINE:`), and how a wrong value is named in the message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from calsync.core.team_map_yaml import seg


def string_list(
    spec: dict[str, Any],
    key: str,
    p: str,
    problems: list[str],
    *,
    check: Callable[[str], Any],
    what: str,
) -> list[str]:
    if key not in spec:
        return []
    raw = spec[key]
    if not isinstance(raw, list) or not raw:
        problems.append(f"{p}.{key}: expected a non-empty list, got {kind(raw)}")
        return []
    good = []
    for j, item in enumerate(raw):
        if not isinstance(item, str) or not check(item):
            problems.append(f"{p}.{key}.{j}: expected {what}, got {show(item)}")
        else:
            good.append(item)
    return good


def bool_value(spec: dict[str, Any], key: str, p: str, problems: list[str], default: bool) -> bool:
    value = spec.get(key, default)
    if not isinstance(value, bool):
        problems.append(f"{p}.{key}: expected true or false, got {show(value)}")
        return default
    return value


def unknown_keys(spec: dict[str, Any], allowed: set[str], p: str, problems: list[str]) -> None:
    for key in spec:
        if key not in allowed:
            where = f"{p}.{seg(key)}" if p else seg(key)
            import difflib  # only for a did-you-mean on an unknown key

            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"{where}: unknown key{hint} (allowed: {', '.join(sorted(allowed))})")


def kind(value: Any) -> str:
    if value is None:
        return "nothing"
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), type(value).__name__)


def show(value: Any) -> str:
    return repr(value) if isinstance(value, str) and len(value) < 80 else kind(value)
