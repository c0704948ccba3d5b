"""Find the webhook body: --payload, then CALENDLY_PAYLOAD, then TRIGGER_PAYLOAD.

Returns the decoded Calendly body and a sentence saying where it came from. GitLab's trigger
wrapper (the request's parameters re-encoded as JSON plus `id`, `ref`, `variables`) is
accepted as it is, with the Calendly body at its top level or under `payload` as an object or
a JSON string.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from calsync.errors import InputError

MAX_PAYLOAD_BYTES = 256 * 1024  # real webhook bodies are a few KB; anything this big is not one
_TRIGGER_KEYS = ("id", "ref", "variables")
_MAX_DEPTH = 32


@dataclass(frozen=True)
class RawPayload:
    body: dict[str, Any]
    source: str  # e.g. "TRIGGER_PAYLOAD (Calendly body at the top level)"


def load_payload(*, arg: str | None, env: Mapping[str, str], stdin: IO[str]) -> RawPayload:
    """Read, decode and unwrap the payload from the first source that is set."""
    if arg is not None:
        if arg == "-":
            return _decode(_read_stream(stdin, "--payload -"), "--payload - (stdin)")
        return _decode(_read_file(Path(arg), "--payload"), "--payload file")
    pasted = env.get("CALENDLY_PAYLOAD", "")
    if pasted.strip():
        if pasted.lstrip().startswith(("{", "[", '"')):
            _check_size(len(pasted.encode()), "CALENDLY_PAYLOAD")
            return _decode(pasted, "CALENDLY_PAYLOAD (raw JSON)")
        path = Path(pasted.strip())
        if not path.is_file():
            raise InputError("CALENDLY_PAYLOAD: neither JSON (it must start with '{') nor a file")
        return _decode(_read_file(path, "CALENDLY_PAYLOAD"), "CALENDLY_PAYLOAD (file)")
    trigger = env.get("TRIGGER_PAYLOAD", "")
    if trigger.strip():
        return _decode(_read_file(Path(trigger.strip()), "TRIGGER_PAYLOAD"), "TRIGGER_PAYLOAD")
    raise InputError(
        "no payload: pass --payload PATH|-, or paste the Calendly webhook JSON into "
        "CALENDLY_PAYLOAD, or trigger the pipeline so GitLab sets TRIGGER_PAYLOAD"
    )


def _read_file(path: Path, what: str) -> str:
    try:
        size = path.stat().st_size
        _check_size(size, what)
        with path.open(encoding="utf-8") as fh:
            return _read_stream(fh, what)
    except FileNotFoundError:
        raise InputError(f"{what}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{what}: is a directory, not a file") from None
    except PermissionError:
        raise InputError(f"{what}: file is not readable") from None
    except UnicodeDecodeError:
        raise InputError(f"{what}: not UTF-8 text") from None


def _read_stream(stream: IO[str], what: str) -> str:
    try:
        text = stream.read(MAX_PAYLOAD_BYTES + 1)
    except UnicodeDecodeError:
        raise InputError(f"{what}: not UTF-8 text") from None
    _check_size(len(text.encode()), what)
    return text


def _check_size(size: int, what: str) -> None:
    if size > MAX_PAYLOAD_BYTES:
        raise InputError(f"{what}: larger than {MAX_PAYLOAD_BYTES // 1024} KiB, not a webhook body")


def _decode(text: str, source: str) -> RawPayload:
    what = source.split(" ", 1)[0]
    text = text.removeprefix("\ufeff")  # a byte order mark, as some Windows editors write
    if not text.strip():
        raise InputError(f"{what}: empty")
    data = _loads(text, what)
    if isinstance(data, str):  # a pasted, JSON-quoted body
        return _decode(data, source + ", quoted") if data.strip() else _decode("", source)
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
        data = json.loads(text, object_pairs_hook=_pairs, parse_float=_number,
                          parse_constant=_number)  # fmt: skip
    except RecursionError:
        raise InputError(f"{what}: nested deeper than {_MAX_DEPTH} levels") from None
    except json.JSONDecodeError as err:
        but = "a string but " if root else ""
        raise InputError(f"{what}: {but}not JSON ({err.msg} at line {err.lineno})") from None
    except ValueError:  # NaN, Infinity, 1e999, or an integer of thousands of digits
        raise InputError(f"{what}: not JSON (a number out of range)") from None
    if _depth(data) > _MAX_DEPTH:
        raise InputError(f"{what}: nested deeper than {_MAX_DEPTH} levels")
    twice = _find_twice(data, root)
    if twice:
        raise InputError(f"{twice}: the key appears twice in one object; which one counts is "
                         "ambiguous")  # fmt: skip
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


def _segment(key: object) -> str:
    """A key as a path segment; an odd one is not echoed (a key could hold anything)."""
    return str(key) if re.fullmatch(r"\w{1,64}", str(key), re.ASCII) else "[odd key]"


def _unwrap(data: dict[str, Any], source: str) -> RawPayload:
    wrapped = any(k in data for k in _TRIGGER_KEYS)
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
