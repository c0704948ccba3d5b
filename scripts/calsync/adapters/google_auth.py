"""Google credentials: a service-account key, workload identity federation, or ADC. No rules."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from typing import Any

import google.auth
from google.auth import exceptions as auth_errors
from google.auth import identity_pool
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from calsync.core.errors import ConfigError
from calsync.core.trust import check_google_url

_GAC = "GOOGLE_APPLICATION_CREDENTIALS"
_NO_BOUNDARY = "0x0"  # google-auth's encoding of "no regional restriction"
SCOPES = ["https://www.googleapis.com/auth/calendar.events"]


def load_credentials(path: str, delegated_user: str = "") -> tuple[Any, str]:
    """Credentials from the key file at `path` (GOOGLE_APPLICATION_CREDENTIALS) or ADC, and
    who to share calendars with; `delegated_user`: act as this user (domain-wide delegation)."""
    path = path.strip()
    subject = delegated_user.strip() or None
    if not path:
        try:
            creds, _ = google.auth.default(scopes=SCOPES)
        except auth_errors.DefaultCredentialsError:
            raise ConfigError(
                "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS to a "
                "service-account key file, or configure application default "
                "credentials"
            ) from None
        return _delegate(creds, subject), "the signed-in account"
    info = _read_key(path)
    kind = info.get("type")
    if kind == "service_account":
        _require(info, ("client_email", "private_key", "token_uri"))
        # the signed assertion goes there: Google's or loopback only, like every endpoint
        check_google_url(f"{_GAC}: token_uri", str(info["token_uri"]))
        try:
            rest = json.dumps({k: v for k, v in info.items() if k != "token_uri"}, sort_keys=True)
            creds = _service_account(rest).with_token_uri(info["token_uri"])
        except (ValueError, TypeError):
            raise ConfigError(
                "GOOGLE_APPLICATION_CREDENTIALS: the private key cannot be read"
            ) from None
        return _delegate(creds, subject), str(info["client_email"])
    if kind == "external_account":
        # Workload identity federation (GitLab id_tokens): loads offline, the token
        # exchange happens on the first API call.
        if not isinstance(info.get("credential_source"), dict):
            raise ConfigError(
                f"{_GAC}: credential_source must be an object (e.g. "
                '{"file": "/path/to/id_token.jwt"})'
            )
        try:
            creds = identity_pool.Credentials.from_info(info, scopes=SCOPES)  # type: ignore[no-untyped-call]
        except (ValueError, TypeError) as err:
            first = str(err).split(".", 1)[0][:120]
            raise ConfigError(f"GOOGLE_APPLICATION_CREDENTIALS: {first}") from None
        return _delegate(creds, subject), _impersonated(info) or "the federated identity"
    if kind == "authorized_user":  # a person's `gcloud auth application-default login`
        _require(info, ("client_id", "client_secret", "refresh_token"))
        if subject is not None:
            raise ConfigError("GOOGLE_DELEGATED_USER needs a service-account key file")
        creds = user_credentials.Credentials.from_authorized_user_info(info, scopes=SCOPES)  # type: ignore[no-untyped-call]
        return creds, "the signed-in account"
    if kind == "impersonated_service_account":
        _require(info, ("source_credentials", "service_account_impersonation_url"))
    shown = repr(kind) if isinstance(kind, str) and re.fullmatch(r"[a-z_]{1,40}", kind) else "?"
    if kind is None:
        shown = "None"
    raise ConfigError(
        f"{_GAC}: unsupported credentials type {shown} (expected "
        "service_account, external_account or authorized_user)"
    )


@functools.lru_cache(maxsize=4)
def _service_account(key: str) -> Any:
    """The key's credentials (all but token_uri), parsed once per process: loading the private
    key costs ~10 ms (cryptography checks the RSA key), and a process may open Google more than
    once (doctor, reconcile, the test suite). Callers get copies (`with_token_uri`), so no
    token is shared."""
    # a placeholder token_uri: each caller sets its own (with_token_uri)
    info = {**json.loads(key), "token_uri": "https://oauth2.googleapis.com/token"}
    return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)  # type: ignore[no-untyped-call]


def _impersonated(info: dict[str, Any]) -> str:
    """The service account a federated identity acts as (from its impersonation URL), or ""."""
    url = info.get("service_account_impersonation_url")
    if not isinstance(url, str):
        return ""
    found = re.search(r"/serviceAccounts/([^/:]+):generateAccessToken$", url)
    return found[1] if found else ""


def _require(info: dict[str, Any], keys: tuple[str, ...]) -> None:
    missing = [k for k in keys if not info.get(k)]
    if missing:
        raise ConfigError(f"{_GAC}: missing {', '.join(missing)}")
    for key in keys:
        if not isinstance(info[key], str | dict):
            raise ConfigError(f"{_GAC}: {key} must be a string")
    for key in ("client_email", "private_key", "token_uri", "client_id", "refresh_token"):
        if key in keys and not isinstance(info[key], str):
            raise ConfigError(f"{_GAC}: {key} must be a string")


def _read_key(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            info = json.load(fh)
    except FileNotFoundError:
        raise ConfigError("GOOGLE_APPLICATION_CREDENTIALS: file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{_GAC}: is a directory, not a credentials file") from None
    except PermissionError:
        raise ConfigError(
            "GOOGLE_APPLICATION_CREDENTIALS: file is not readable by this "
            "user (check its permissions)"
        ) from None
    except (OSError, ValueError):
        raise ConfigError("GOOGLE_APPLICATION_CREDENTIALS: not a JSON credentials file") from None
    if not isinstance(info, dict):
        raise ConfigError("GOOGLE_APPLICATION_CREDENTIALS: not a JSON credentials file")
    return info


def _delegate(creds: Any, subject: str | None) -> Any:
    if subject is None:
        return creds
    if not hasattr(creds, "with_subject"):
        raise ConfigError("GOOGLE_DELEGATED_USER needs a service-account key file")
    return creds.with_subject(subject)


def skip_boundary_lookup(creds: Any) -> None:
    """Keep google-auth from asking Google's IAM for the account's allowed locations.

    After each token refresh google-auth looks up the "regional access boundary" at
    iamcredentials.googleapis.com in a background thread. With the API endpoint overridden
    (a private or local server) that is a request to the internet the override exists to
    avoid, so the boundary is set as known (no restriction) instead. The setter is the
    one google-auth keeps stable for the gcloud CLI. (Federated credentials that impersonate
    a service account build their inner credentials at the first refresh, beyond reach here.)
    """
    setter = getattr(creds, "_set_regional_access_boundary", None)
    if setter is not None:
        setter({"encodedLocations": _NO_BOUNDARY, "expiry": dt.datetime(9999, 1, 1)})  # noqa: DTZ001 - google-auth compares naive UTC
