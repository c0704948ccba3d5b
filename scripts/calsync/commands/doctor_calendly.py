"""`doctor`'s Calendly checks: the token, what it may read, and the webhook subscription.

Reads only. With CALENDLY_TOKEN set: GET /users/me (users:read); one page of the
organization's scheduled events (scheduled_events:read: sync verifies every delivery with it,
reconcile lists meetings with it); the organization's webhook subscriptions (webhooks:read),
and, when none of them delivers to a GitLab trigger URL, those of each group (groups:read; a
token without it skips them). webhooks:write is not checked: only `webhooks create|delete`
need it, and the only way to check it is to write.

Without CALENDLY_TOKEN, trigger runs refuse every delivery (core.trust), unless the committed
team map accepts unverified deliveries: a failure, or a passed check saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from calsync.adapters.calendly import CalendlyClient, Forbidden
from calsync.commands.calendly_api import open_client, owner
from calsync.commands.context import Clock
from calsync.commands.webhooks import show_url
from calsync.core import redact
from calsync.core.doctor import Check, failed, from_error, passed
from calsync.core.doctor_webhooks import is_trigger_url, needed_events, subscription_check, tokens
from calsync.core.errors import CalSyncError
from calsync.core.settings import Settings
from calsync.core.state import stamp
from calsync.core.team_map import TeamMap
from calsync.core.trust import UNSAFE_KEY

PIPELINE_SCOPES = ("users:read", "scheduled_events:read", "webhooks:read")
_NEW_TOKEN = (
    f"create a personal access token with the scopes {', '.join(PIPELINE_SCOPES)} (and "
    "webhooks:write to manage subscriptions) in Calendly > Integrations > API & Webhooks, "
    "and put it in CALENDLY_TOKEN"
)
JSON = dict[str, Any]


def calendly_checks(settings: Settings, team_map: TeamMap | None, clock: Clock) -> list[Check]:
    if not settings.calendly_token:
        return [_no_token(team_map)]
    for value in tokens(settings.trigger_url):
        redact.protect([value])
    with open_client(settings, timeout=settings.timeout, clock=clock) as api:
        try:
            user, organization = owner(api)
        except CalSyncError as err:
            return [_scope_error("calendly account", err, "users:read")]
        checks = [passed("calendly account", f"user {user}, organization {organization}")]
        events = _probe(
            "calendly scheduled events",
            "scheduled_events:read",
            lambda: _first_page_of_events(api, organization),
        )
        checks.append(
            events
            or passed(
                "calendly scheduled events",
                "readable (scheduled_events:read: sync verifies each delivery, reconcile "
                "lists meetings)",
            )
        )
        subs: list[JSON] = []
        listing = _probe(
            "calendly webhook subscriptions",
            "webhooks:read",
            lambda: subs.extend(_subscriptions(api, organization)),
        )
        if listing is not None:
            return [*checks, listing]
    count = f"{len(subs)} subscription(s) of the organization and its groups"
    checks.append(passed("calendly webhook subscriptions", f"readable (webhooks:read): {count}"))
    for sub in subs:
        redact.protect(tokens(str(sub.get("callback_url", ""))))
    teams = len(team_map.teams) if team_map is not None else 1
    checks.append(
        subscription_check(
            subs, needed=needed_events(teams), expected=settings.trigger_url, show=show_url
        )
    )
    return checks


def _no_token(team_map: TeamMap | None) -> Check:
    name = "calendly account"
    if team_map is not None and team_map.trust.accept_unverified_trigger:
        return passed(
            name,
            f"CALENDLY_TOKEN is not set: trigger deliveries are accepted unverified "
            f"({UNSAFE_KEY}: true in the team map); the webhook subscription was not checked",
        )
    return failed(
        name,
        "CALENDLY_TOKEN is not set, so trigger runs refuse every delivery (they verify it "
        f"with the Calendly API): fix: {_NEW_TOKEN}, as a protected, masked CI/CD variable",
    )


def _probe(name: str, scope: str, call: Callable[[], object]) -> Check | None:
    """None when `call` works; else the failed check, naming the scope on a 403."""
    try:
        call()
    except CalSyncError as err:
        return _scope_error(name, err, scope)
    return None


def _scope_error(name: str, err: CalSyncError, scope: str) -> Check:
    if not isinstance(err, Forbidden):
        return from_error(name, err)
    if err.scopes:
        why = f"the token lacks scope {', '.join(err.scopes)}"
    else:
        why = (
            f"Calendly answered 403: the token lacks scope {scope}, or its user is not an "
            "owner or admin of the organization"
        )
    return failed(name, f"{why}: fix: {_NEW_TOKEN}")


def _first_page_of_events(api: CalendlyClient, organization: str) -> None:
    """One page of the organization's upcoming meetings (what reconcile lists)."""
    listing = api.list_scheduled_events(
        organization=organization, min_start_time=stamp(datetime.now(UTC))
    )
    next(iter(listing), None)


def _subscriptions(api: CalendlyClient, organization: str) -> list[JSON]:
    """The organization's subscriptions; its groups' too when none delivers to a trigger."""
    subs = api.list_webhooks(organization=organization, scope="organization")
    if any(is_trigger_url(s.get("callback_url")) for s in subs):
        return subs
    try:
        groups = api.list_groups(organization=organization)
    except Forbidden:  # no groups:read: group subscriptions cannot be listed, nor needed
        return subs
    for group in groups:
        uri = group.get("uri")
        if isinstance(uri, str):
            subs += api.list_webhooks(organization=organization, scope="group", group=uri)
    return subs
