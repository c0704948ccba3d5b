"""What may never be shown: secrets and invitee personal data, masked in every output line.

Known sensitive values (tokens, the invitee's name and email once the payload is parsed) are
registered with `protect()` and replaced wherever they appear; e-mail addresses, bearer
tokens, JWTs and PEM keys are masked by pattern as well. The CLI's log formatter and report
writer pass every line through `redact()`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

_SAFE_DOMAINS = (".calendar.google.com", ".gserviceaccount.com")
_protected: set[str] = set()
_allowed: set[str] = set()  # addresses that may be shown: calendar ids, the service account


def protect(values: Iterable[str]) -> None:
    """Never show these strings (values shorter than 4 characters would mask too much)."""
    _protected.update(v for v in values if isinstance(v, str) and len(v.strip()) >= 4)


def allow(values: Iterable[str]) -> None:
    """Addresses that are not personal data (calendar ids, service accounts) stay readable."""
    listed = list(values)
    _allowed.update(listed)
    _allowed.update(v.lower() for v in listed)


def _email(match: re.Match[str]) -> str:
    found = match.group(0)
    if found.lower() in _allowed or found.lower().endswith(_SAFE_DOMAINS):
        return found
    return "<email>"


_PATTERNS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL
        ),
        "<private key>",
    ),
    (
        re.compile(
            r"(?i)\b(bearer\s+|(access_|refresh_|id_)?token[\"']?\s*[=:]\s*[\"']?)"
            r"[A-Za-z0-9._~+/=-]{8,}"
        ),
        r"\1<redacted>",
    ),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(\.[A-Za-z0-9_-]*)?"), "<jwt>"),
    # a line of a PEM key (or any long base64 run) seen without its BEGIN/END frame
    (re.compile(r"[A-Za-z0-9+/]{60,}={0,2}"), "<redacted>"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"), _email),
]


_PERSONAL = ("email", "name", "first_name", "last_name", "text_reminder_number")


def protect_invitee(invitee: Any) -> None:
    """An invitee resource's personal data (name, email, phone, answers): never shown."""
    if not isinstance(invitee, dict):
        return
    protect(invitee[k] for k in _PERSONAL if isinstance(invitee.get(k), str))
    for qa in invitee.get("questions_and_answers") or []:
        if isinstance(qa, dict) and isinstance(qa.get("answer"), str):
            protect([qa["answer"]])


def reset(secrets: Iterable[str] = ()) -> None:
    """Start a run: forget what earlier runs in this process registered; protect `secrets`."""
    _protected.clear()
    _allowed.clear()
    protect(secrets)


def redact(text: str) -> str:
    for value in sorted(_protected - _allowed, key=len, reverse=True):
        text = text.replace(value, "<redacted>")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


# Report fields whose values are ours (computed, or from the committed team map): never
# masked, so an answer that happens to equal "created" or a calendar id cannot alter them.
_OURS = frozenset(
    {
        "action",
        "team",
        "calendar_id",
        "event_id",
        "calendly_event",
        "command",
        "exit_code",
        "dry_run",
        "verified",
        "payload_source",
        "since",
        "until",
    }
)


def redact_report(value: Any, key: str = "") -> Any:
    """A report with every string value redacted (keys are ours and stay as they are), and
    made printable: a lone surrogate can never break the JSON line or its encoding."""
    if isinstance(value, dict):
        return {str(k): redact_report(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_report(v, key) for v in value]
    if isinstance(value, str):
        text = value if key in _OURS else redact(value)
        return text.encode("utf-8", "replace").decode("utf-8")
    return value
