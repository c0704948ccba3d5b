"""What a trigger caller may not change. Pure rules, called by the CLI and the sync command.

Whoever holds the pipeline trigger URL (it sits in Calendly's webhook subscription) can start
a pipeline and set pipeline variables, which override the project's CI/CD variables. So:
- every URL that receives a credential must be Google's, Calendly's, or loopback (tests);
- a trigger delivery is verified with the Calendly API, unless the committed team map says
  otherwise (`unsafe_accept_unverified_trigger_deliveries`);
- in trigger pipelines the Google delegated subject comes from the committed team map;
- a delivery may not claim to come from the future (it would outrank every later one).
See docs/security.md.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from calsync.core.errors import ConfigError, InputError
from calsync.core.fields import EMAIL

CALENDLY_API = "https://api.calendly.com"
FUTURE_SLACK = timedelta(minutes=5)
UNSAFE_KEY = "unsafe_accept_unverified_trigger_deliveries"


@dataclass(frozen=True)
class Committed:
    """Trust settings that only a reviewed change to the team map can set."""

    accept_unverified_trigger: bool = False
    delegated_user: str = ""  # google.delegated_user; "" = none committed


# -- endpoints -----------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
    host = host.lower().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parts(name: str, url: str) -> tuple[str, str, str]:
    """(scheme, host, path) of a URL, or ConfigError naming the variable."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (a bad port raises ValueError)
    except ValueError:
        raise ConfigError(f"{name}: not a URL") from None
    if parts.username is not None or parts.password is not None or not host:
        raise ConfigError(f"{name}: not a plain http(s) URL with a host")
    return parts.scheme.lower(), host.lower(), parts.path


def check_google_url(name: str, url: str) -> None:
    """Only https on *.googleapis.com, or loopback (http allowed there, for tests)."""
    if not url:
        return
    scheme, host, _ = _parts(name, url)
    if is_loopback(host) and scheme in ("http", "https"):
        return
    if scheme == "https" and host.endswith(".googleapis.com"):
        return
    raise ConfigError(
        f"{name}: refusing {scheme}://{host}: only https on *.googleapis.com (or a loopback "
        "address for tests) may receive Google credentials; unset the variable"
    )


def check_calendly_url(name: str, url: str) -> None:
    """Only https://api.calendly.com, or loopback (http allowed there, for tests)."""
    scheme, host, path = _parts(name, url)
    if is_loopback(host) and scheme in ("http", "https"):
        return
    if f"{scheme}://{host}" == CALENDLY_API and urlsplit(url).port is None and path in ("", "/"):
        return
    raise ConfigError(
        f"{name}: refusing {scheme}://{host}: only {CALENDLY_API} (or a loopback address for "
        "tests) may receive CALENDLY_TOKEN; unset the variable"
    )


# -- trigger pipelines ---------------------------------------------------------------------


def require_verification(*, triggered: bool, verifying: bool, committed: Committed) -> None:
    """A trigger delivery must be verified with the Calendly API unless the team map says not."""
    if not triggered or verifying or committed.accept_unverified_trigger:
        return
    raise ConfigError(
        "trigger pipeline without payload verification: anyone holding the trigger URL could "
        "write forged bookings. Set CALENDLY_TOKEN as a protected, masked CI/CD variable (and "
        f"do not pass --no-verify); or, knowing the risk, set `{UNSAFE_KEY}: true` in the "
        "committed team map"
    )


def delegated_user(env_value: str, committed: Committed, *, triggered: bool) -> str:
    """The Google subject to act as. In trigger pipelines only the committed one counts."""
    if not triggered:
        return env_value or committed.delegated_user
    if env_value and env_value.lower() != committed.delegated_user.lower():
        raise ConfigError(
            "GOOGLE_DELEGATED_USER differs from google.delegated_user in the team map; in "
            "trigger pipelines the delegated user comes from the committed team map only "
            "(set it there, and remove the variable)"
        )
    return committed.delegated_user


def trigger_variables(variables: Any, what: str = "TRIGGER_PAYLOAD") -> None:
    """A trigger request that set pipeline variables is refused, naming them (not values)."""
    if not variables:
        return
    if isinstance(variables, dict):
        names = ", ".join(sorted(_name(k) for k in variables))
    else:
        names = "(not an object)"
    raise InputError(
        f"{what}: the trigger request set pipeline variables ({names}); a webhook "
        "delivery never does, so it is refused. Check who holds the trigger URL"
    )


def _name(key: object) -> str:
    text = str(key)
    return text if re.fullmatch(r"[A-Za-z0-9_]{1,64}", text) else "[odd name]"


# -- times ---------------------------------------------------------------------------------


def check_not_future(created_at: datetime | None, now: datetime) -> None:
    """A delivery's `created_at` more than 5 minutes ahead of `now` is bad input."""
    if created_at is not None and created_at > now + FUTURE_SLACK:
        raise InputError(
            "created_at: more than 5 minutes in the future; a real delivery cannot be, and a "
            "future time would outrank every later delivery"
        )


# -- the team map's part -------------------------------------------------------------------


def committed_options(data: dict[str, Any], problems: list[str]) -> Committed:
    """Read the team map's top-level trust keys; append `path: message` problems."""
    accept = data.get(UNSAFE_KEY, False)
    if not isinstance(accept, bool):
        problems.append(f"{UNSAFE_KEY}: expected true or false")
        accept = False
    google = data.get("google", {})
    user = ""
    if not isinstance(google, dict):
        problems.append("google: expected a mapping")
    else:
        problems.extend(
            f"google.{_name(key)}: unknown key (allowed: delegated_user)"
            for key in google
            if key != "delegated_user"
        )
        raw = google.get("delegated_user", "")
        if not isinstance(raw, str) or (raw and not EMAIL.match(raw)):
            problems.append("google.delegated_user: expected an email address")
        else:
            user = raw
    return Committed(accept_unverified_trigger=accept, delegated_user=user)
