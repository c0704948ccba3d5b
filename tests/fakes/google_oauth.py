"""OAuth side of the fake Google server: token grants and credential files.

read_grant() decides what /token answers (no HTTP here); the write_*_file helpers make
credential files whose token endpoints are the fake's, for the real google-auth.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

Json = dict[str, Any]

TOKEN_PATH = "/token"
IMPERSONATE_SUFFIX = ":generateAccessToken"  # /v1/projects/-/serviceAccounts/EMAIL:...
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"


class OAuthError(Exception):
    """A token request the OAuth server refuses: {"error", "error_description"}."""

    def __init__(self, status: int, error: str, description: str) -> None:
        self.status, self.error, self.description = status, error, description
        super().__init__(f"{status} {error}: {description}")

    def body(self) -> Json:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True)
class Grant:
    """An accepted token request."""

    identity: str  # whom the access token stands for
    claims: Json | None = None  # the JWT payload of a service-account grant
    extra: Json = field(default_factory=dict)  # more fields for the token response


def _jwt_claims(assertion: str) -> Json | None:
    """The JWT's payload, unverified: the fake trusts every signature."""
    parts = assertion.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    return claims if isinstance(claims, dict) else None


def read_grant(content_type: str, body: bytes) -> Grant:
    """Check a POST /token body (form or JSON); OAuthError when Google would refuse it."""
    if content_type.startswith("application/json"):
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise OAuthError(400, "invalid_request", "Malformed JSON body.") from None
        form = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    else:
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    grant = form.get("grant_type")
    if grant == JWT_GRANT:  # service account, optionally with domain-wide delegation
        claims = _jwt_claims(form.get("assertion", ""))
        if claims is None or not claims.get("iss"):
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        if not claims.get("scope") and not claims.get("target_audience"):
            msg = "Invalid OAuth scope or ID token audience provided."
            raise OAuthError(400, "invalid_scope", msg)
        return Grant(str(claims.get("sub") or claims["iss"]), claims=claims)
    if grant == "refresh_token":  # ADC authorized_user
        if not all(form.get(k) for k in ("refresh_token", "client_id", "client_secret")):
            raise OAuthError(400, "invalid_request", "Missing required parameter.")
        return Grant("user@fake.example")
    if grant == EXCHANGE_GRANT:  # external_account: workload identity federation (STS)
        if not form.get("subject_token"):
            raise OAuthError(400, "invalid_request", "Missing subject_token.")
        issued = {"issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}
        return Grant("principal://fake/" + form.get("audience", ""), extra=issued)
    raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")


@functools.cache
def _private_key_pem() -> str:
    """One RSA key per process: generating it is slow. 1024 bits, not Google's 2048: the fake
    trusts every signature, and google-auth loads (checks) a 2048-bit key in ~50 ms, a
    1024-bit one in ~8 ms, on every run of the CLI."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def write_service_account_file(
    path: Path,
    *,
    token_uri: str,
    client_email: str = "sync@test-project.iam.gserviceaccount.com",
) -> Path:
    """Write a service_account JSON key (a real RSA key) whose token_uri is the fake's.

    Loading it costs ~8 ms (cryptography checks the key): tests that need many
    credentials can load once and use `creds.with_token_uri(fake.token_uri)`.
    """
    info = {
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": _private_key_pem(),
        "client_email": client_email,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/" + client_email,
        "universe_domain": "googleapis.com",
    }
    path.write_text(json.dumps(info, indent=2))
    return path


def write_authorized_user_file(path: Path, *, token_uri: str) -> Path:
    """Write an ADC "authorized_user" file (as `gcloud auth application-default login`).

    Careful: google-auth ignores the file's token_uri and always refreshes at
    https://oauth2.googleapis.com/token. Retarget the loaded credentials with
    `creds.with_token_uri(fake.token_uri)`.
    """
    info = {
        "type": "authorized_user",
        "client_id": "fake-client.apps.googleusercontent.com",
        "client_secret": "fake-secret",
        "refresh_token": "fake-refresh-token",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info, indent=2))
    return path


def write_external_account_file(
    path: Path,
    *,
    token_uri: str,
    subject_token_file: Path,
    service_account_email: str | None = None,
) -> Path:
    """Write an "external_account" file like the CI job's, and a fake OIDC token in
    subject_token_file. With service_account_email the access token comes from the
    fake's generateAccessToken (impersonation). google.auth.default() then also needs
    GOOGLE_CLOUD_PROJECT set, or it asks cloudresourcemanager.googleapis.com."""
    payload = base64.urlsafe_b64encode(b'{"sub": "ci-job"}').decode().rstrip("=")
    subject_token_file.write_text(f"e30.{payload}.c2ln")
    info: Json = {
        "type": "external_account",
        "audience": "//iam.googleapis.com/projects/1/locations/global/"
        "workloadIdentityPools/ci/providers/gitlab",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": token_uri,
        "credential_source": {"file": str(subject_token_file)},
    }
    if service_account_email:
        base = token_uri.removesuffix(TOKEN_PATH)
        info["service_account_impersonation_url"] = (
            f"{base}/v1/projects/-/serviceAccounts/{service_account_email}{IMPERSONATE_SUFFIX}"
        )
    path.write_text(json.dumps(info, indent=2))
    return path
