"""The Calendly commands: `whoami` and `webhooks list|create|delete` (organization, user or
group scope). Wiring and wording only.

Each command opens one CalendlyClient (calsync.commands.calendly_api). The token and a
signing key are registered as secrets (never printed), and so is the GitLab trigger token in a
callback URL (`?token=...`): URLs are shown with it masked.

`webhooks create` is idempotent. Calendly keeps one subscription per URL (a second POST answers
409), so an existing subscription for the URL is the answer: reported as "exists" when it has the
wanted events and is active, refused with the fix (delete, then create again) when its events
differ or Calendly disabled it (after 24 hours of failed deliveries).
"""

from __future__ import annotations

import argparse
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from calsync.adapters.calendly import AlreadyExists, NotFound
from calsync.commands.calendly_api import open_client, owner
from calsync.core import redact
from calsync.core.errors import ConfigError, InputError

if TYPE_CHECKING:
    from calsync.commands.context import Context

JSON = dict[str, Any]
TOOL = "python scripts/calendly_gcal.py"
_UUID = re.compile(r"[A-Za-z0-9_-]{1,100}")
_TRUE = ("y", "yes")


def whoami(_args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    with open_client(ctx.settings, clock=ctx.clock) as api:
        user, organization = owner(api)
    ctx.say(f"user:         {user}")
    ctx.say(f"organization: {organization}")
    return {
        "action": "whoami",
        "reason": "CALENDLY_TOKEN works",
        "user": user,
        "organization": organization,
    }


def webhooks_list(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    with open_client(ctx.settings, clock=ctx.clock) as api:
        user, organization = owner(api)
        subs = api.list_webhooks(**_where(args, organization, user))
    for sub in subs:
        _protect_url(str(sub.get("callback_url", "")))
    if args.json:
        ctx.say(json.dumps(subs, indent=2, ensure_ascii=False))
    elif subs:
        for line in _table(subs):
            ctx.say(line)
    else:
        ctx.say(
            f"no {args.scope} webhook subscriptions; add one with: {TOOL} webhooks create --url URL"
        )
    return {
        "action": "listed",
        "reason": f"{len(subs)} {args.scope} webhook subscription(s)",
        "scope": args.scope,
        "organization": organization,
        "count": len(subs),
        "subscriptions": [_summary(s) for s in subs],
    }


def webhooks_create(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    events = list(dict.fromkeys(args.events))
    key = ctx.settings.calendly_signing_key or None
    redact.protect([key] if key else [])
    _protect_url(args.url)
    with open_client(ctx.settings, clock=ctx.clock) as api:
        user, organization = owner(api)
        where = _where(args, organization, user)
        found = _same_url(api.list_webhooks(**where), args.url)
        raced = False
        if found is None:
            try:
                sub = api.create_webhook(url=args.url, events=events, signing_key=key, **where)
            except AlreadyExists:  # created meanwhile, or our own POST retried after a lost answer
                found, raced = _same_url(api.list_webhooks(**where), args.url), True
                if found is None:
                    other = "user" if args.scope == "organization" else "organization"
                    raise ConfigError(
                        f"Calendly answered 409: a subscription for this URL already exists, but "
                        f"not among the {args.scope} subscriptions; look for it with: {TOOL} "
                        f"webhooks list --scope {other}"
                    ) from None
            else:
                ctx.say(f"created: {_line(sub)}")
                return {
                    "action": "created",
                    "reason": "webhook subscription created",
                    "subscription": _summary(sub),
                }
    return _existing(found, events, ctx, raced=raced)


def _existing(sub: JSON, events: list[str], ctx: Context, *, raced: bool) -> dict[str, Any]:
    """The subscription Calendly already has for this URL: fine, or the fix to apply."""
    ctx.report["subscription"] = _summary(sub)
    uuid = str(sub.get("uri", "")).rstrip("/").rsplit("/", 1)[-1]
    again = f"{TOOL} webhooks delete {uuid} --yes, then run this create again"
    if sub.get("state") == "disabled":
        raise ConfigError(
            f"the webhook subscription for this URL exists but is disabled (Calendly disables a "
            f"subscription after 24 hours of failed deliveries; it does not come back): fix: "
            f"{again}"
        )
    have = [e for e in sub.get("events") or [] if isinstance(e, str)]
    if set(have) != set(events):
        raise ConfigError(
            f"a webhook subscription for this URL exists with other events ({', '.join(have)}; "
            f"wanted {', '.join(events)}); Calendly keeps one subscription per URL: fix: {again}"
        )
    why = "created concurrently (Calendly answered 409)" if raced else "nothing created"
    ctx.say(f"exists: {_line(sub)} ({why})")
    return {
        "action": "exists",
        "reason": f"an active subscription with these events exists; {why}",
        "subscription": _summary(sub),
    }


def webhooks_delete(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    with open_client(ctx.settings, clock=ctx.clock) as api:
        uri = _subscription_uri(args.subscription, ctx.settings.calendly_api_url)
        if not args.yes:
            if not ctx.stdin.isatty():
                raise InputError(
                    f"refusing to delete {uri} without confirmation: stdin is not "
                    "interactive; pass --yes"
                )
            print(f"Delete {uri}? [y/N] ", end="", file=ctx.stderr, flush=True)
            if ctx.stdin.readline().strip().lower() not in _TRUE:
                ctx.say(f"kept: {uri}")
                return {"action": "kept", "reason": "not confirmed", "subscription": uri}
        try:
            api.delete_webhook(uri)
        except NotFound:
            raise InputError(
                f"webhook subscription {uri} not found: nothing deleted (see: {TOOL} webhooks list)"
            ) from None
    ctx.say(f"deleted: {uri}")
    return {"action": "deleted", "reason": "webhook subscription deleted", "subscription": uri}


# -- helpers ---------------------------------------------------------------------------------


def _where(args: argparse.Namespace, organization: str, user: str) -> dict[str, Any]:
    """Where subscriptions live: the organization, the token's user, or one group (by URI)."""
    scope, group = args.scope, getattr(args, "group", None)
    if scope == "group" and not group:
        raise InputError("--scope group needs --group URI (see: groups list)")
    if group and scope != "group":
        raise InputError("--group is only for --scope group")
    return {
        "organization": organization,
        "scope": scope,
        "user": user if scope == "user" else None,
        "group": group if scope == "group" else None,
    }


def _same_url(subs: list[JSON], url: str) -> JSON | None:
    return next((s for s in subs if s.get("callback_url") == url), None)


def _subscription_uri(value: str, base: str) -> str:
    """The subscription's URI on the configured API, from a URI or a bare UUID."""
    value = value.strip()
    if _UUID.fullmatch(value):
        return f"{base}/webhook_subscriptions/{value}"
    prefix = f"{base}/webhook_subscriptions/"
    if value.startswith(prefix) and _UUID.fullmatch(value[len(prefix) :].rstrip("/")):
        return value.rstrip("/")
    raise InputError(
        f"{value[:200]!r} is neither a UUID nor a webhook subscription URI of the "
        f"configured Calendly API ({base})"
    )


def _protect_url(url: str) -> None:
    """A trigger token in a callback URL is a secret: never show it anywhere."""
    redact.protect(v for k, v in parse_qsl(urlsplit(url).query) if k.lower() == "token")


def show_url(url: Any) -> str:
    """The callback URL with the value of a `token` query parameter masked."""
    if not isinstance(url, str):
        return ""
    parts = urlsplit(url)
    query = "&".join(
        f"{k}=<redacted>" if k.lower() == "token" else f"{k}={v}"
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit(parts._replace(query=query))


def _summary(sub: JSON) -> JSON:
    return {
        "uri": sub.get("uri"),
        "url": show_url(sub.get("callback_url")),
        "events": sub.get("events"),
        "scope": sub.get("scope"),
        "state": sub.get("state"),
        "created_at": sub.get("created_at"),
    }


def _line(sub: JSON) -> str:
    events = ", ".join(str(e) for e in sub.get("events") or [])
    return (
        f"{sub.get('uri')} -> {show_url(sub.get('callback_url'))} [{events}] ({sub.get('state')})"
    )


def _table(subs: list[JSON]) -> list[str]:
    """A compact table, one subscription a line; the UUID is what `webhooks delete` takes."""
    rows = [("UUID", "URL", "EVENTS", "SCOPE", "STATE", "CREATED")]
    for sub in subs:
        created = str(sub.get("created_at") or "")[:16].replace("T", " ")
        rows.append(
            (
                str(sub.get("uri", "")).rstrip("/").rsplit("/", 1)[-1],
                show_url(sub.get("callback_url")),
                ",".join(str(e) for e in sub.get("events") or []),
                str(sub.get("scope", "")),
                str(sub.get("state", "")),
                created,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
