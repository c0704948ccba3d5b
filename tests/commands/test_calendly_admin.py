"""Calendly administration commands end to end: the CLI, requests, FakeCalendly on loopback."""

from __future__ import annotations

import pytest

from conftest import SECRET_TOKEN, FakeTime, Result, run_cli
from fakes.calendly_server import FakeCalendly


def run(argv: list[str], env: dict[str, str], time: FakeTime | None = None) -> Result:
    result = run_cli(argv, env, time=time)
    assert SECRET_TOKEN not in result.out + result.err
    return result


def writes(calendly: FakeCalendly) -> list[str]:
    return [f"{r.method} {r.path}" for r in calendly.request_log if r.method != "GET"]


# -- members -----------------------------------------------------------------------------------


def test_members_list_follows_every_page_with_groups(calendly, env):
    """Five members on pages of two: all listed with role and group names, e-mails in full."""
    group = calendly.add_group("Support EMEA")
    for i in range(4):
        member = calendly.add_member(f"agent{i}@example.com", role="admin" if i == 0 else "user")
        if i < 2:
            calendly.add_to_group(group, member)
    result = run(["members", "list"], env)
    assert result.code == 0, result.err
    lines = result.out.splitlines()[:-1]
    assert lines[0].split() == ["NAME", "EMAIL", "ROLE", "GROUPS"]
    assert len(lines) == 6
    assert any("agent0@example.com" in x and "admin" in x and "Support EMEA" in x for x in lines)
    assert len(calendly.calls("/organization_memberships")) == 3  # 5 members, pages of 2


def test_members_list_role_filter_and_json(calendly, env):
    calendly.add_member("a@example.com", role="admin")
    calendly.add_member("u@example.com")
    result = run(["members", "list", "--role", "admin", "--json"], env)
    assert result.code == 0
    assert '"email": "a@example.com"' in result.out
    assert "u@example.com" not in result.out
    assert calendly.calls("/organization_memberships")[0].query["role"] == "admin"


def test_invite_skips_members_and_pending_and_invites_the_rest(calendly, env):
    """Already a member and already invited are named and skipped; the new one is invited."""
    calendly.add_member("member@example.com")
    calendly.add_invitation("pending@example.com")
    argv = ["members", "invite", "new@example.com", "member@example.com", "pending@example.com"]
    result = run(argv, env)
    assert result.code == 0, result.err
    assert "member@example.com: already a member (user); skipped" in result.out
    assert "pending@example.com: already invited" in result.out
    assert "new@example.com: invited" in result.out
    assert [i["email"] for i in calendly.invitations if i["status"] == "pending"] == [
        "pending@example.com",
        "new@example.com",
    ]


def test_invite_malformed_address_is_exit_2_but_others_are_invited(calendly, env):
    result = run(["members", "invite", "not-an-address", "ok@example.com"], env)
    assert result.code == 2
    assert result.err == "error: 1 of 2 address(es) could not be invited: not-an-address\n"
    assert [i["email"] for i in calendly.invitations] == ["ok@example.com"]


def test_invite_dry_run_writes_nothing(calendly, env):
    result = run(["members", "invite", "new@example.com", "--dry-run"], env)
    assert result.code == 0
    assert "new@example.com: would invite (dry run)" in result.out
    assert writes(calendly) == []


def test_remove_without_yes_says_what_and_writes_nothing(calendly, env):
    calendly.add_member("leaver@example.com", name="Lee Ver")
    result = run(["members", "remove", "leaver@example.com"], env)
    assert result.code == 2
    assert "would remove Lee Ver <leaver@example.com> (user) from the organization" in result.out
    assert result.err == "error: nothing done: pass --yes to remove leaver@example.com\n"
    assert writes(calendly) == []
    uri = calendly.memberships[-1]["uri"].removeprefix(calendly.base_url)
    assert run(["members", "remove", "leaver@example.com", "--yes"], env).code == 0
    assert writes(calendly) == [f"DELETE {uri}"]


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("support-bot@example.com", "it is the user of CALENDLY_TOKEN"),
        ("boss@example.com", "the owner"),
        ("nobody@example.com", "nobody@example.com is not a member of the Calendly organization"),
    ],
)
def test_remove_refuses_self_owner_and_unknown(calendly, env, email, message):
    """The token's own user, the owner, an unknown e-mail: exit 2, nothing written, even with --yes."""
    calendly.set_role("admin")  # the token's user is an admin; the owner is someone else
    calendly.add_member("boss@example.com", role="owner")
    result = run(["members", "remove", email, "--yes"], env)
    assert result.code == 2
    assert message in result.err
    assert writes(calendly) == []


def test_remove_unknown_with_pending_invitation_points_to_revoke(calendly, env):
    calendly.add_invitation("soon@example.com")
    result = run(["members", "remove", "soon@example.com"], env)
    assert result.code == 2
    assert "invitations revoke soon@example.com" in result.err


# -- invitations -------------------------------------------------------------------------------


def test_invitations_list_every_status_over_pages(calendly, env):
    for status in ("pending", "accepted", "declined", "revoked", "pending"):
        calendly.add_invitation(f"{status}{len(calendly.invitations)}@example.com", status=status)
    result = run(["invitations", "list"], env)
    assert result.code == 0
    assert result.report["count"] == 5
    assert len(calendly.calls("/organizations/")) >= 3
    only = run(["invitations", "list", "--status", "pending"], env)
    assert only.report["count"] == 2


def test_invitations_revoke_needs_yes(calendly, env):
    calendly.add_invitation("p@example.com")
    result = run(["invitations", "revoke", "p@example.com"], env)
    assert result.code == 2
    assert "would revoke the invitation of p@example.com" in result.out
    assert calendly.invitations[0]["status"] == "pending"
    assert run(["invitations", "revoke", "p@example.com", "--yes"], env).code == 0
    assert calendly.invitations[0]["status"] == "revoked"


def test_invitations_revoke_unknown_is_exit_2(calendly, env):
    calendly.add_invitation("done@example.com", status="accepted")
    result = run(["invitations", "revoke", "done@example.com", "--yes"], env)
    assert result.code == 2
    assert "no pending invitation for done@example.com (its invitations are accepted)" in result.err


# -- groups and event types --------------------------------------------------------------------


def test_groups_members_marks_admins_and_invitees(calendly, env):
    group = calendly.add_group("Support EMEA")
    calendly.add_group("Sales")
    calendly.add_to_group(group, calendly.add_member("m@example.com"))
    calendly.add_to_group(group, calendly.add_member("a@example.com"), role="admin")
    calendly.add_to_group(group, calendly.add_invitation("i@example.com"))
    assert run(["groups", "list"], env).report["count"] == 2
    result = run(["groups", "members", "support emea"], env)
    assert result.code == 0
    rows = {line.split()[0]: line for line in result.out.splitlines()[1:-1]}
    assert rows["a@example.com"].endswith("admin")
    assert rows["i@example.com"].endswith("member (invited)")
    assert rows["m@example.com"].endswith("member")
    assert run(["groups", "members", "Nope"], env).code == 2


def test_event_types_list_show_create(calendly, env):
    host = calendly.add_member("host@example.com")
    calendly.add_event_type("US Federal Support", hosts=[host["user"]["uri"]], duration=45)
    calendly.add_event_type(
        "Round Robin Intake", kind="solo", pooling_type="round_robin", team="Support"
    )
    calendly.add_event_type("Old", active=False)
    listing = run(["event-types", "list", "--active"], env)
    assert listing.report["count"] == 2
    assert "round robin" in listing.out
    mine = run(["event-types", "list", "--user", "host@example.com", "--json"], env)
    assert mine.report["count"] == 1
    shown = run(["event-types", "show", "us-federal-support"], env)
    assert "hosts:          host@example.com" in shown.out
    assert "duration:       45 min" in shown.out
    created = run(
        [
            "event-types",
            "create",
            "--name",
            "Intro",
            "--duration",
            "20",
            "--host",
            "host@example.com",
        ],
        env,
    )
    assert created.code == 0, created.err
    assert created.report["event_type"]["kind"] == "one-on-one"
    again = run(
        [
            "event-types",
            "create",
            "--name",
            "Intro",
            "--duration",
            "20",
            "--host",
            "host@example.com",
        ],
        env,
    )
    assert again.report["action"] == "exists"
    assert len([e for e in calendly.event_types if e["name"] == "Intro"]) == 1


def test_help_says_what_the_api_cannot_do(env, capsys):
    assert run(["event-types", "--help"], env).code == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "round robin, collective and group event types" in shown
    assert "Admin center > Teams" in shown


# -- scopes and rate limits --------------------------------------------------------------------


def test_missing_scope_is_named_with_what_the_command_needs(calendly, env):
    """403: Calendly's named scope, and the token scopes this command needs; exit 2."""
    calendly.grant(SECRET_TOKEN, {"users:read", "organizations:read"})
    result = run(["members", "remove", "x@example.com", "--yes"], env)
    assert result.code == 2
    assert "the token lacks scope groups:read" not in result.err
    calendly.add_member("x@example.com")
    result = run(["members", "remove", "x@example.com", "--yes"], env)
    assert result.code == 2
    assert "the token lacks scope organizations:write" in result.err
    assert result.err.rstrip().endswith(
        "`members remove` needs token scopes: users:read, organizations:write"
    )
    listing = run(["groups", "list"], env)
    assert "groups:read" in listing.err
    assert listing.code == 2


def test_429_with_only_rate_limit_reset_is_waited_out(calendly, env):
    """A window already spent: the 429 (no Retry-After) is waited out by X-RateLimit-Reset."""
    time = FakeTime()
    calendly.rate_limit(3, per=30, clock=time.monotonic)
    for _ in range(3):  # another job spent this window
        run(["whoami"], env, time=FakeTime())
    result = run(["members", "list", "--role", "owner"], env, time=time)
    assert result.code == 0, result.err
    assert calendly.rejected == 1
    assert time.slept[0] == 30  # the window's reset, not a guess


def test_members_list_is_paced_by_remaining(calendly, env):
    """A budget of 3 per window over 7 pages: paced by X-RateLimit-Remaining, never a 429."""
    time = FakeTime()
    calendly.rate_limit(3, per=30, clock=time.monotonic)
    for i in range(12):
        calendly.add_member(f"m{i}@example.com")
    result = run(["members", "list"], env, time=time)
    assert result.code == 0, result.err
    assert result.report["reason"] == "13 member(s)"
    assert calendly.rejected == 0
    assert time.slept
    assert all(0 < s <= 30 for s in time.slept)


# -- group-scope webhooks ----------------------------------------------------------------------


def test_webhooks_create_and_list_in_group_scope(calendly, env):
    """--scope group --group URI: the subscription is the group's; --group is required."""
    group = calendly.add_group("Support EMEA")
    hook = "https://gitlab.example.com/api/v4/projects/7/ref/main/trigger/pipeline"
    argv = ["webhooks", "create", "--url", hook, "--scope", "group", "--group", group["uri"]]
    created = run(argv, env)
    assert created.code == 0, created.err
    assert (calendly.subscriptions[0]["scope"], calendly.subscriptions[0]["group"]) == (
        "group",
        group["uri"],
    )
    listed = run(["webhooks", "list", "--scope", "group", "--group", group["uri"]], env)
    assert listed.report["count"] == 1
    assert calendly.calls("/webhook_subscriptions", "GET")[-1].query["group"] == group["uri"]
    missing = run(["webhooks", "list", "--scope", "group"], env)
    assert (missing.code, missing.err) == (
        2,
        "error: --scope group needs --group URI (see: groups list)\n",
    )
