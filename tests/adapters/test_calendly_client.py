"""CalendlyClient against the loopback FakeCalendly: real HTTP, no mocks."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calsync.adapters.calendly import AlreadyExists, CalendlyClient, NotFound
from calsync.core.errors import (
    ConfigError,
    ExitCode,
    InputError,
    PermissionDenied,
    TransientError,
    VerificationError,
)
from conftest import FakeTime
from fakes.calendly_server import FakeCalendly

TOKEN = "s3cret-test-token"
HOOK_URL = "https://gitlab.example.com/api/v4/projects/1/ref/main/trigger/pipeline?token=t"


@pytest.fixture
def fake() -> Iterator[FakeCalendly]:
    with FakeCalendly(token=TOKEN, page_size=2) as server:
        yield server


def make_client(base_url: str, **kwargs: Any) -> CalendlyClient:
    options: dict[str, Any] = {"token": TOKEN, "retries": 2, "backoff_factor": 0, "timeout": 5}
    return CalendlyClient(base_url=base_url, **(options | kwargs))


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(fake: FakeCalendly, fake_time: FakeTime) -> Iterator[CalendlyClient]:
    """A client whose waits are recorded on injected time, never slept."""
    with make_client(fake.base_url, sleep=fake_time.sleep, clock=fake_time.monotonic) as api:
        yield api


def add_event(fake: FakeCalendly, start: str, **fields: Any) -> dict[str, Any]:
    event = fake.make_event(start_time=start, **fields)
    fake.add_scheduled_event(event)
    return event


def add_invitee(fake: FakeCalendly, event: dict[str, Any], **fields: Any) -> dict[str, Any]:
    invitee = fake.make_invitee(event, **fields)
    fake.add_invitee(invitee)
    return invitee


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- verbs --------------------------------------------------------------------------------------
def test_me_returns_the_user_resource(fake: FakeCalendly, client: CalendlyClient) -> None:
    """GET /users/me yields the resource with the organization URI."""
    me = client.me()
    assert me["uri"] == fake.user["uri"]
    assert me["current_organization"] == fake.organization_uri
    assert fake.requests == [("GET", "/users/me")]
    assert client.request_count == 1


def test_create_webhook_sends_the_documented_body(
    fake: FakeCalendly, client: CalendlyClient
) -> None:
    """POST /webhook_subscriptions returns the subscription; the signing key reaches Calendly."""
    sub = client.create_webhook(
        url=HOOK_URL,
        events=["invitee.created", "invitee.canceled"],
        organization=fake.organization_uri,
        scope="organization",
        signing_key="k3y",
    )
    assert sub["callback_url"] == HOOK_URL
    assert sub["state"] == "active"
    assert sub["scope"] == "organization"
    assert sub["user"] is None
    assert sub["uri"].startswith(fake.base_url + "/webhook_subscriptions/")
    assert fake.signing_keys == {sub["uri"]: "k3y"}


def test_create_webhook_twice_raises_already_exists(
    fake: FakeCalendly, client: CalendlyClient
) -> None:
    """A second subscription for the same URL is Calendly's 409, as AlreadyExists."""
    args: dict[str, Any] = {
        "url": HOOK_URL,
        "events": ["invitee.created"],
        "organization": fake.organization_uri,
        "scope": "organization",
    }
    client.create_webhook(**args)
    with pytest.raises(AlreadyExists) as err:
        client.create_webhook(**args)
    assert str(err.value) == (
        "Calendly API 409 Already Exists: Hook with this url already exists "
        "(POST /webhook_subscriptions)"
    )
    assert err.value.exit_code == ExitCode.BAD_INPUT


def test_create_webhook_invalid_argument_names_the_parameter(
    fake: FakeCalendly, client: CalendlyClient
) -> None:
    """A 400 becomes InputError with Calendly's title/message and the parameter names only."""
    with pytest.raises(InputError) as err:
        client.create_webhook(
            url=HOOK_URL,
            events=["invitee.created"],
            organization=fake.organization_uri,
            scope="user",
        )
    assert str(err.value) == (
        "Calendly API 400 Invalid Argument: The supplied parameters are invalid. "
        "(POST /webhook_subscriptions); parameters: user"
    )


def test_list_webhooks_follows_next_page_token(fake: FakeCalendly, client: CalendlyClient) -> None:
    """All pages are read by page_token (never by the next_page URL), in order."""
    urls = [f"https://hooks.example.com/{i}" for i in range(5)]
    for url in urls:
        client.create_webhook(
            url=url,
            events=["invitee.created"],
            organization=fake.organization_uri,
            scope="organization",
        )
    fake.requests.clear()
    subs = client.list_webhooks(organization=fake.organization_uri, scope="organization")
    assert [s["callback_url"] for s in subs] == urls
    gets = [target for method, target in fake.requests if method == "GET"]
    assert len(gets) == 3
    assert "page_token=" not in gets[0]
    assert all("page_token=" in target and "scope=organization" in target for target in gets[1:])


def test_list_webhooks_user_scope_filters_by_user(
    fake: FakeCalendly, client: CalendlyClient
) -> None:
    """scope=user lists only that user's subscriptions."""
    client.create_webhook(
        url=HOOK_URL,
        events=["invitee.created"],
        organization=fake.organization_uri,
        scope="user",
        user=fake.user["uri"],
    )
    client.create_webhook(
        url=HOOK_URL,
        events=["invitee.created"],
        organization=fake.organization_uri,
        scope="organization",
    )
    subs = client.list_webhooks(
        organization=fake.organization_uri, scope="user", user=fake.user["uri"]
    )
    assert [(s["scope"], s["user"]) for s in subs] == [("user", fake.user["uri"])]


@pytest.mark.parametrize("by", ["uri", "uuid"])
def test_delete_webhook_by_uri_or_uuid(fake: FakeCalendly, client: CalendlyClient, by: str) -> None:
    """DELETE /webhook_subscriptions/{uuid} removes it; a second delete is NotFound."""
    sub = client.create_webhook(
        url=HOOK_URL,
        events=["invitee.created"],
        organization=fake.organization_uri,
        scope="organization",
    )
    ref = sub["uri"] if by == "uri" else sub["uri"].rsplit("/", 1)[1]
    client.delete_webhook(ref)
    assert fake.subscriptions == []
    with pytest.raises(NotFound) as err:
        client.delete_webhook(ref)
    assert isinstance(err.value, InputError)
    assert str(err.value).startswith(
        "Calendly API 404 Resource Not Found: The server could not find"
    )


def test_get_scheduled_event_and_invitee(fake: FakeCalendly, client: CalendlyClient) -> None:
    """Single resources come back as-is, by URI or by UUID."""
    event = add_event(fake, "2030-05-01T10:00:00.000000Z")
    invitee = add_invitee(fake, event)
    assert client.get_scheduled_event(event["uri"]) == event
    assert client.get_scheduled_event(event["uri"].rsplit("/", 1)[1]) == event
    assert client.get_invitee(invitee["uri"]) == invitee


def test_get_invitee_unknown_is_not_found(fake: FakeCalendly, client: CalendlyClient) -> None:
    """A 404 on the verification fetch is NotFound, and callers decide what it means."""
    event = add_event(fake, "2030-05-01T10:00:00.000000Z")
    with pytest.raises(NotFound) as err:
        client.get_invitee(event["uri"] + "/invitees/NOPE")
    assert str(err.value) == (
        "Calendly API 404 Resource Not Found: The server could not find the requested resource. "
        f"(GET /scheduled_events/{event['uri'].rsplit('/', 1)[1]}/invitees/NOPE)"
    )


def test_list_invitees_paginates_and_filters(fake: FakeCalendly, client: CalendlyClient) -> None:
    """A group event's invitees come back over several pages; status filters them."""
    event = add_event(fake, "2030-05-01T10:00:00.000000Z")
    made = [
        add_invitee(
            fake,
            event,
            email=f"p{i}@example.com",
            created_at=f"2024-01-0{i + 1}T00:00:00Z",
            status="canceled" if i == 3 else "active",
        )
        for i in range(5)
    ]
    assert [i["uri"] for i in client.list_invitees(event["uri"])] == [i["uri"] for i in made]
    assert [i["email"] for i in client.list_invitees(event["uri"], status="canceled")] == [
        "p3@example.com"
    ]


def test_list_scheduled_events_pages_lazily_in_start_order(
    fake: FakeCalendly, client: CalendlyClient
) -> None:
    """Events stream sorted by start_time within the window; a page is fetched only when needed."""
    starts = [
        "2030-01-05T09:00:00Z",
        "2030-01-01T09:00:00Z",
        "2030-01-03T09:00:00Z",
        "2030-01-02T09:00:00Z",
        "2029-12-31T09:00:00Z",
        "2030-02-01T09:00:00Z",
    ]
    for start in starts:
        add_event(fake, start)
    add_event(fake, "2030-01-04T09:00:00Z", status="canceled")
    events = client.list_scheduled_events(
        organization=fake.organization_uri,
        min_start_time="2030-01-01T00:00:00Z",
        max_start_time="2030-01-31T00:00:00Z",
        status="active",
    )
    assert fake.requests == []
    assert next(events)["start_time"] == "2030-01-01T09:00:00Z"
    assert len(fake.requests) == 1
    assert [e["start_time"][:10] for e in events] == ["2030-01-02", "2030-01-03", "2030-01-05"]
    assert len(fake.requests) == 2


# -- errors ---------------------------------------------------------------------------------------
def test_wrong_token_is_permission_denied_without_the_token(fake: FakeCalendly) -> None:
    """401 names Calendly's reason and the variable to fix, never the token itself."""
    with (
        make_client(fake.base_url, token="wrong-token") as api,
        pytest.raises(PermissionDenied) as err,
    ):
        api.me()
    assert str(err.value) == (
        "Calendly API 401 Unauthenticated: The access token is invalid (GET /users/me); "
        "check CALENDLY_TOKEN"
    )
    assert "wrong-token" not in str(err.value)


def test_missing_scope_named_by_calendly(fake: FakeCalendly, client: CalendlyClient) -> None:
    """403 naming a scope is passed on: the operator learns which scope to add."""
    fake.scopes = {"users:read", "scheduled_events:read"}
    with pytest.raises(PermissionDenied) as err:
        client.create_webhook(
            url=HOOK_URL,
            events=["invitee.created"],
            organization=fake.organization_uri,
            scope="organization",
        )
    assert str(err.value).startswith("Calendly API 403 Permission Denied: ")
    assert str(err.value).endswith(
        "(POST /webhook_subscriptions); the token lacks scope webhooks:write"
    )


def test_missing_scope_not_named_gets_a_hint(fake: FakeCalendly, client: CalendlyClient) -> None:
    """403 without a scope in the body still says which scope the endpoint needs."""
    fake.scopes, fake.scope_error_names_scope = {"users:read"}, False
    with pytest.raises(PermissionDenied) as err:
        client.list_webhooks(organization=fake.organization_uri, scope="organization")
    assert "403 Permission Denied: You do not have permission" in str(err.value)
    assert "needs token scope webhooks:read" in str(err.value)


def test_429_with_retry_after_is_retried(
    fake: FakeCalendly, client: CalendlyClient, fake_time: FakeTime
) -> None:
    """A 429 waits Retry-After seconds (on injected time, not slept), then the retry succeeds."""
    fake.fail(path_contains="/users/me", status=429, retry_after=1)
    assert client.me()["uri"] == fake.user["uri"]
    assert fake_time.slept == [1.0]
    assert client.request_count == 2
    assert len(fake.requests) == 2


def test_post_is_retried_after_a_5xx(fake: FakeCalendly, client: CalendlyClient) -> None:
    """POST is retried on 5xx (a duplicate would surface as AlreadyExists, never as a double)."""
    fake.fail(path_contains="/webhook_subscriptions", method="POST", status=503)
    client.create_webhook(
        url=HOOK_URL,
        events=["invitee.created"],
        organization=fake.organization_uri,
        scope="organization",
    )
    assert len(fake.subscriptions) == 1
    assert client.request_count == 2


def test_persistent_500_is_transient(fake: FakeCalendly, client: CalendlyClient) -> None:
    """After retries run out, a 5xx is TransientError (exit 1) naming the tries."""
    fake.fail(status=500, times=10)
    with pytest.raises(TransientError) as err:
        client.me()
    assert str(err.value) == (
        "Calendly API unreachable after 3 tries: HTTP 500 Internal Server Error (GET /users/me)"
    )
    assert err.value.exit_code == ExitCode.TRANSIENT
    assert len(fake.requests) == 3
    assert client.request_count == 3


def test_connection_refused_is_transient() -> None:
    """Nothing listening is TransientError naming the exception class."""
    with (
        make_client(f"http://127.0.0.1:{closed_port()}") as api,
        pytest.raises(TransientError) as err,
    ):
        api.me()
    assert str(err.value) == (
        "Calendly API unreachable after 3 tries: ConnectionError/NewConnectionError (GET /users/me)"
    )
    assert api.request_count == 3


def test_read_timeout_is_transient(fake: FakeCalendly) -> None:
    """A stalled answer is retried, then TransientError names the timeout."""
    fake.fail(status=0, delay=1.0, times=2)
    with (
        make_client(fake.base_url, timeout=0.2, retries=1) as api,
        pytest.raises(TransientError) as err,
    ):
        api.me()
    assert str(err.value) == (
        "Calendly API unreachable after 2 tries: ConnectionError/ReadTimeoutError (GET /users/me)"
    )
    assert len(fake.requests) == 2


def test_non_json_success_body_is_transient(fake: FakeCalendly, client: CalendlyClient) -> None:
    """A 200 that is not JSON (a proxy page) is not trusted."""
    fake.fail(status=200, body="<html>captive portal</html>")
    with pytest.raises(TransientError) as err:
        client.me()
    assert str(err.value) == "Calendly API answered GET /users/me with a non-JSON body (HTTP 200)"


def test_non_json_error_body_uses_the_status_reason(
    fake: FakeCalendly, client: CalendlyClient
) -> None:
    """A 4xx with an HTML body still gives one clean line, without the body."""
    fake.fail(status=400, body="<html>Bad <b>gateway</b> ada@example.com</html>")
    with pytest.raises(InputError) as err:
        client.me()
    assert str(err.value) == "Calendly API 400 Bad Request (GET /users/me)"


def test_redirect_is_not_followed(fake: FakeCalendly, client: CalendlyClient) -> None:
    """A 3xx is refused rather than followed to wherever it points."""
    fake.fail(status=302, body="")
    with pytest.raises(VerificationError) as err:
        client.me()
    assert str(err.value) == "Calendly API 302 Found (GET /users/me); redirects are not followed"
    assert len(fake.requests) == 1


@pytest.mark.parametrize("base_url", ["ftp://api.calendly.com", "api.calendly.com", "https://"])
def test_base_url_must_be_http(base_url: str) -> None:
    """A misconfigured API base URL is a ConfigError before anything is sent."""
    with pytest.raises(ConfigError, match="is not an http"):
        CalendlyClient(token=TOKEN, base_url=base_url)


# -- URI safety -----------------------------------------------------------------------------------
def foreign_uris(base_url: str) -> list[str]:
    host_port = base_url.removeprefix("http://")
    port = int(host_port.rsplit(":", 1)[1])
    path = "/scheduled_events/EV1/invitees/INV1"
    return [
        "https://api.calendly.com" + path,
        "https://evil.example" + path,
        f"https://{host_port}{path}",  # other scheme
        f"http://127.0.0.1:{port + 1}{path}",  # other port
        f"http://localhost:{port}{path}",  # other host name for the same machine
        f"http://{host_port}@evil.example{path}",  # userinfo trick: the host is evil.example
        f"http://user@{host_port}{path}",  # credentials in the URI
        f"//evil.example{path}",
    ]


@pytest.mark.parametrize("index", range(8))
@pytest.mark.parametrize(
    "method", ["get_invitee", "get_scheduled_event", "list_invitees", "delete_webhook"]
)
def test_foreign_uri_is_refused_without_a_request(
    fake: FakeCalendly, client: CalendlyClient, method: str, index: int
) -> None:
    """A URI not on the configured API origin raises VerificationError and sends nothing."""
    uri = foreign_uris(fake.base_url)[index]
    with pytest.raises(VerificationError) as err:
        getattr(client, method)(uri)
    assert "is not the configured Calendly API" in str(err.value)
    assert fake.requests == []
    assert client.request_count == 0


@pytest.mark.parametrize(
    "suffix",
    [
        "/scheduled_events/EV1/../../users/me",
        "/scheduled_events/EV1/invitees/",
        "/users/me",
        "/scheduled_events/EV%2F1/invitees/INV1",
    ],
)
def test_malformed_invitee_uri_is_input_error(
    fake: FakeCalendly, client: CalendlyClient, suffix: str
) -> None:
    """A URI on the right host but of the wrong shape is refused, also without a request."""
    with pytest.raises(InputError):
        client.get_invitee(fake.base_url + suffix)
    assert fake.requests == []


def test_path_is_rebuilt_from_uuids(fake: FakeCalendly, client: CalendlyClient) -> None:
    """Query, fragment and extra path prefix (as in Calendly's doc example /api/v2/...) are dropped."""
    event = add_event(fake, "2030-05-01T10:00:00.000000Z")
    invitee = add_invitee(fake, event)
    ev_id, inv_id = invitee["uri"].split("/")[-3], invitee["uri"].split("/")[-1]
    odd = f"{fake.base_url}/api/v2/scheduled_events/{ev_id}/invitees/{inv_id}?next=http://evil#x"
    assert client.get_invitee(odd) == invitee
    assert fake.requests == [("GET", f"/scheduled_events/{ev_id}/invitees/{inv_id}")]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80).map(lambda s: "https://" + s))
def test_no_uri_off_the_api_origin_ever_causes_a_request(uri: str) -> None:
    """Whatever the payload says, only the configured origin is ever contacted."""
    base = "http://127.0.0.1:9"  # discard port: a request would fail as TransientError
    with make_client(base, retries=0) as api:
        with pytest.raises((VerificationError, InputError)):
            api.get_invitee(uri)
        assert api.request_count == 0
