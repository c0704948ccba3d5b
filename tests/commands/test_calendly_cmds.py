"""`whoami` and `webhooks list|create|delete` end to end: the CLI, requests, FakeCalendly on loopback."""

from __future__ import annotations

import io
import json
import os
from typing import Any

import pytest

from calsync import cli
from calsync.adapters.calendly import CalendlyClient
from calsync.commands.calendly_api import NOT_SET
from conftest import SECRET_TOKEN, FakeTime, Result, run_cli
from fakes.calendly_server import FakeCalendly

TRIGGER_SECRET = "glptt-0123456789abcdef0123456789abcdef01234567"
HOOK = (
    f"https://gitlab.example.com/api/v4/projects/7/ref/main/trigger/pipeline?token={TRIGGER_SECRET}"
)
SYNC_EVENTS = [
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
]


class RacingCalendly(FakeCalendly):
    """A fake where another client creates the same subscription just before our POST lands
    (or our own POST landed and its answer was lost, so the retry meets a 409)."""

    race = True

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Any:
        if method == "POST" and self.race:
            self.race = False
            with self.lock:
                self._create_subscription(json.loads(raw))
        return super().handle(method, target, headers, raw)


def run(
    argv: list[str], env: dict[str, str], stdin: str = "", time: FakeTime | None = None
) -> Result:
    result = run_cli(argv, env, stdin, time=time)
    assert SECRET_TOKEN not in result.out + result.err
    assert TRIGGER_SECRET not in result.out + result.err
    return result


def subscribe(
    calendly: FakeCalendly, url: str, events: list[str] | None = None, scope: str = "organization"
) -> dict[str, Any]:
    """Create a subscription over real HTTP, as another tool would."""
    with CalendlyClient(token=SECRET_TOKEN, base_url=calendly.base_url) as api:
        user = calendly.user["uri"] if scope == "user" else None
        return api.create_webhook(
            url=url,
            events=events or SYNC_EVENTS,
            scope=scope,
            user=user,
            organization=calendly.organization_uri,
        )


def posts(calendly: FakeCalendly) -> list[tuple[str, str]]:
    return [r for r in calendly.requests if r[0] == "POST"]


# -- whoami and the shared failure modes ------------------------------------------------------


def test_whoami_prints_user_and_organization(calendly, env):
    """whoami shows the token's user URI and current organization URI."""
    result = run(["whoami"], env)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines()[:2] == [
        f"user:         {calendly.user['uri']}",
        f"organization: {calendly.organization_uri}",
    ]
    report = result.report
    assert (report["command"], report["action"]) == ("whoami", "whoami")
    assert (report["user"], report["organization"]) == (
        calendly.user["uri"],
        calendly.organization_uri,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["whoami"],
        ["webhooks", "list"],
        ["webhooks", "create", "--url", HOOK],
        ["webhooks", "delete", "abc", "--yes"],
    ],
)
def test_missing_token_is_a_config_error(argv, calendly):
    """Without CALENDLY_TOKEN every command says where to get one, exit 2, no request."""
    result = run(argv, {"CALENDLY_API_URL": calendly.base_url, "CALENDLY_TOKEN": "  "})
    assert result.code == 2
    assert result.err == f"error: {NOT_SET}\n"
    assert result.report["action"] == "error"
    assert calendly.requests == []


def test_rejected_token_is_exit_2_and_never_shown(calendly):
    """A 401 says to check CALENDLY_TOKEN; the wrong token itself is not printed."""
    wrong = "wrong-token-6c1d2e3f4a5b"
    result = run_cli(["whoami"], {"CALENDLY_TOKEN": wrong, "CALENDLY_API_URL": calendly.base_url})
    assert result.code == 2
    assert result.err == (
        "error: Calendly API 401 Unauthenticated: The access token is invalid "
        "(GET /users/me); check CALENDLY_TOKEN\n"
    )
    assert wrong not in result.out + result.err


def test_missing_scope_is_exit_2_naming_the_scope(calendly, env):
    """A 403 names the scope the token lacks."""
    calendly.scopes = {"users:read"}
    result = run(["webhooks", "list"], env)
    assert result.code == 2
    assert result.err == (
        "error: Calendly API 403 Permission Denied: The access token is missing the required "
        "scope: webhooks:read (GET /webhook_subscriptions); the token lacks scope webhooks:read\n"
    )


def test_forbidden_without_scope_name_says_what_the_call_needs(calendly, env):
    """A 403 that names no scope: say which scope and role the call needs."""
    calendly.scopes = {"users:read", "webhooks:read"}
    calendly.scope_error_names_scope = False
    result = run(["webhooks", "create", "--url", HOOK], env)
    assert result.code == 2
    assert result.err == (
        "error: Calendly API 403 Permission Denied: You do not have permission "
        "(POST /webhook_subscriptions); this call needs token scope webhooks:write (plus "
        "scheduled_events:read) and a role/plan allowing it\n"
    )


def test_server_errors_are_transient_exit_1(calendly, env, fake_time):
    """5xx after every retry: exit 1 (a rerun is safe), one line naming the call."""
    calendly.fail(path_contains="/users/me", status=503, times=10)
    result = run(["whoami"], env, time=fake_time)
    assert result.code == 1
    assert result.err == (
        "error: Calendly API unreachable after 5 tries: HTTP 503 Internal Server Error "
        "(GET /users/me)\n"
    )
    assert fake_time.slept == [1.0, 2.0, 4.0]  # backoff; the first retry is immediate


# -- webhooks list ----------------------------------------------------------------------------


def test_list_follows_every_page_as_a_table(calendly, env):
    """Five subscriptions on pages of two: all listed, one row each, UUID first."""
    subs = [subscribe(calendly, f"https://hooks.example.com/h{n}") for n in range(5)]
    result = run(["webhooks", "list"], env)
    assert (result.code, result.err) == (0, "")
    lines = result.out.splitlines()
    assert lines[0].split() == ["UUID", "URL", "EVENTS", "SCOPE", "STATE", "CREATED"]
    rows = lines[1:-1]
    assert [row.split()[0] for row in rows] == [s["uri"].rsplit("/", 1)[1] for s in subs]
    assert all(",".join(SYNC_EVENTS) in row and "organization  active" in row for row in rows)
    assert result.report["count"] == 5
    pages = [t for m, t in calendly.requests if m == "GET" and t.startswith("/webhook_subscr")]
    assert len(pages) == 3
    assert all("page_token" in t for t in pages[1:])


def test_list_json_prints_the_raw_subscriptions(calendly, env):
    """--json prints Calendly's subscriptions as JSON, then the report."""
    subscribe(calendly, "https://hooks.example.com/a")
    subscribe(calendly, "https://hooks.example.com/b")
    result = run(["webhooks", "list", "--json"], env)
    raw = json.loads("\n".join(result.out.splitlines()[:-1]))
    assert [s["callback_url"] for s in raw] == [
        "https://hooks.example.com/a",
        "https://hooks.example.com/b",
    ]
    assert result.report["count"] == 2


def test_list_masks_the_trigger_token(calendly, env):
    """The GitLab trigger token in a callback URL is never shown, in any output."""
    subscribe(calendly, HOOK)
    for argv in (["webhooks", "list"], ["webhooks", "list", "--json"]):
        result = run(argv, env)  # run() asserts the token is absent
        assert "trigger/pipeline?token=<redacted>" in result.out


def test_list_user_scope(calendly, env):
    """--scope user lists the token user's subscriptions only."""
    subscribe(calendly, "https://hooks.example.com/org")
    subscribe(calendly, "https://hooks.example.com/mine", scope="user")
    result = run(["webhooks", "list", "--scope", "user"], env)
    assert result.report["count"] == 1
    assert result.report["subscriptions"][0]["url"] == "https://hooks.example.com/mine"


def test_list_empty_says_how_to_add_one(calendly, env):
    result = run(["webhooks", "list"], env)
    assert result.out.splitlines()[0] == (
        "no organization webhook subscriptions; add one with: "
        "python scripts/calendly_gcal.py webhooks create --url URL"
    )
    assert result.report["count"] == 0


# -- webhooks create --------------------------------------------------------------------------


def test_create_then_exists_never_duplicates(calendly, env):
    """The first create subscribes the four sync events; reruns report it and create nothing."""
    first = run(["webhooks", "create", "--url", HOOK], env)
    assert (first.code, first.report["action"]) == (0, "created")
    [sub] = calendly.subscriptions
    assert sub["events"] == SYNC_EVENTS
    assert sub["scope"] == "organization"
    for _ in range(2):
        again = run(["webhooks", "create", "--url", HOOK], env)
        assert (again.code, again.err, again.report["action"]) == (0, "", "exists")
        assert again.out.startswith(f"exists: {sub['uri']} -> ")
    assert len(calendly.subscriptions) == 1
    assert len(posts(calendly)) == 1


def test_create_same_events_in_another_order_exists(calendly, env):
    subscribe(calendly, HOOK, list(reversed(SYNC_EVENTS)))
    result = run(["webhooks", "create", "--url", HOOK], env)
    assert (result.code, result.report["action"]) == (0, "exists")


def test_create_user_scope_with_signing_key_never_prints_it(calendly, env):
    """--scope user sends the user; the signing key reaches Calendly and no output."""
    key = "signing-key-9a8b7c6d5e4f"
    result = run(
        [
            "webhooks",
            "create",
            "--url",
            HOOK,
            "--scope",
            "user",
            "--signing-key",
            key,
            "--events",
            "invitee.created",
            "invitee.canceled",
        ],
        env,
    )
    assert (result.code, result.report["action"]) == (0, "created")
    [sub] = calendly.subscriptions
    assert (sub["scope"], sub["user"]) == ("user", calendly.user["uri"])
    assert sub["events"] == ["invitee.created", "invitee.canceled"]
    assert calendly.signing_keys[sub["uri"]] == key
    assert key not in result.out + result.err


def test_create_signing_key_from_environment(calendly, env):
    key = "env-signing-key-1f2e3d4c"
    result = run(["webhooks", "create", "--url", HOOK], {**env, "CALENDLY_SIGNING_KEY": key})
    assert result.code == 0
    assert calendly.signing_keys[calendly.subscriptions[0]["uri"]] == key
    assert key not in result.out + result.err


def test_create_with_other_events_says_how_to_fix(calendly, env):
    """Same URL, other events: not duplicated, exit 2, the fix is delete + create."""
    sub = subscribe(calendly, HOOK, ["invitee.created"])
    uuid = sub["uri"].rsplit("/", 1)[1]
    result = run(["webhooks", "create", "--url", HOOK], env)
    assert result.code == 2
    assert result.err == (
        "error: a webhook subscription for this URL exists with other events (invitee.created; "
        f"wanted {', '.join(SYNC_EVENTS)}); Calendly keeps one subscription per URL: fix: "
        f"python scripts/calendly_gcal.py webhooks delete {uuid} --yes, then run this create "
        "again\n"
    )
    assert result.report["subscription"]["uri"] == sub["uri"]
    assert len(calendly.subscriptions) == 1
    assert posts(calendly) == [("POST", "/webhook_subscriptions")]  # the set-up's own


def test_create_over_a_disabled_subscription_says_how_to_fix(calendly, env):
    """Calendly disabled it after 24 h of failures: say so, and to delete and re-create."""
    sub = subscribe(calendly, HOOK)
    calendly.disable_subscription(sub["uri"])
    uuid = sub["uri"].rsplit("/", 1)[1]
    result = run(["webhooks", "create", "--url", HOOK], env)
    assert result.code == 2
    assert result.err == (
        "error: the webhook subscription for this URL exists but is disabled (Calendly disables "
        "a subscription after 24 hours of failed deliveries; it does not come back): fix: "
        f"python scripts/calendly_gcal.py webhooks delete {uuid} --yes, then run this create "
        "again\n"
    )
    assert result.report["subscription"]["state"] == "disabled"


def test_create_race_409_reports_the_existing_one():
    """The POST meets a 409 (a concurrent create, or our retried POST): list again, report it."""
    with RacingCalendly(token=SECRET_TOKEN) as calendly:
        env = {"CALENDLY_TOKEN": SECRET_TOKEN, "CALENDLY_API_URL": calendly.base_url}
        result = run(["webhooks", "create", "--url", HOOK], env)
    assert (result.code, result.err) == (0, "")
    assert result.report["action"] == "exists"
    assert "Calendly answered 409" in result.report["reason"]
    assert len(calendly.subscriptions) == 1
    lists = [t for m, t in calendly.requests if m == "GET" and "/webhook_subscriptions" in t]
    assert len(lists) == 2


def test_create_409_for_a_subscription_in_the_other_scope(calendly, env):
    """A 409 whose subscription is not in this scope: say where to look."""
    calendly.fail(path_contains="/webhook_subscriptions", method="POST", status=409)
    result = run(["webhooks", "create", "--url", HOOK], env)
    assert result.code == 2
    assert result.err == (
        "error: Calendly answered 409: a subscription for this URL already exists, but not "
        "among the organization subscriptions; look for it with: python scripts/calendly_gcal.py "
        "webhooks list --scope user\n"
    )


def test_create_invalid_url_is_exit_2(calendly, env):
    result = run(["webhooks", "create", "--url", "not a url"], env)
    assert result.code == 2
    assert result.err.startswith("error: Calendly API 400 Invalid Argument: ")
    assert "parameters: url" in result.err


# -- webhooks delete --------------------------------------------------------------------------


def tty_run(argv: list[str], env: dict[str, str], typed: bytes) -> tuple[int, str, str]:
    """Run the CLI with a real terminal on stdin, `typed` already waiting there."""
    master, slave = os.openpty()
    try:
        os.write(master, typed)
        out, err = io.StringIO(), io.StringIO()
        with open(slave, encoding="utf-8", closefd=True) as tty:
            code = cli.main(argv, env=env, stdin=tty, stdout=out, stderr=err)
    finally:
        os.close(master)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("form", ["uuid", "uri"])
def test_delete_with_yes(calendly, env, form):
    """--yes deletes without asking, given the UUID or the URI."""
    sub = subscribe(calendly, HOOK)
    target = sub["uri"] if form == "uri" else sub["uri"].rsplit("/", 1)[1]
    result = run(["webhooks", "delete", target, "--yes"], env)
    assert (result.code, result.err) == (0, "")
    assert result.report == {
        "command": "webhooks delete",
        "action": "deleted",
        "reason": "webhook subscription deleted",
        "subscription": sub["uri"],
        "exit_code": 0,
    }
    assert calendly.subscriptions == []


def test_delete_asks_on_a_terminal_and_deletes_on_yes(calendly, env):
    sub = subscribe(calendly, HOOK)
    code, out, err = tty_run(["webhooks", "delete", sub["uri"]], env, b"y\n")
    assert code == 0
    assert err == f"Delete {sub['uri']}? [y/N] "
    assert out.splitlines()[0] == f"deleted: {sub['uri']}"
    assert calendly.subscriptions == []


@pytest.mark.parametrize("typed", [b"n\n", b"\n", b"maybe\n"])
def test_delete_keeps_it_unless_confirmed(calendly, env, typed):
    sub = subscribe(calendly, HOOK)
    code, out, _ = tty_run(["webhooks", "delete", sub["uri"]], env, typed)
    assert code == 0
    assert json.loads(out.splitlines()[-1])["action"] == "kept"
    assert len(calendly.subscriptions) == 1
    assert [m for m, _ in calendly.requests if m == "DELETE"] == []


def test_delete_refuses_without_a_terminal_or_yes(calendly, env):
    """Non-interactive stdin and no --yes: refuse, exit 2, nothing deleted, nothing read."""
    sub = subscribe(calendly, HOOK)
    result = run(["webhooks", "delete", sub["uri"]], env, stdin="y\n")
    assert result.code == 2
    assert result.err == (
        f"error: refusing to delete {sub['uri']} without confirmation: stdin is not "
        "interactive; pass --yes\n"
    )
    assert len(calendly.subscriptions) == 1


def test_delete_unknown_subscription_is_exit_2(calendly, env):
    result = run(["webhooks", "delete", "no-such-uuid", "--yes"], env)
    assert result.code == 2
    assert result.err == (
        f"error: webhook subscription {calendly.base_url}/webhook_subscriptions/no-such-uuid "
        "not found: nothing deleted (see: python scripts/calendly_gcal.py webhooks list)\n"
    )


def test_delete_refuses_a_uri_of_another_host(calendly, env):
    """A URI on another host is refused before any request."""
    result = run(
        ["webhooks", "delete", "https://evil.example/webhook_subscriptions/x", "--yes"], env
    )
    assert result.code == 2
    assert result.err == (
        "error: 'https://evil.example/webhook_subscriptions/x' is neither a UUID nor a webhook "
        f"subscription URI of the configured Calendly API ({calendly.base_url})\n"
    )
    assert calendly.requests == []
