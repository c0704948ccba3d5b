"""The Calendly API client of a run: CALENDLY_TOKEN on CALENDLY_API_URL, and who the token is."""

from __future__ import annotations

from calsync.adapters.calendly import CalendlyClient
from calsync.commands.context import Clock
from calsync.core import redact
from calsync.core.errors import ConfigError, TransientError
from calsync.core.settings import Settings

NOT_SET = (
    "CALENDLY_TOKEN is not set: create a personal access token in Calendly > Integrations > "
    "API & Webhooks"
)


def open_client(
    settings: Settings, *, timeout: float = 10.0, retries: int = 4, clock: Clock | None = None
) -> CalendlyClient:
    """The Calendly client of CALENDLY_TOKEN on CALENDLY_API_URL (default api.calendly.com).

    Its 429 waits share one budget of CALENDLY_WAIT_BUDGET seconds (default 120)."""
    clock = clock or Clock()
    if not settings.calendly_token:
        raise ConfigError(NOT_SET)
    redact.protect([settings.calendly_token])
    return CalendlyClient(
        token=settings.calendly_token,
        base_url=settings.calendly_api_url,
        timeout=timeout,
        retries=retries,
        sleep=clock.sleep,
        clock=clock.now,
        time_budget=settings.calendly_wait_budget,
    )


def owner(api: CalendlyClient) -> tuple[str, str]:
    """(user URI, current organization URI) of the token."""
    me = api.me()
    user, organization = me.get("uri"), me.get("current_organization")
    if not isinstance(user, str) or not isinstance(organization, str) or not organization:
        raise TransientError("Calendly API answered GET /users/me without uri and organization")
    return user, organization
