"""Readers for fields of untrusted JSON: each returns a typed value or raises InputError
naming the field by its dotted path (never quoting the value, which may be personal data)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from calsync.core.errors import InputError

# Calendly API URIs exactly as Calendly writes them (the event id is a hash of the string, so
# no other spelling is accepted): api.calendly.com, or loopback for local test servers.
CALENDLY_URI = re.compile(
    r"(https://api\.calendly\.com|https?://(127\.0\.0\.1|localhost)(:\d{1,5})?)(/[A-Za-z0-9_-]{1,100})+"
)
# An email address as the team map, the lock file and the trust keys accept it (the schema's
# $defs.email pattern is this one: tests/commands/test_team_map_schema.py).
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,200}\.[A-Za-z]{2,}$")
# A meeting link (Zoom, Meet, Teams...): any https host; no spaces, quotes, markup or `$`.
_LINK = re.compile(r"https://[A-Za-z0-9.-]+(:\d{1,5})?(/[^\s\"'<>\\`{}|^$]*)?")
WORD = re.compile(r"[a-z_]{1,20}")  # a value simple enough to echo in an error message
_MIN_YEAR, _MAX_YEAR = 2000, 2100
_MAX_TEXT = 2000  # longest text we keep from a payload; Calendly's own limits are lower


def type_name(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def opt_str(obj: dict[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{path}: expected a string, got {type_name(value)}")
    if len(value) > _MAX_TEXT:
        raise InputError(f"{path}: longer than {_MAX_TEXT} characters")
    return value


def opt_text(obj: dict[str, Any], key: str, path: str) -> str:
    """Free text an invitee typed (an answer): any length, the payload's size is the bound.

    Unlike opt_str, length is no error here: a long answer is cut where it is shown
    (render), so one verbose invitee cannot make the whole delivery fail.
    """
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{path}: expected a string, got {type_name(value)}")
    return value


def opt_bool(obj: dict[str, Any], key: str, path: str) -> bool:
    value = obj.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InputError(f"{path}: expected true or false, got {type_name(value)}")
    return value


def opt_int(obj: dict[str, Any], key: str, path: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000:
        raise InputError(f"{path}: expected a whole number from 0 to 100000")
    return value


def opt_uri(obj: dict[str, Any], key: str, path: str) -> str:
    value = opt_str(obj, key, path)
    if value and not CALENDLY_URI.fullmatch(value):
        raise InputError(f"{path}: not an https URI of the Calendly API")
    return value


def opt_link(obj: dict[str, Any], key: str, path: str) -> str:
    value = opt_str(obj, key, path)
    if value and not _LINK.fullmatch(value):
        raise InputError(f"{path}: not an https link (no spaces, quotes, markup or '$')")
    return value


def req_uri(obj: dict[str, Any], key: str, path: str) -> str:
    value = opt_uri(obj, key, path)
    if not value:
        raise InputError(f"{path}: missing")
    return value


def opt_time(obj: dict[str, Any], key: str, path: str) -> datetime | None:
    value = opt_str(obj, key, path)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{path}: not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise InputError(f"{path}: timestamp has no time zone")
    parsed = parsed.astimezone(UTC)
    if not _MIN_YEAR <= parsed.year <= _MAX_YEAR:
        raise InputError(f"{path}: year {parsed.year} is outside {_MIN_YEAR}-{_MAX_YEAR}")
    return parsed


def req_time(obj: dict[str, Any], key: str, path: str) -> datetime:
    value = opt_time(obj, key, path)
    if value is None:
        raise InputError(f"{path}: missing")
    return value


def objects(raw: Any, path: str) -> list[tuple[dict[str, Any], str]]:
    """The items of an optional list of objects, each with its dotted path (None: none)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(f"{path}: expected a list, got {type_name(raw)}")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InputError(f"{path}.{i}: expected an object, got {type_name(item)}")
        out.append((item, f"{path}.{i}"))
    return out
