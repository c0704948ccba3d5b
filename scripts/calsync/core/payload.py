"""Decode a webhook body from text: strict JSON, GitLab's trigger wrapper taken apart. Pure.

`decode()` returns the decoded Calendly body and a sentence saying where it came from (the
text itself is read by calsync.adapters.files, from --payload, CALENDLY_PAYLOAD or
TRIGGER_PAYLOAD). GitLab's trigger
wrapper (the request's parameters re-encoded as JSON plus `id`, `ref`, `variables`) is
accepted as it is, with the Calendly body at its top level or under `payload` as an object or
a JSON string.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from calsync.core.errors import InputError
from calsync.core.trust import trigger_variables

# Real webhook bodies are a few KB; long answers can make one larger, never this large.
MAX_PAYLOAD_BYTES = 1024 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")
_TRIGGER_KEYS = ("id", "ref", "variables")
_MAX_DEPTH = 32


@dataclass(frozen=True)
class RawPayload:
    body: dict[str, Any]
    source: str  # e.g. "TRIGGER_PAYLOAD (Calendly body at the top level)"


def check_size(size: int, what: str) -> None:
    if size > MAX_PAYLOAD_BYTES:
        raise InputError(f"{what}: larger than 1 MB, not a webhook body")


def encoded_size(text: str) -> int:
    """Bytes of `text` as UTF-8; never raises, even on lone surrogates."""
    return len(text.encode("utf-8", "surrogatepass"))


def decode(text: str, source: str) -> RawPayload:
    what = source.split(" ", 1)[0]
    text = text.removeprefix("\ufeff")  # a byte order mark, as some Windows editors write
    if _SURROGATE.search(text):  # bytes that were not UTF-8, kept as surrogate escapes
        raise InputError(f"{what}: not valid UTF-8 text")
    if not text.strip():
        raise InputError(f"{what}: empty")
    data = _loads(text, what)
    if isinstance(data, str):  # a pasted, JSON-quoted body
        return decode(data, source + ", quoted") if data.strip() else decode("", source)
    if not isinstance(data, dict):
        shown = "null" if data is None else type(data).__name__
        raise InputError(f"{what}: expected a JSON object, got {shown}")
    return _unwrap(data, source)


class _Twice(dict[str, Any]):
    """A JSON object that has a key twice; kept until the error can say where it sits."""

    key = ""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    twice, seen = _Twice(obj), set()
    for key, _ in pairs:
        if key in seen:
            twice.key = key
            break
        seen.add(key)
    return twice


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _loads(text: str, what: str, root: str = "") -> Any:
    """Strict JSON: no NaN/Infinity, no huge numbers, no key twice in one object, capped depth.

    `root`: the dotted path of `text` itself when it is a JSON string inside the payload.
    """
    try:
        data = json.loads(
            text, object_pairs_hook=_pairs, parse_float=_number, parse_constant=_number
        )
    except RecursionError:
        raise InputError(f"{what}: nested deeper than {_MAX_DEPTH} levels") from None
    except json.JSONDecodeError as err:
        but = "a string but " if root else ""
        raise InputError(f"{what}: {but}not JSON ({err.msg} at line {err.lineno})") from None
    except ValueError:  # NaN, Infinity, 1e999, or an integer of thousands of digits
        raise InputError(f"{what}: not JSON (a number out of range)") from None
    if _depth(data) > _MAX_DEPTH:
        raise InputError(f"{what}: nested deeper than {_MAX_DEPTH} levels")
    if _has_surrogate(data):
        raise InputError(
            f"{what}: a string holds a lone surrogate (an escape like \\ud800 that is no "
            "character); not valid Unicode text"
        )
    twice = _find_twice(data, root)
    if twice:
        raise InputError(
            f"{twice}: the key appears twice in one object; which one counts is ambiguous"
        )
    return data


def _find_twice(value: Any, path: str) -> str:
    """Dotted path of the first key that appears twice in one object, or ""."""
    if isinstance(value, _Twice):
        return path + _segment(value.key)
    if isinstance(value, dict):
        items: list[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return ""
    for key, item in items:
        found = _find_twice(item, f"{path}{_segment(key)}.")
        if found:
            return found
    return ""


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def _segment(key: object) -> str:
    """A key as a path segment; an odd one is not echoed (a key could hold anything)."""
    return str(key) if re.fullmatch(r"\w{1,64}", str(key), re.ASCII) else "[odd key]"


def _unwrap(data: dict[str, Any], source: str) -> RawPayload:
    wrapped = any(k in data for k in _TRIGGER_KEYS)
    if wrapped:
        trigger_variables(data.get("variables"), source.split(" ", 1)[0])
    body = {k: v for k, v in data.items() if k not in _TRIGGER_KEYS} if wrapped else data
    where = "GitLab trigger wrapper, Calendly body at the top level" if wrapped else "as given"
    inner = body.get("payload")
    if isinstance(inner, str) and inner.lstrip().startswith(("{", "[", '"')):
        try:
            decoded = _loads(inner, "payload", root="payload.")
        except InputError as err:
            raise InputError(f"{source.split(' ', 1)[0]}: {err}") from None
        if isinstance(decoded, dict) and "event" not in body and "payload" in decoded:
            body, where = decoded, where + "; whole body under 'payload' as a JSON string"
        else:
            body = {**body, "payload": decoded}
            where += "; 'payload' given as a JSON string"
    elif isinstance(inner, dict) and "event" not in body and "payload" in inner:
        body, where = inner, where + "; whole body under 'payload'"
    return RawPayload(body=body, source=f"{source} ({where})")


def _depth(value: Any, level: int = 0) -> int:
    if level > _MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level
