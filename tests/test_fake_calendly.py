"""The fake Calendly API itself, spoken to with plain `requests`: shapes, scopes, rate limits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from fakes.calendly_server import FakeCalendly

TOKEN = "fake-calendly-test-token"
USER_KEYS = {
    "uri",
    "name",
    "slug",
    "email",
    "scheduling_url",
    "timezone",
    "created_at",
    "updated_at",
}
PAGINATION_KEYS = {"count", "next_page", "previous_page", "next_page_token", "previous_page_token"}


@pytest.fixture
def fake() -> Iterator[FakeCalendly]:
    with FakeCalendly(token=TOKEN, page_size=2) as server:
        yield server


def call(
    fake: FakeCalendly, method: str, path: str, *, token: str = TOKEN, **kwargs: Any
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, fake.base_url + path, headers=headers, timeout=5, **kwargs)


def get_all(fake: FakeCalendly, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """Follow next_page_token to the end."""
    items: list[dict[str, Any]] = []
    while True:
        body = call(fake, "GET", path, params=params).json()
        assert set(body["pagination"]) == PAGINATION_KEYS
        items += body["collection"]
        token = body["pagination"]["next_page_token"]
        if token is None:
            return items
        params = params | {"page_token": token}


def uuid_of(uri: str) -> str:
    return uri.rsplit("/", 1)[1]


# -- organization memberships ------------------------------------------------------------------
def test_memberships_list_paginates_and_filters(fake: FakeCalendly) -> None:
    fake.add_member("ada@example.com", name="Ada Lovelace", role="admin")
    fake.add_member("alan@example.com")
    fake.add_member("grace@example.com")
    org = {"organization": fake.organization_uri}
    members = get_all(fake, "/organization_memberships", org)
    assert len(members) == 4  # the token user (owner) and three seeded ones
    ada = next(m for m in members if m["user"]["email"] == "ada@example.com")
    assert set(ada) == {"uri", "role", "user", "organization", "updated_at", "created_at"}
    assert set(ada["user"]) >= USER_KEYS
    assert (ada["role"], ada["organization"]) == ("admin", fake.organization_uri)
    by_email = call(
        fake, "GET", "/organization_memberships", params=org | {"email": "alan@example.com"}
    )
    assert [m["user"]["email"] for m in by_email.json()["collection"]] == ["alan@example.com"]
    owners = call(fake, "GET", "/organization_memberships", params=org | {"role": "owner"}).json()
    assert [m["user"]["uri"] for m in owners["collection"]] == [fake.user["uri"]]
    mine = call(fake, "GET", "/organization_memberships", params={"user": fake.user["uri"]}).json()
    assert [m["uri"] for m in mine["collection"]] == [fake.membership["uri"]]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({}, "organization"), ({"count": "101"}, "count"), ({"role": "boss"}, "role")],
)
def test_memberships_list_rejects_bad_parameters(fake, params, parameter) -> None:
    if parameter != "organization":
        params = params | {"organization": fake.organization_uri}
    answer = call(fake, "GET", "/organization_memberships", params=params)
    assert answer.status_code == 400
    body = answer.json()
    assert body["title"] == "Invalid Argument"
    assert body["details"][0]["parameter"] == parameter


def test_membership_get_and_remove(fake: FakeCalendly) -> None:
    member = fake.add_member("alan@example.com")
    path = f"/organization_memberships/{uuid_of(member['uri'])}"
    assert call(fake, "GET", path).json()["resource"] == member
    answer = call(fake, "DELETE", path)
    assert (answer.status_code, answer.content) == (204, b"")
    assert call(fake, "GET", path).status_code == 404


def test_the_owner_cannot_be_removed(fake: FakeCalendly) -> None:
    answer = call(fake, "DELETE", f"/organization_memberships/{uuid_of(fake.membership['uri'])}")
    assert answer.status_code == 403
    assert answer.json()["title"] == "Permission Denied"
    assert "owner" in answer.json()["message"]


def test_a_plain_user_may_not_administer(fake: FakeCalendly) -> None:
    member = fake.add_member("alan@example.com")
    fake.set_role("user")
    answer = call(fake, "DELETE", f"/organization_memberships/{uuid_of(member['uri'])}")
    assert answer.status_code == 403
    org_uuid = uuid_of(fake.organization_uri)
    invite = call(
        fake, "POST", f"/organizations/{org_uuid}/invitations", json={"email": "x@ex.org"}
    )
    assert invite.status_code == 403


# -- invitations ---------------------------------------------------------------------------------
def test_invite_list_and_revoke(fake: FakeCalendly) -> None:
    base = f"/organizations/{uuid_of(fake.organization_uri)}/invitations"
    answer = call(fake, "POST", base, json={"email": "new@example.com"})
    assert answer.status_code == 201
    inv = answer.json()["resource"]
    assert {
        "uri",
        "organization",
        "email",
        "status",
        "created_at",
        "updated_at",
        "last_sent_at",
    } <= set(inv)
    assert (inv["status"], inv["email"]) == ("pending", "new@example.com")
    assert inv["uri"].startswith(fake.base_url + base + "/")
    fake.add_invitation("gone@example.com", status="declined")
    pending = call(fake, "GET", base, params={"status": "pending"}).json()["collection"]
    assert [i["email"] for i in pending] == ["new@example.com"]
    assert len(get_all(fake, base, {})) == 2
    assert call(fake, "DELETE", f"{base}/{uuid_of(inv['uri'])}").status_code == 204
    revoked = call(fake, "GET", f"{base}/{uuid_of(inv['uri'])}").json()["resource"]
    assert revoked["status"] == "revoked"
    assert call(fake, "DELETE", f"{base}/{uuid_of(inv['uri'])}").status_code == 400


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("not-an-email", "is not a valid email address"),
        ("support-bot@example.com", "is already a member of this organization"),
        ("invited@example.com", "has already been invited to this organization"),
        (None, "is not a valid email address"),
    ],
)
def test_invite_errors(fake: FakeCalendly, email: str | None, message: str) -> None:
    fake.add_invitation("invited@example.com")
    base = f"/organizations/{uuid_of(fake.organization_uri)}/invitations"
    answer = call(fake, "POST", base, json={"email": email})
    assert answer.status_code == 400
    assert answer.json() == {
        "title": "Invalid Argument",
        "message": "The supplied parameters are invalid.",
        "details": [{"parameter": "email", "message": message}],
    }


def test_accepted_invitation_becomes_a_member(fake: FakeCalendly) -> None:
    inv = fake.add_invitation("joiner@example.com")
    membership = fake.accept_invitation(inv)
    base = f"/organizations/{uuid_of(fake.organization_uri)}/invitations/{uuid_of(inv['uri'])}"
    accepted = call(fake, "GET", base).json()["resource"]
    assert (accepted["status"], accepted["user"]) == ("accepted", membership["user"]["uri"])
    assert call(fake, "GET", f"/users/{uuid_of(accepted['user'])}").json()["resource"]["email"] == (
        "joiner@example.com"
    )


# -- groups ------------------------------------------------------------------------------------
def test_groups_and_relationships(fake: FakeCalendly) -> None:
    support = fake.add_group("US Government Support")
    fake.add_group("Global Support")
    ada = fake.add_member("ada@example.com")
    invited = fake.add_invitation("later@example.com")
    fake.add_to_group(support, ada)
    fake.add_to_group(support, invited)
    fake.add_to_group(support, fake.membership, role="admin")
    groups = get_all(fake, "/groups", {"organization": fake.organization_uri})
    assert [(g["name"], g["member_count"]) for g in groups] == [
        ("US Government Support", 2),
        ("Global Support", 0),
    ]
    assert set(groups[0]) == {
        "uri",
        "name",
        "organization",
        "member_count",
        "created_at",
        "updated_at",
    }
    assert call(fake, "GET", "/groups").status_code == 400
    one = call(fake, "GET", f"/groups/{uuid_of(support['uri'])}").json()["resource"]
    assert one["member_count"] == 2
    rels = get_all(fake, "/group_relationships", {"group": support["uri"]})
    assert [(r["role"], r["owner"]["uri"]) for r in rels] == [
        ("member", ada["uri"]),
        ("member", invited["uri"]),
        ("admin", fake.membership["uri"]),
    ]
    assert rels[0]["owner"]["user"]["email"] == "ada@example.com"
    assert rels[1]["owner"]["status"] == "pending"
    assert {r["group"] for r in rels} == {support["uri"]}
    by_owner = get_all(fake, "/group_relationships", {"owner": ada["uri"]})
    assert [r["uri"] for r in by_owner] == [rels[0]["uri"]]
    got = call(fake, "GET", f"/group_relationships/{uuid_of(rels[0]['uri'])}").json()["resource"]
    assert got == rels[0]


# -- event types -------------------------------------------------------------------------------
def test_event_types_list_get_and_hosts(fake: FakeCalendly) -> None:
    ada = fake.add_member("ada@example.com")["user"]["uri"]
    rr = fake.add_event_type(
        "US Federal Support",
        hosts=[fake.user["uri"], ada],
        pooling_type="round_robin",
        team="US Gov",
    )
    fake.add_event_type("Old Call", active=False)
    everything = get_all(fake, "/event_types", {"organization": fake.organization_uri})
    assert [e["name"] for e in everything] == ["Old Call", "US Federal Support"]
    active = get_all(
        fake, "/event_types", {"organization": fake.organization_uri, "active": "true"}
    )
    assert [e["uri"] for e in active] == [rr["uri"]]
    assert [e["uri"] for e in get_all(fake, "/event_types", {"user": ada})] == [rr["uri"]]
    got = call(fake, "GET", f"/event_types/{uuid_of(rr['uri'])}").json()["resource"]
    assert (got["kind"], got["pooling_type"], got["type"]) == (
        "solo",
        "round_robin",
        "StandardEventType",
    )
    assert got["profile"]["type"] == "Team"
    assert call(fake, "GET", "/event_types").status_code == 400
    hosts = get_all(fake, "/event_type_memberships", {"event_type": rr["uri"]})
    assert [h["member"]["uri"] for h in hosts] == [fake.user["uri"], ada]
    assert {h["event_type"] for h in hosts} == {rr["uri"]}


def test_event_type_create_is_one_on_one(fake: FakeCalendly) -> None:
    body = {"owner": fake.user["uri"], "name": "Support Call", "duration": 45, "description": "Hi"}
    answer = call(fake, "POST", "/event_types", json=body)
    assert answer.status_code == 201
    created = answer.json()["resource"]
    assert (created["kind"], created["pooling_type"], created["active"]) == ("solo", None, False)
    assert (created["duration"], created["description_plain"]) == (45, "Hi")
    assert created["profile"] == {"type": "User", "name": "Support Bot", "owner": fake.user["uri"]}
    bad = call(fake, "POST", "/event_types", json={"name": "No Owner"})
    assert (bad.status_code, bad.json()["details"][0]["parameter"]) == (400, "owner")
    patched = call(fake, "PATCH", f"/event_types/{uuid_of(created['uri'])}", json={"active": True})
    assert patched.json()["resource"]["active"] is True


# -- users -------------------------------------------------------------------------------------
def test_users_me_and_by_uuid(fake: FakeCalendly) -> None:
    assert call(fake, "GET", "/users/me").json()["resource"] == fake.user
    ada = fake.add_member("ada@example.com")["user"]
    got = call(fake, "GET", f"/users/{uuid_of(ada['uri'])}").json()["resource"]
    assert (got["email"], got["current_organization"]) == ("ada@example.com", fake.organization_uri)
    assert call(fake, "GET", "/users/NOPE").status_code == 404


# -- scopes ------------------------------------------------------------------------------------
def test_granted_scopes_are_enforced(fake: FakeCalendly) -> None:
    fake.grant("narrow", {"users:read", "scheduled_events:read"})
    assert call(fake, "GET", "/users/me", token="narrow").status_code == 200
    answer = call(
        fake,
        "GET",
        "/organization_memberships",
        token="narrow",
        params={"organization": fake.organization_uri},
    )
    assert answer.status_code == 403
    body = answer.json()
    assert body["title"] == "Permission Denied"
    assert "organizations:read" in body["message"]
    assert "organizations:read" in body["details"][0]["message"]
    assert call(fake, "GET", "/users/me", token="unknown").status_code == 401
    assert call(fake, "GET", "/users/me").status_code == 200  # the main token keeps every scope


@pytest.mark.parametrize(
    ("scopes", "method", "path", "needed"),
    [
        ({"organizations:write"}, "GET", "/organization_memberships", None),  # write implies read
        ({"organizations:read"}, "DELETE", "/organization_memberships/X", "organizations:write"),
        ({"users:read"}, "GET", "/groups", "groups:read"),
        ({"event_types:read"}, "POST", "/event_types", "event_types:write"),
        ({"users:read"}, "GET", "/event_type_memberships", "event_types:read"),
        ({"webhooks:read"}, "GET", "/scheduled_events", "scheduled_events:read"),
    ],
)
def test_each_endpoint_needs_its_scope(fake, scopes, method, path, needed) -> None:
    fake.grant("t", scopes)
    answer = call(
        fake, method, path, token="t", params={"organization": fake.organization_uri}, json={}
    )
    if needed is None:
        assert answer.status_code == 200
    else:
        assert answer.status_code == 403
        assert needed in answer.json()["message"]


def test_webhook_create_needs_the_event_family_read_scope(fake: FakeCalendly) -> None:
    fake.grant("hooks", {"webhooks:write"})
    body = {
        "url": "https://example.com/hook",
        "events": ["invitee.created"],
        "organization": fake.organization_uri,
        "scope": "organization",
    }
    answer = call(fake, "POST", "/webhook_subscriptions", token="hooks", json=body)
    assert answer.status_code == 403
    assert "scheduled_events:read" in answer.json()["message"]
    fake.grant("hooks", {"webhooks:write", "scheduled_events:read"})
    assert call(fake, "POST", "/webhook_subscriptions", token="hooks", json=body).status_code == 201


# -- rate limits -------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_answers_429_until_the_window_resets(fake: FakeCalendly) -> None:
    clock = Clock()
    fake.rate_limit(2, per=60, clock=clock)
    first = call(fake, "GET", "/users/me")
    assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == (
        "2",
        "1",
    )
    assert first.headers["X-RateLimit-Reset"] == "60"
    clock.now += 15.5
    second = call(fake, "GET", "/users/me")
    assert (second.status_code, second.headers["X-RateLimit-Remaining"]) == (200, "0")
    third = call(fake, "GET", "/users/me")
    assert third.status_code == 429
    assert third.json()["title"] == "Too Many Requests"
    assert third.headers["X-RateLimit-Remaining"] == "0"
    assert third.headers["X-RateLimit-Reset"] == "45"  # whole seconds, rounded up
    assert "Retry-After" not in third.headers
    fake.grant("other")
    assert call(fake, "GET", "/users/me", token="other").status_code == 200  # per token
    clock.now += 45
    assert call(fake, "GET", "/users/me").status_code == 200
    assert fake.rejected == 1


def test_rate_limit_with_a_real_short_window(fake: FakeCalendly) -> None:
    fake.rate_limit(1, per=0.3)
    assert call(fake, "GET", "/users/me").status_code == 200
    limited = call(fake, "GET", "/users/me")
    assert (limited.status_code, limited.headers["X-RateLimit-Reset"]) == (429, "1")
    time.sleep(0.35)
    assert call(fake, "GET", "/users/me").status_code == 200
    assert fake.rejected == 1


def test_errors_carry_the_rate_limit_headers_too(fake: FakeCalendly) -> None:
    fake.rate_limit(10, per=60)
    missing = call(fake, "GET", "/organization_memberships/NOPE")
    assert missing.status_code == 404
    assert missing.headers["X-RateLimit-Remaining"] == "9"


def test_no_rate_limit_headers_unless_enabled(fake: FakeCalendly) -> None:
    assert "X-RateLimit-Limit" not in call(fake, "GET", "/users/me").headers


# -- webhook subscriptions -------------------------------------------------------------------
def test_group_scoped_webhooks(fake: FakeCalendly) -> None:
    group = fake.add_group("Support")["uri"]
    body = {
        "url": "https://example.com/hook",
        "events": ["invitee.created"],
        "organization": fake.organization_uri,
        "scope": "group",
    }
    missing = call(fake, "POST", "/webhook_subscriptions", json=body)
    assert (missing.status_code, missing.json()["details"][0]["parameter"]) == (400, "group")
    created = call(fake, "POST", "/webhook_subscriptions", json=body | {"group": group}).json()[
        "resource"
    ]
    assert (created["scope"], created["group"], created["user"]) == ("group", group, None)
    assert (created["state"], created["retry_started_at"]) == ("active", None)
    params = {"organization": fake.organization_uri, "scope": "group"}
    assert call(fake, "GET", "/webhook_subscriptions", params=params).status_code == 400
    listed = get_all(fake, "/webhook_subscriptions", params | {"group": group})
    assert [s["uri"] for s in listed] == [created["uri"]]
    fake.disable_subscription(created["uri"])
    fake.set_retrying(created["uri"], "2030-01-01T00:00:00.000000Z")
    again = call(fake, "GET", f"/webhook_subscriptions/{uuid_of(created['uri'])}").json()[
        "resource"
    ]
    assert (again["state"], again["retry_started_at"]) == (
        "disabled",
        "2030-01-01T00:00:00.000000Z",
    )


# -- request log -------------------------------------------------------------------------------
def test_request_log_records_method_path_and_query(fake: FakeCalendly) -> None:
    call(fake, "GET", "/users/me")
    call(fake, "GET", "/organization_memberships", params={"organization": fake.organization_uri})
    assert fake.calls("/organization_memberships") == [
        ("GET", "/organization_memberships", {"organization": fake.organization_uri})
    ]
    assert [r.path for r in fake.calls(method="GET")] == ["/users/me", "/organization_memberships"]
    assert fake.calls("/groups") == []
    fake.reset_requests()
    assert fake.request_log == []
    assert fake.requests == []
