"""`doctor`'s rule for the Calendly webhook subscription, pure: given the subscriptions of the
organization (and of its groups), does one of them deliver what sync needs to a GitLab
pipeline trigger URL, and is it active?

Needed events: invitee.created and invitee.canceled, plus invitee_no_show.created and
invitee_no_show.deleted whenever the team map has a team: sync marks the title of every team's
meeting "[No-show] ..." from those deliveries, and there is no per-team switch to turn that off.

URLs are shown through `show` (the commands layer masks the trigger token): a token is never
part of a detail line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from calsync.core.doctor import Check, failed, passed

NAME = "webhook subscription"
TOOL = "python scripts/calendly_gcal.py"
BOOKING_EVENTS = ("invitee.created", "invitee.canceled")
NO_SHOW_EVENTS = ("invitee_no_show.created", "invitee_no_show.deleted")
EXAMPLE_URL = "https://GITLAB/api/v4/projects/PROJECT_ID/ref/main/trigger/pipeline?token=TOKEN"
# .../api/v4/projects/<id>/ref/<ref>/trigger/pipeline (a GitLab under a path prefix too)
_TRIGGER_PATH = re.compile(r"/api/v4/projects/[^/]+/ref/.+/trigger/pipeline/?$")
_MASKED = "<redacted>"

JSON = dict[str, Any]
Show = Callable[[str], str]


def needed_events(teams: int) -> tuple[str, ...]:
    """What the subscription must deliver for a team map with `teams` teams."""
    return BOOKING_EVENTS + (NO_SHOW_EVENTS if teams else ())


def is_trigger_url(url: object) -> bool:
    """A GitLab pipeline trigger URL (https, `/api/v4/projects/ID/ref/REF/trigger/pipeline`)."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(_TRIGGER_PATH.search(parts.path))


def tokens(url: str) -> list[str]:
    """The values of `token` query parameters: secrets, never shown."""
    return [v for k, v in parse_qsl(urlsplit(url).query) if k.lower() == "token"]


def same_trigger(callback: str, expected: str) -> bool:
    """Does `callback` match CALSYNC_TRIGGER_URL? Exactly, when the expected URL carries a
    token; host and path (ignoring the query) when it does not."""
    if tokens(expected):
        return callback.strip() == expected.strip()
    a, b = urlsplit(callback), urlsplit(expected)
    same_host = a.netloc.lower() == b.netloc.lower()
    return a.scheme == b.scheme and same_host and a.path.rstrip("/") == b.path.rstrip("/")


def subscription_check(
    subs: Sequence[JSON], *, needed: Sequence[str], expected: str, show: Show
) -> Check:
    """One line on the subscriptions: ok when an active one delivers `needed` to the
    trigger URL (CALSYNC_TRIGGER_URL when `expected` is set, any trigger URL otherwise)."""
    hooks = [s for s in subs if is_trigger_url(s.get("callback_url"))]
    if expected:
        matching = [s for s in hooks if same_trigger(str(s["callback_url"]), expected)]
        if not matching:
            return _none_for_expected(hooks, expected, show)
        hooks = matching
    if not hooks:
        others = f" ({len(subs)} deliver elsewhere)" if subs else ""
        return failed(
            NAME,
            f"no organization or group webhook subscription delivers to a GitLab pipeline "
            f"trigger URL{others}: fix: {TOOL} webhooks create --url '{EXAMPLE_URL}'",
        )
    verdicts = [_judge(s, needed, show) for s in hooks]
    good = [v for v in verdicts if v.ok]
    if not good:
        return verdicts[0]
    detail = good[0].detail
    if len(good) > 1:
        detail += (
            f"; note: {len(good)} active subscriptions deliver every booking, so each one runs "
            "that many pipelines (harmless but wasteful): delete the extra ones"
        )
    elif len(verdicts) > 1:
        detail += f"; note: {len(verdicts) - 1} other trigger subscription(s) not in use"
    return passed(NAME, detail)


def _none_for_expected(hooks: list[JSON], expected: str, show: Show) -> Check:
    found = ", ".join(_url(s, show) for s in hooks)
    instead = f"; the trigger subscriptions deliver to {found} instead" if found else ""
    return failed(
        NAME,
        f"no organization or group webhook subscription delivers to CALSYNC_TRIGGER_URL "
        f"({show(expected)}){instead}: fix: {TOOL} webhooks create --url "
        f'"$CALSYNC_TRIGGER_URL" (and delete a subscription that is no longer wanted)',
    )


def _judge(sub: JSON, needed: Sequence[str], show: Show) -> Check:
    """Is this trigger subscription fit to deliver? The first problem found, with its fix."""
    uuid = str(sub.get("uri", "")).rstrip("/").rsplit("/", 1)[-1]
    url, scope = _url(sub, show), str(sub.get("scope") or "?")
    which = f"{scope} subscription {uuid} -> {url}"
    again = (
        f"{TOOL} webhooks delete {uuid} --yes, then {TOOL} webhooks create --url "
        f"'{url.replace(_MASKED, 'TOKEN')}' (with the trigger token for TOKEN)"
    )
    have = [e for e in sub.get("events") or [] if isinstance(e, str)]
    missing = [e for e in needed if e not in have]
    state = sub.get("state")
    if not tokens(str(sub.get("callback_url"))):
        return failed(
            NAME,
            f"{which} carries no trigger token (?token=...), so GitLab refuses every "
            f"delivery: fix: {again}",
        )
    if state != "active":
        return failed(
            NAME,
            f"{which} is {state or 'not active'} (Calendly disables a subscription after 24 "
            f"hours of failed deliveries and never re-enables it): fix: {again}; then "
            f"{TOOL} reconcile --since=-7d repairs what was missed",
        )
    if missing:
        return failed(
            NAME,
            f"{which} does not deliver {', '.join(missing)}: fix: {again} (create subscribes "
            "the four events sync handles)",
        )
    if sub.get("retry_started_at"):
        return failed(
            NAME,
            f"{which} is active, but Calendly has been retrying failed deliveries since "
            f"{sub['retry_started_at']} and disables it 24 hours after that: fix: check that "
            "the trigger token still exists (Settings > CI/CD > Pipeline trigger tokens) and "
            "that trigger pipelines run (Build > Pipelines)",
        )
    return passed(NAME, f"{which}: active, delivers {', '.join(have)}")


def _url(sub: JSON, show: Show) -> str:
    return show(str(sub.get("callback_url", "")))
