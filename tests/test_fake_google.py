"""The fake Google server behaves like Google for the real client libraries.

Every test drives tests/fakes/google_server.py over HTTP with google-api-python-client
and google-auth, built the way production builds them.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import google.auth
import google_auth_httplib2
import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from googleapiclient.discovery import Resource, build, build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from calsync.adapters.google_auth import skip_boundary_lookup
from fakes import google_server
from fakes.google_server import (
    FakeGoogle,
    write_authorized_user_file,
    write_external_account_file,
    write_service_account_file,
)

CAL = "team@group.calendar.google.com"
OTHER_CAL = "other@group.calendar.google.com"
SCOPES = ["https://www.googleapis.com/auth/calendar.events"]
PRECONDITION_FAILED = {
    "error": {
        "code": 412,
        "message": "Precondition Failed",
        "errors": [
            {"domain": "global", "reason": "conditionNotMet", "message": "Precondition Failed"}
        ],
    }
}
SCRIPT = Path(__file__).parent / "fakes" / "google_server.py"


def build_service(api_endpoint: str, creds: Any, *, timeout: float = 2) -> Resource:
    """The client as production builds it, pointed at the fake: from the shipped document with
    its schemas cut to names, as calsync.adapters.google does, but every resource and verb kept
    (these tests call calendarList and events.update too).

    Its events() Resource is built once: each build writes the docstrings of all of its
    methods (~4 ms), and the tests here call svc.events() about 200 times.
    """
    skip_boundary_lookup(creds)  # as production does with an endpoint override
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=timeout))
    service = build_from_document(
        _document(), http=http, client_options={"api_endpoint": api_endpoint}
    )
    events = service.events()
    service.events = lambda: events
    return service


@functools.cache
def _document() -> str:
    """The shipped Calendar v3 document, each schema cut to its name (and `nextPageToken`,
    which list_next() looks for): the client prints schemas only into docstrings."""
    doc = json.loads(get_static_doc("calendar", "v3") or "{}")
    page = {"properties": {"nextPageToken": {"type": "string"}}}
    doc["schemas"] = {
        name: {
            "id": name,
            "type": "object",
            **(page if "nextPageToken" in body.get("properties", {}) else {}),
        }
        for name, body in doc["schemas"].items()
    }
    return json.dumps(doc)


def booking(n: int = 0, **extra: Any) -> dict[str, Any]:
    start = datetime(2030, 1, 7, 9, tzinfo=UTC) + timedelta(hours=n)
    end = start + timedelta(minutes=30)
    return {
        "summary": f"Booking {n}",
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": end.isoformat()},
        **extra,
    }


def reason(err: HttpError) -> str:
    return str(json.loads(err.content)["error"]["errors"][0]["reason"])


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as server:
        server.add_calendar(CAL)
        server.add_calendar(OTHER_CAL)
        yield server
    assert server.server_errors == []


@pytest.fixture
def keyfile(tmp_path: Path, fake: FakeGoogle) -> Path:
    return write_service_account_file(tmp_path / "sa.json", token_uri=fake.token_uri)


@pytest.fixture(scope="module")
def module_creds(tmp_path_factory: pytest.TempPathFactory) -> service_account.Credentials:
    """Loading a key file costs ~40 ms (RSA key checks): load once, retarget per test."""
    path = tmp_path_factory.mktemp("key") / "sa.json"
    write_service_account_file(path, token_uri="http://127.0.0.1:9/token")
    return service_account.Credentials.from_service_account_file(str(path), scopes=SCOPES)


@pytest.fixture
def sa_creds(
    fake: FakeGoogle, module_creds: service_account.Credentials
) -> service_account.Credentials:
    return module_creds.with_token_uri(fake.token_uri)


@pytest.fixture
def connect(fake: FakeGoogle) -> Iterator[Callable[..., Resource]]:
    """Build services on the fake and close their connections afterwards."""
    services: list[Resource] = []

    def _connect(creds: Any, *, timeout: float = 2) -> Resource:
        services.append(build_service(fake.api_endpoint, creds, timeout=timeout))
        return services[-1]

    yield _connect
    for service in services:
        service.close()


@pytest.fixture
def svc(connect: Callable[..., Resource], sa_creds: service_account.Credentials) -> Resource:
    return connect(sa_creds)


@pytest.fixture
def warm_svc(svc: Resource) -> Resource:
    """A service that already holds a token. BatchHttpRequest.execute() fetches a missing
    token through a throwaway httplib2.Http it never closes (googleapiclient._auth), which
    leaks a socket: a ResourceWarning, an error under filterwarnings=error."""
    svc.events().list(calendarId=CAL).execute()
    return svc


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff waits of googleapiclient and of google-auth's token retries (both call
    time.sleep when driven directly, as here), recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", recorded.append)
    return recorded


# ---- credentials --------------------------------------------------------------------


def test_service_account_token_is_fetched_from_the_fake(fake, connect, keyfile):
    """A service-account key file gets its bearer token from the fake's /token."""
    creds = service_account.Credentials.from_service_account_file(str(keyfile), scopes=SCOPES)
    svc = connect(creds)
    assert svc.events().list(calendarId=CAL).execute()["items"] == []
    assert fake.tokens_issued == 1
    assert fake.requests[0] == ("POST", "/token")
    assert fake.subjects == [None]
    assert fake.token_claims[0]["scope"] == SCOPES[0]


def test_delegated_subject_is_recorded(fake, connect, sa_creds):
    """Domain-wide delegation sends `sub`; the event's creator is that user."""
    service = connect(sa_creds.with_subject("alice@example.com"))
    event = service.events().insert(calendarId=CAL, body=booking()).execute()
    assert fake.subjects == ["alice@example.com"]
    assert event["creator"] == {"email": "alice@example.com"}


def test_authorized_user_refresh_token(fake, connect, tmp_path):
    """An authorized_user file refreshes at /token (google-auth ignores its token_uri)."""
    path = write_authorized_user_file(tmp_path / "adc.json", token_uri=fake.token_uri)
    creds = user_credentials.Credentials.from_authorized_user_file(str(path), scopes=SCOPES)
    service = connect(creds.with_token_uri(fake.token_uri))
    service.events().list(calendarId=CAL).execute()
    assert fake.requests[0] == ("POST", "/token")
    assert fake.tokens_issued == 1


@pytest.mark.parametrize("impersonate", [None, "sync@test-project.iam.gserviceaccount.com"])
def test_external_account_via_adc(fake, connect, tmp_path, monkeypatch, impersonate):
    """Workload identity federation (the CI setup) through google.auth.default()."""
    # With impersonation, google-auth builds its inner credentials at the first refresh and
    # they look up their regional access boundary at Google; nothing here can preset it.
    from google.auth import _regional_access_boundary_utils as rab

    monkeypatch.setattr(
        rab._RegionalAccessBoundaryManager, "maybe_start_refresh", lambda *args: None
    )
    path = write_external_account_file(
        tmp_path / "wif.json",
        token_uri=fake.token_uri,
        subject_token_file=tmp_path / "id_token.jwt",
        service_account_email=impersonate,
    )
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    # Without a project google.auth.default() asks cloudresourcemanager.googleapis.com.
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "test-project")
    creds, project = google.auth.default(scopes=SCOPES)
    connect(creds).events().list(calendarId=CAL).execute()
    assert project == "test-project"
    assert fake.impersonated == ([impersonate] if impersonate else [])
    assert fake.tokens_issued == (2 if impersonate else 1)


def test_call_without_token_is_401(fake):
    """No Authorization header: 401 authError, as Google answers."""
    service = build(
        "calendar",
        "v3",
        http=httplib2.Http(timeout=2),
        cache_discovery=False,
        static_discovery=True,
        client_options={"api_endpoint": fake.api_endpoint},
    )
    with pytest.raises(HttpError) as caught:
        service.events().list(calendarId=CAL).execute()
    service.close()
    assert caught.value.status_code == 401
    assert reason(caught.value) == "authError"


def test_revoked_token_is_refreshed_transparently(fake, svc):
    """A 401 makes AuthorizedHttp fetch a new token and resend."""
    svc.events().list(calendarId=CAL).execute()
    fake.revoke_tokens()
    svc.events().list(calendarId=CAL).execute()
    assert fake.tokens_issued == 2


def test_service_account_key_is_generated_once(tmp_path):
    """Key generation is slow: every key file of the process shares one RSA key."""
    one = write_service_account_file(tmp_path / "a.json", token_uri="http://127.0.0.1:1/token")
    two = write_service_account_file(tmp_path / "b.json", token_uri="http://127.0.0.1:2/token")
    key_one, key_two = (json.loads(p.read_text())["private_key"] for p in (one, two))
    assert key_one == key_two
    assert key_one.startswith("-----BEGIN PRIVATE KEY-----")


# ---- events ----------------------------------------------------------------------------


def test_insert_get_patch_delete_roundtrip(fake, svc):
    """Server fields are set, PATCH merges nested objects, DELETE cancels."""
    events = svc.events()
    body = booking(id="bk00001", extendedProperties={"private": {"source": "calendly"}})
    created = events.insert(calendarId=CAL, body=body, sendUpdates="none").execute()
    assert created["id"] == "bk00001"
    assert created["status"] == "confirmed"
    assert created["iCalUID"] == "bk00001@google.com"
    assert created["sequence"] == 0
    assert {"kind", "etag", "created", "updated", "htmlLink"} <= created.keys()
    assert events.get(calendarId=CAL, eventId="bk00001").execute() == created

    patch = {"extendedProperties": {"private": {"uri": "u1"}}, "attendees": [{"email": "a@x"}]}
    patched = events.patch(calendarId=CAL, eventId="bk00001", body=patch).execute()
    assert patched["extendedProperties"]["private"] == {"source": "calendly", "uri": "u1"}
    assert patched["attendees"] == [{"email": "a@x"}]
    assert patched["summary"] == "Booking 0"
    assert patched["sequence"] == 1
    assert patched["etag"] != created["etag"]
    assert patched["created"] == created["created"]

    assert events.delete(calendarId=CAL, eventId="bk00001").execute() == ""
    gone = events.get(calendarId=CAL, eventId="bk00001").execute()
    assert gone["status"] == "cancelled"
    assert "extendedProperties" not in gone  # strict by default: Google keeps only the id
    assert fake.live_events(CAL) == []
    assert [e["id"] for e in fake.events(CAL, include_deleted=True)] == ["bk00001"]


def test_generated_id_is_base32hex(svc):
    """Without a client id the server makes one Google could have made."""
    event = svc.events().insert(calendarId=CAL, body=booking()).execute()
    assert len(event["id"]) >= 5
    assert set(event["id"]) <= set("abcdefghijklmnopqrstuv0123456789")


def test_taken_id_is_409_even_after_delete(svc):
    """Insert with a taken id, live or deleted, is 409 duplicate."""
    events = svc.events()
    events.insert(calendarId=CAL, body=booking(id="bk00002")).execute()
    for deleted in (False, True):
        if deleted:
            events.delete(calendarId=CAL, eventId="bk00002").execute()
        with pytest.raises(HttpError) as caught:
            events.insert(calendarId=CAL, body=booking(id="bk00002")).execute()
        assert caught.value.status_code == 409
        assert reason(caught.value) == "duplicate"
        assert caught.value.reason == "The requested identifier already exists."


def test_second_delete_is_410(svc):
    """Deleting a cancelled event is 410 deleted."""
    events = svc.events()
    events.insert(calendarId=CAL, body=booking(id="bk00003")).execute()
    events.delete(calendarId=CAL, eventId="bk00003").execute()
    with pytest.raises(HttpError) as caught:
        events.delete(calendarId=CAL, eventId="bk00003").execute()
    assert caught.value.status_code == 410
    assert reason(caught.value) == "deleted"


@pytest.mark.parametrize(
    "call",
    [
        lambda ev: ev.get(calendarId=CAL, eventId="nosuch1"),
        lambda ev: ev.patch(calendarId=CAL, eventId="nosuch1", body={"summary": "x"}),
        lambda ev: ev.update(calendarId=CAL, eventId="nosuch1", body=booking()),
        lambda ev: ev.delete(calendarId=CAL, eventId="nosuch1"),
        lambda ev: ev.list(calendarId="unknown@group.calendar.google.com"),
        lambda ev: ev.insert(calendarId="unknown@group.calendar.google.com", body=booking()),
    ],
    ids=["get", "patch", "update", "delete", "list-unknown-calendar", "insert-unknown-calendar"],
)
def test_unknown_is_404(svc, call):
    """Unknown events and calendars are 404 notFound."""
    with pytest.raises(HttpError) as caught:
        call(svc.events()).execute()
    assert caught.value.status_code == 404
    assert reason(caught.value) == "notFound"


@pytest.mark.parametrize("bad_id", ["abcd", "bk-00001", "BK00001", "bkw0001", "x" * 5, "a" * 1025])
def test_invalid_client_id_is_400(svc, bad_id):
    """Client ids must be 5-1024 base32hex characters (a-v, 0-9)."""
    with pytest.raises(HttpError) as caught:
        svc.events().insert(calendarId=CAL, body=booking(id=bad_id)).execute()
    assert caught.value.status_code == 400
    assert reason(caught.value) == "invalid"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"summary": "no times"}, "required"),
        ({**booking(), "end": {"dateTime": "2030-01-07T08:00:00Z"}}, "timeRangeEmpty"),
        ({**booking(), "start": {"dateTime": "2030-01-07T09:00:00"}}, "required"),
        ({**booking(), "status": "done"}, "invalid"),
    ],
    ids=["missing-times", "end-before-start", "no-time-zone", "bad-status"],
)
def test_invalid_event_is_400(svc, body, why):
    """Events Google would refuse are refused with Google's reason."""
    with pytest.raises(HttpError) as caught:
        svc.events().insert(calendarId=CAL, body=body).execute()
    assert caught.value.status_code == 400
    assert reason(caught.value) == why


def test_strip_deleted_keeps_only_id_and_status(sa_creds):
    """strip_deleted=True: a deleted event reads back as little as Google guarantees."""
    with FakeGoogle(strip_deleted=True) as bare:
        bare.add_calendar(CAL)
        service = build_service(bare.api_endpoint, sa_creds.with_token_uri(bare.token_uri))
        events = service.events()
        events.insert(calendarId=CAL, body=booking(id="bk00004", location="Room 1")).execute()
        events.delete(calendarId=CAL, eventId="bk00004").execute()
        got = events.get(calendarId=CAL, eventId="bk00004").execute()
        listed = events.list(calendarId=CAL, showDeleted=True).execute()["items"]
        service.close()
    assert got["id"] == "bk00004"
    assert got["status"] == "cancelled"
    assert "location" not in got
    assert listed == [got]


def test_patch_restores_and_cancels(fake, svc):
    """Lenient mode only (strict_deleted=False): PATCH status confirmed revives a deleted
    event, status cancelled deletes it. Real Google does not promise the revival."""
    fake.store.strict_deleted = False
    events = svc.events()
    events.insert(calendarId=CAL, body=booking(id="bk00005")).execute()
    events.delete(calendarId=CAL, eventId="bk00005").execute()
    revived = events.patch(
        calendarId=CAL, eventId="bk00005", body={"status": "confirmed"}
    ).execute()
    assert revived["status"] == "confirmed"
    assert [e["id"] for e in fake.live_events(CAL)] == ["bk00005"]
    events.patch(calendarId=CAL, eventId="bk00005", body={"status": "cancelled"}).execute()
    assert fake.live_events(CAL) == []


def test_put_replaces_everything_but_server_fields(svc):
    """PUT (events.update) drops fields it does not send; server fields stay."""
    events = svc.events()
    created = events.insert(calendarId=CAL, body=booking(id="bk00006", location="Room 1")).execute()
    replaced = events.update(calendarId=CAL, eventId="bk00006", body=booking(7)).execute()
    assert "location" not in replaced
    assert replaced["summary"] == "Booking 7"
    assert replaced["created"] == created["created"]
    assert replaced["iCalUID"] == created["iCalUID"]
    assert replaced["sequence"] == 1


def test_list_filters_by_private_property_and_pages(svc):
    """privateExtendedProperty constraints all apply; pages chain by nextPageToken."""
    events = svc.events()
    for n in range(10):
        source = "calendly" if n < 7 else "manual"
        props = {"private": {"source": source, "team": "sales" if n % 2 else "support"}}
        events.insert(calendarId=CAL, body=booking(n, extendedProperties=props)).execute()
    request = events.list(
        calendarId=CAL, privateExtendedProperty="source=calendly", maxResults=3, singleEvents=True
    )
    pages = []
    while request is not None:
        response = request.execute()
        pages.append([e["summary"] for e in response["items"]])
        request = events.list_next(request, response)
    assert pages == [
        ["Booking 0", "Booking 1", "Booking 2"],
        ["Booking 3", "Booking 4", "Booking 5"],
        ["Booking 6"],
    ]
    both = events.list(
        calendarId=CAL, privateExtendedProperty=["source=calendly", "team=sales"]
    ).execute()
    assert [e["summary"] for e in both["items"]] == ["Booking 1", "Booking 3", "Booking 5"]


def test_list_time_window_and_show_deleted(svc):
    """timeMin/timeMax select by overlap; cancelled events only with showDeleted."""
    events = svc.events()
    for n in range(4):  # 09:00, 10:00, 11:00, 12:00, 30 minutes each
        events.insert(calendarId=CAL, body=booking(n, id=f"bk1000{n}")).execute()
    events.delete(calendarId=CAL, eventId="bk10001").execute()
    window = {"timeMin": "2030-01-07T09:15:00Z", "timeMax": "2030-01-07T12:00:00Z"}
    live = events.list(calendarId=CAL, **window).execute()["items"]
    assert [e["id"] for e in live] == ["bk10000", "bk10002"]
    with_deleted = events.list(calendarId=CAL, showDeleted=True, **window).execute()["items"]
    assert [e["id"] for e in with_deleted] == ["bk10000", "bk10001", "bk10002"]


def test_seeded_event_is_listed(fake, svc):
    """seed_event() stores an event as if someone had made it in the UI."""
    seeded = fake.seed_event(CAL, {"id": "manual_event_1", "summary": "Lunch"})
    listed = svc.events().list(calendarId=CAL).execute()["items"]
    assert listed == [seeded]


# ---- batch -----------------------------------------------------------------------------


def test_new_batch_http_request_ignores_api_endpoint(svc):
    """Documented trap: service.new_batch_http_request() still targets googleapis.com,
    so code under test must build BatchHttpRequest(batch_uri=...) itself."""
    assert svc.new_batch_http_request()._batch_uri == "https://www.googleapis.com/batch/calendar/v3"


def test_batch_of_inserts_and_gets(fake, warm_svc):
    """One HTTP request carries several calls; each answer reaches its callback."""
    events = warm_svc.events()
    events.insert(calendarId=CAL, body=booking(id="bk20000")).execute()
    fake.reset_log()
    results: dict[str, tuple[Any, int | None]] = {}

    def callback(request_id: str, response: Any, exc: HttpError | None) -> None:
        results[request_id] = (response, exc.status_code if exc else None)

    batch = BatchHttpRequest(callback=callback, batch_uri=fake.batch_uri)
    for n in range(1, 4):
        body = booking(n, id=f"bk2000{n}", summary=f"Zoë ☕ {n}")
        batch.add(events.insert(calendarId=CAL, body=body), request_id=f"ins{n}")
    batch.add(events.get(calendarId=CAL, eventId="bk20000"), request_id="get")
    batch.add(events.get(calendarId=CAL, eventId="nosuch1"), request_id="missing")
    batch.add(events.delete(calendarId=CAL, eventId="bk20000"), request_id="del")
    batch.execute()

    assert results["ins2"][0]["summary"] == "Zoë ☕ 2"
    assert results["get"][0]["id"] == "bk20000"
    assert results["missing"] == (None, 404)
    assert results["del"] == ("", None)
    assert fake.http_requests == 1
    assert fake.requests[0] == ("POST", "/batch/calendar/v3")
    assert len(fake.requests) == 7
    assert sorted(e["id"] for e in fake.live_events(CAL)) == ["bk20001", "bk20002", "bk20003"]


def test_batch_over_50_is_400(fake, warm_svc):
    """Calendar allows 50 calls per batch; more is refused as a whole."""
    batch = BatchHttpRequest(batch_uri=fake.batch_uri)
    for n in range(51):
        batch.add(warm_svc.events().get(calendarId=CAL, eventId=f"bk3{n:04d}"))
    with pytest.raises(HttpError) as caught:
        batch.execute()
    assert caught.value.status_code == 400


def test_batch_part_fault_fails_only_that_part(fake, warm_svc):
    """A status fault matching one embedded call fails that part alone."""
    fake.fail(method="POST", path_contains="/events", status=403, reason="rateLimitExceeded")
    outcome: list[int | None] = []
    batch = BatchHttpRequest(
        callback=lambda _id, _resp, exc: outcome.append(exc.status_code if exc else None),
        batch_uri=fake.batch_uri,
    )
    for n in range(3):
        batch.add(warm_svc.events().insert(calendarId=CAL, body=booking(n)))
    batch.execute()
    assert outcome == [403, None, None]
    assert len(fake.live_events(CAL)) == 2


def test_batch_lost_response_runs_every_part(fake, warm_svc):
    """A lost_response fault on one part: the whole batch runs, its answer never comes."""
    fake.fail(kind="lost_response", method="POST", path_contains="/events")
    batch = BatchHttpRequest(batch_uri=fake.batch_uri)
    for n in range(3):
        batch.add(warm_svc.events().insert(calendarId=CAL, body=booking(n)))
    with pytest.raises(ConnectionResetError):
        batch.execute()
    assert len(fake.live_events(CAL)) == 3


# ---- faults ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "why"),
    [
        (503, "backendError"),
        (500, "backendError"),
        (429, "rateLimitExceeded"),
        (403, "rateLimitExceeded"),
        (403, "userRateLimitExceeded"),
    ],
)
def test_retryable_faults_clear_with_num_retries(fake, svc, sleeps, status, why):
    """googleapiclient retries 5xx, 429 and 403 rate limits, then succeeds."""
    fake.fail(method="POST", path_contains="/events", times=2, status=status, reason=why)
    event = svc.events().insert(calendarId=CAL, body=booking()).execute(num_retries=3)
    assert fake.live_events(CAL) == [event]
    assert len(sleeps) == 2
    assert fake.pending_faults == 0


def test_forbidden_is_not_retried(fake, svc, sleeps):
    """A plain 403 (no rate-limit reason) fails at once."""
    fake.fail(status=403, reason="forbidden", path_contains="/events")
    with pytest.raises(HttpError) as caught:
        svc.events().list(calendarId=CAL).execute(num_retries=3)
    assert caught.value.status_code == 403
    assert sleeps == []


def test_rate_limit_error_shape_and_retry_after(fake, svc):
    """429 carries Google's error body (usageLimits) and the Retry-After header."""
    fake.fail(status=429, reason="rateLimitExceeded", retry_after=7, path_contains="/events")
    with pytest.raises(HttpError) as caught:
        svc.events().list(calendarId=CAL).execute()
    error = json.loads(caught.value.content)["error"]
    assert error["code"] == 429
    assert error["errors"][0]["domain"] == "usageLimits"
    assert caught.value.resp["retry-after"] == "7"


def test_faults_match_method_and_path_in_order(fake, svc):
    """A fault only fires on requests it matches; the first match is used."""
    fake.fail(method="DELETE", status=500)
    fake.fail(path_contains=OTHER_CAL.replace("@", "%40"), status=502)
    fake.fail(path_contains="/events", status=503)
    with pytest.raises(HttpError) as caught:
        svc.events().list(calendarId=OTHER_CAL).execute()
    assert caught.value.status_code == 502
    with pytest.raises(HttpError) as caught:
        svc.events().list(calendarId=CAL).execute()
    assert caught.value.status_code == 503
    assert fake.pending_faults == 1


def test_reset_is_retried_by_googleapiclient(fake, svc, sleeps):
    """A reset connection raises ConnectionResetError; num_retries covers it."""
    fake.fail(kind="reset", path_contains="/events")
    svc.events().insert(calendarId=CAL, body=booking(id="bk40000")).execute(num_retries=3)
    assert len(sleeps) == 1  # googleapiclient retried, not httplib2 behind its back
    fake.fail(kind="reset", path_contains="/events")
    with pytest.raises(ConnectionResetError):
        svc.events().get(calendarId=CAL, eventId="bk40000").execute()


def test_timeout_is_retried(fake, connect, sa_creds, sleeps):
    """A request that hangs past the client timeout is retried on a new connection."""
    fake.timeout_sleep = 2.0  # stop() ends the hold early
    service = connect(sa_creds, timeout=0.5)
    service.events().list(calendarId=CAL).execute()  # token first: it has no such retry
    fake.fail(kind="timeout", path_contains="/events")
    service.events().insert(calendarId=CAL, body=booking()).execute(num_retries=3)
    assert len(sleeps) == 1
    assert len(fake.live_events(CAL)) == 1


def test_lost_response_performs_the_write(fake, svc, sleeps):
    """The write happens but the answer is lost: the retried insert meets its own id."""
    fake.fail(kind="lost_response", method="POST", path_contains="/events")
    with pytest.raises(HttpError) as caught:
        svc.events().insert(calendarId=CAL, body=booking(id="bk50000")).execute(num_retries=3)
    assert caught.value.status_code == 409
    assert [e["id"] for e in fake.live_events(CAL)] == ["bk50000"]
    fake.fail(kind="lost_response", method="PATCH")
    patch = {"summary": "moved"}
    patched = (
        svc.events().patch(calendarId=CAL, eventId="bk50000", body=patch).execute(num_retries=3)
    )
    assert patched["summary"] == "moved"
    assert patched["sequence"] == 2  # applied twice


def test_token_endpoint_fault_is_retried_by_google_auth(fake, svc, sleeps):
    """A 503 from /token is retried inside google-auth."""
    fake.fail(kind="token", status=503, reason="temporarily_unavailable")
    svc.events().list(calendarId=CAL).execute()
    assert fake.requests[:2] == [("POST", "/token"), ("POST", "/token")]
    assert fake.tokens_issued == 1


def test_token_endpoint_invalid_grant_raises_refresh_error(fake, svc, sleeps):
    """A 400 invalid_grant from /token surfaces as RefreshError."""
    fake.fail(path_contains="/token", status=400, reason="invalid_grant", message="bad key")
    with pytest.raises(RefreshError, match="invalid_grant"):
        svc.events().list(calendarId=CAL).execute()


def test_deny_fails_every_call_on_that_calendar(fake, svc):
    """deny() makes one calendar refuse everything; others still work."""
    fake.deny(CAL)
    for call in (
        svc.events().list(calendarId=CAL),
        svc.events().insert(calendarId=CAL, body=booking()),
    ):
        with pytest.raises(HttpError) as caught:
            call.execute(num_retries=2)
        assert caught.value.status_code == 403
        assert reason(caught.value) == "forbidden"
    svc.events().insert(calendarId=OTHER_CAL, body=booking()).execute()
    fake.allow(CAL)
    svc.events().list(calendarId=CAL).execute()


def test_unknown_fault_kind_is_refused(fake):
    with pytest.raises(ValueError, match="kind must be one of"):
        fake.fail(kind="explode")


# ---- standalone ------------------------------------------------------------------------


def test_standalone_script_serves_and_dumps_on_sigterm(tmp_path):
    """`python google_server.py` serves until SIGTERM, then writes --dump."""
    ready, dump, key = tmp_path / "ready", tmp_path / "dump.json", tmp_path / "sa.json"
    args = [sys.executable, str(SCRIPT), "--port", "0", "--calendar", CAL, "--strict-deleted"]
    args += ["--calendar", f"{OTHER_CAL}=reader", "--latency", "0.01"]
    args += ["--ready-file", str(ready), "--dump", str(dump), "--service-account-file", str(key)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    with subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env) as proc:
        try:
            deadline = time.monotonic() + 10
            while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            base_url = ready.read_text().strip()
            token_uri = json.loads(key.read_text())["token_uri"]
            assert token_uri == base_url + "/token"
            creds = service_account.Credentials.from_service_account_file(str(key), scopes=SCOPES)
            service = build_service(base_url + "/calendar/v3/", creds)
            events = service.events()
            events.insert(calendarId=CAL, body=booking(id="bk60000")).execute()
            events.insert(calendarId=CAL, body=booking(id="bk60001")).execute()
            events.delete(calendarId=CAL, eventId="bk60001").execute()
            gone = events.get(calendarId=CAL, eventId="bk60001").execute()
            assert gone.keys() == {"kind", "id", "status", "etag"}  # --strict-deleted
            assert events.list(calendarId=OTHER_CAL).execute()["accessRole"] == "reader"
            service.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert out.strip() == base_url
    data = json.loads(dump.read_text())
    assert [e["id"] for e in data["events"][CAL]] == ["bk60000", "bk60001"]
    assert data["tokens_issued"] == 1


# ---- etags and preconditions -----------------------------------------------------------


def with_headers(request: Any, **headers: str) -> Any:
    """A googleapiclient request with extra HTTP headers (If-Match: If_Match="...")."""
    request.headers.update({k.replace("_", "-"): v for k, v in headers.items()})
    return request


def test_every_write_changes_the_etag(svc):
    """insert, patch, update and delete each give the event a new quoted etag."""
    events = svc.events()
    tags = [events.insert(calendarId=CAL, body=booking(id="bk70000")).execute()["etag"]]
    tags.append(
        events.patch(calendarId=CAL, eventId="bk70000", body={"summary": "x"}).execute()["etag"]
    )
    tags.append(events.update(calendarId=CAL, eventId="bk70000", body=booking(1)).execute()["etag"])
    got = events.get(calendarId=CAL, eventId="bk70000").execute()
    listed = events.list(calendarId=CAL).execute()["items"]
    assert got["etag"] == tags[-1] == listed[0]["etag"]
    events.delete(calendarId=CAL, eventId="bk70000").execute()
    tags.append(events.get(calendarId=CAL, eventId="bk70000").execute()["etag"])
    assert len(set(tags)) == 4
    assert all(t.startswith('"') and t.endswith('"') and len(t) > 2 for t in tags)


WRITES_ON_EVENT = {
    "patch": lambda ev, eid: ev.patch(calendarId=CAL, eventId=eid, body={"summary": "new"}),
    "update": lambda ev, eid: ev.update(calendarId=CAL, eventId=eid, body=booking(3)),
    "delete": lambda ev, eid: ev.delete(calendarId=CAL, eventId=eid),
}


@pytest.mark.parametrize("op", sorted(WRITES_ON_EVENT))
@pytest.mark.parametrize(
    ("which", "status"), [("stale", 412), ("current", None), ("any", None), ("list", None)]
)
def test_if_match(fake, svc, op, which, status):
    """If-Match with a stale etag is 412 conditionNotMet and writes nothing."""
    events = svc.events()
    first = events.insert(calendarId=CAL, body=booking(id="bk70001")).execute()["etag"]
    current = events.patch(calendarId=CAL, eventId="bk70001", body={"location": "A"}).execute()
    tag = {"stale": first, "current": current["etag"], "any": "*"}.get(
        which, f'"1", {current["etag"]}'
    )
    request = with_headers(WRITES_ON_EVENT[op](events, "bk70001"), If_Match=tag)
    if status is None:
        request.execute()
        assert fake.events(CAL, include_deleted=True)[0]["etag"] != current["etag"]
        return
    with pytest.raises(HttpError) as caught:
        request.execute()
    assert caught.value.status_code == status
    assert json.loads(caught.value.content) == PRECONDITION_FAILED
    assert fake.events(CAL, include_deleted=True) == [current]


def test_if_none_match_on_get_is_304(svc):
    """GET with If-None-Match naming the current etag answers 304 (an HttpError here)."""
    events = svc.events()
    event = events.insert(calendarId=CAL, body=booking(id="bk70002")).execute()
    with pytest.raises(HttpError) as caught:
        with_headers(
            events.get(calendarId=CAL, eventId="bk70002"), If_None_Match=event["etag"]
        ).execute()
    assert caught.value.status_code == 304
    stale = with_headers(events.get(calendarId=CAL, eventId="bk70002"), If_None_Match='"1"')
    assert stale.execute() == event


def test_if_match_inside_a_batch(fake, warm_svc):
    """Batch parts carry their own If-Match headers and get 412 alone."""
    events = warm_svc.events()
    old = events.insert(calendarId=CAL, body=booking(id="bk70003")).execute()["etag"]
    new = events.patch(calendarId=CAL, eventId="bk70003", body={"location": "B"}).execute()
    events.insert(calendarId=CAL, body=booking(id="bk70004")).execute()
    outcome: dict[str, int | None] = {}
    batch = BatchHttpRequest(
        callback=lambda rid, _resp, exc: outcome.update({rid: exc.status_code if exc else None}),
        batch_uri=fake.batch_uri,
    )
    stale = events.patch(calendarId=CAL, eventId="bk70003", body={"summary": "s"})
    batch.add(with_headers(stale, If_Match=old), request_id="stale")
    fresh = events.update(calendarId=CAL, eventId="bk70003", body=booking(5))
    batch.add(with_headers(fresh, If_Match=new["etag"]), request_id="fresh")
    batch.add(
        with_headers(events.delete(calendarId=CAL, eventId="bk70004"), If_Match=old),
        request_id="stale-delete",
    )
    batch.execute()
    assert outcome == {"stale": 412, "fresh": None, "stale-delete": 412}
    assert [e["summary"] for e in fake.live_events(CAL)] == ["Booking 5", "Booking 0"]


# ---- strict deleted --------------------------------------------------------------------


@pytest.fixture
def strict(module_creds: service_account.Credentials) -> Iterator[tuple[FakeGoogle, Resource]]:
    """A fake with strict_deleted=True and a service on it, warm (token fetched)."""
    with FakeGoogle(strict_deleted=True) as server:
        server.add_calendar(CAL)
        service = build_service(server.api_endpoint, module_creds.with_token_uri(server.token_uri))
        props = {"private": {"uri": "u9"}}
        events = service.events()
        events.insert(
            calendarId=CAL, body=booking(id="bk80000", extendedProperties=props)
        ).execute()
        events.delete(calendarId=CAL, eventId="bk80000").execute()
        yield server, service
        service.close()
    assert server.server_errors == []


def test_strict_deleted_default_is_the_module_constant(monkeypatch):
    """STRICT_DELETED_DEFAULT decides the default: strict, as Google promises no more."""
    assert google_server.STRICT_DELETED_DEFAULT is True
    assert FakeGoogle().strict_deleted is True
    monkeypatch.setattr(google_server, "STRICT_DELETED_DEFAULT", False)
    assert FakeGoogle().strict_deleted is False
    assert FakeGoogle(strict_deleted=True).strict_deleted is True


def test_strict_deleted_reads_show_only_what_google_guarantees(strict):
    """get and list(showDeleted) answer kind, id, status and etag; filters miss it."""
    _, service = strict
    events = service.events()
    got = events.get(calendarId=CAL, eventId="bk80000").execute()
    assert got.keys() == {"kind", "id", "status", "etag"}
    assert got["kind"] == "calendar#event"
    assert got["status"] == "cancelled"
    assert events.list(calendarId=CAL, showDeleted=True).execute()["items"] == [got]
    by_uri = events.list(calendarId=CAL, showDeleted=True, privateExtendedProperty="uri=u9")
    assert by_uri.execute()["items"] == []


@pytest.mark.parametrize(
    ("call", "status", "why"),
    [
        (
            lambda ev: ev.patch(calendarId=CAL, eventId="bk80000", body={"status": "confirmed"}),
            403,
            "forbidden",
        ),
        (lambda ev: ev.update(calendarId=CAL, eventId="bk80000", body=booking()), 403, "forbidden"),
        (lambda ev: ev.delete(calendarId=CAL, eventId="bk80000"), 410, "deleted"),
        (lambda ev: ev.delete(calendarId=CAL, eventId="nosuch1"), 404, "notFound"),
        (lambda ev: ev.insert(calendarId=CAL, body=booking(id="bk80000")), 409, "duplicate"),
    ],
    ids=["patch-revive", "update", "delete-again", "delete-unknown", "insert-same-id"],
)
def test_strict_deleted_writes(strict, call, status, why):
    """A deleted event cannot be revived or deleted again; its id stays taken."""
    fake, service = strict
    with pytest.raises(HttpError) as caught:
        call(service.events()).execute()
    assert (caught.value.status_code, reason(caught.value)) == (status, why)
    assert fake.live_events(CAL) == []


def test_strict_deleted_applies_inside_a_batch(strict):
    """Batch parts meet the same strict rules."""
    fake, service = strict
    outcome: list[int | None] = []
    batch = BatchHttpRequest(
        callback=lambda _id, _resp, exc: outcome.append(exc.status_code if exc else None),
        batch_uri=fake.batch_uri,
    )
    batch.add(service.events().patch(calendarId=CAL, eventId="bk80000", body={"summary": "x"}))
    batch.add(service.events().get(calendarId=CAL, eventId="bk80000"))
    batch.execute()
    assert outcome == [403, None]


# ---- extended property limits ----------------------------------------------------------


def props(private: dict[str, str], shared: dict[str, str] | None = None) -> dict[str, Any]:
    return {"extendedProperties": {"private": private, "shared": shared or {}}}


def many(n: int, prefix: str = "k") -> dict[str, str]:
    return {f"{prefix}{i}": "v" for i in range(n)}


LIMITS = [
    # (extendedProperties body, the limit named in the 400 message, or None: accepted)
    (props({"k" * 44: "v", "v": "x" * 1024}), None),
    (props({"k" * 45: "v"}), "44 characters"),
    (props({"uri": "x" * 1025}), "1024 characters"),
    (props({}, {"uri": "é" * 1024}), None),  # characters, not bytes
    (props(many(150), many(150, "s")), None),
    (props(many(151), many(150, "s")), "300 extended properties"),
    (props({f"key{i:02d}": "é" * 1000 for i in range(16)}), None),  # 32,080 bytes
    (props({f"key{i:02d}": "é" * 1000 for i in range(17)}), "32768 bytes"),
]
LIMIT_IDS = [
    "at-limits",
    "long-key",
    "long-value",
    "utf8-value",
    "300-props",
    "301-props",
    "32k",
    "over-32k",
]


@pytest.mark.parametrize(("body", "limit"), LIMITS, ids=LIMIT_IDS)
@pytest.mark.parametrize("op", ["insert", "patch", "update", "batch-insert"])
def test_extended_property_limits(fake, warm_svc, body, limit, op):
    """Google silently drops or truncates beyond its limits; the fake refuses with 400."""
    events = warm_svc.events()
    if op in ("patch", "update"):
        events.insert(calendarId=CAL, body=booking(id="bk90000")).execute()
    request = {
        "insert": lambda: events.insert(calendarId=CAL, body=booking(**body)),
        "batch-insert": lambda: events.insert(calendarId=CAL, body=booking(**body)),
        "patch": lambda: events.patch(calendarId=CAL, eventId="bk90000", body=body),
        "update": lambda: events.update(calendarId=CAL, eventId="bk90000", body=booking(**body)),
    }[op]()
    errors: list[HttpError] = []
    if op == "batch-insert":
        batch = BatchHttpRequest(
            callback=lambda _id, _resp, exc: errors.extend([exc] if exc else []),
            batch_uri=fake.batch_uri,
        )
        batch.add(request)
        batch.execute()
    else:
        try:
            request.execute()
        except HttpError as exc:
            errors.append(exc)
    if limit is None:
        assert errors == []
        assert fake.live_events(CAL)[0]["extendedProperties"] == body["extendedProperties"]
        return
    assert [e.status_code for e in errors] == [400]
    assert reason(errors[0]) == "invalid"
    assert limit in json.loads(errors[0].content)["error"]["message"]


def test_patch_limits_apply_after_the_merge(fake, svc):
    """A patch within the limits is refused when the merged event is not."""
    events = svc.events()
    events.insert(calendarId=CAL, body=booking(id="bk90001", **props(many(200)))).execute()
    with pytest.raises(HttpError) as caught:
        events.patch(calendarId=CAL, eventId="bk90001", body=props({}, many(101, "s"))).execute()
    assert caught.value.status_code == 400
    assert "300" in json.loads(caught.value.content)["error"]["message"]
    remove = {"extendedProperties": {"private": {"k0": None}}}  # null clears one key
    events.patch(calendarId=CAL, eventId="bk90001", body=remove).execute()
    events.patch(calendarId=CAL, eventId="bk90001", body=props({}, many(100, "s"))).execute()
    assert len(fake.live_events(CAL)[0]["extendedProperties"]["shared"]) == 100


# ---- latency and request log -----------------------------------------------------------


def test_latency_delays_every_request_and_can_change(fake, svc):
    """latency (seconds) holds each HTTP request before it is answered."""
    svc.events().list(calendarId=CAL).execute()
    fake.latency = 0.2
    started = time.monotonic()
    svc.events().list(calendarId=CAL).execute()
    assert time.monotonic() - started >= 0.2
    fake.latency = 0.0
    started = time.monotonic()
    svc.events().list(calendarId=CAL).execute()
    assert time.monotonic() - started < 0.2
    assert FakeGoogle(latency=0.5).latency == 0.5


def test_request_log_counts_kinds(fake, svc):
    """A first booking costs a token and an insert; the log keeps path and query apart."""
    svc.events().insert(calendarId=CAL, body=booking(id="bk91000")).execute()
    assert fake.kinds() == ["token", "insert"]
    assert (fake.count("token"), fake.count("insert"), fake.count()) == (1, 1, 2)
    method, path, query = fake.request_log()[1]
    assert (method, path) == (
        "POST",
        "/calendar/v3/calendars/team%40group.calendar.google.com/events",
    )
    assert "alt=json" in query
    fake.reset_log()
    events = svc.events()
    events.get(calendarId=CAL, eventId="bk91000").execute()
    events.patch(calendarId=CAL, eventId="bk91000", body={"summary": "x"}).execute()
    events.update(calendarId=CAL, eventId="bk91000", body=booking()).execute()
    events.list(calendarId=CAL).execute()
    events.delete(calendarId=CAL, eventId="bk91000").execute()
    assert fake.kinds() == ["get", "patch", "update", "list", "delete"]
    with pytest.raises(ValueError, match="kind must be one of"):
        fake.count("inserts")


# ---- access roles, calendarList and calendars -----------------------------------------


@pytest.mark.parametrize("role", ["owner", "writer", "reader", "freeBusyReader"])
def test_access_role(fake, svc, role):
    """list answers carry accessRole; readers may not write (403 requiredAccessLevel)."""
    shared = "shared@group.calendar.google.com"
    fake.add_calendar(shared, access_role=role)
    events = svc.events()
    assert events.list(calendarId=shared).execute()["accessRole"] == role
    fake.seed_event(shared, {"id": "seeded1", **booking()})
    writes = [
        events.insert(calendarId=shared, body=booking()),
        events.patch(calendarId=shared, eventId="seeded1", body={"summary": "x"}),
        events.update(calendarId=shared, eventId="seeded1", body=booking()),
        events.delete(calendarId=shared, eventId="seeded1"),
    ]
    for request in writes:
        if role in ("owner", "writer"):
            request.execute()
            continue
        with pytest.raises(HttpError) as caught:
            request.execute()
        assert (caught.value.status_code, reason(caught.value)) == (403, "requiredAccessLevel")


def test_unknown_access_role_is_refused(fake):
    with pytest.raises(ValueError, match="access_role must be one of"):
        fake.add_calendar("x@group.calendar.google.com", access_role="editor")


def test_calendar_list_and_calendars_get(fake, connect, sa_creds):
    """calendarList.get and calendars.get for added calendars; 404 for others."""
    fake.add_calendar("ro@group.calendar.google.com", access_role="reader")
    readonly = "https://www.googleapis.com/auth/calendar.readonly"
    service = connect(sa_creds.with_scopes([readonly]))
    entry = service.calendarList().get(calendarId="ro@group.calendar.google.com").execute()
    assert (entry["id"], entry["accessRole"]) == ("ro@group.calendar.google.com", "reader")
    calendar = service.calendars().get(calendarId=CAL).execute()
    assert (calendar["id"], calendar["summary"]) == (CAL, CAL)
    for request in (
        service.calendarList().get(calendarId="unknown@group.calendar.google.com"),
        service.calendars().get(calendarId="unknown@group.calendar.google.com"),
    ):
        with pytest.raises(HttpError) as caught:
            request.execute()
        assert (caught.value.status_code, reason(caught.value)) == (404, "notFound")
    with pytest.raises(HttpError) as caught:  # calendar.readonly may read events, not write
        service.events().insert(calendarId=CAL, body=booking()).execute()
    assert (caught.value.status_code, reason(caught.value)) == (403, "insufficientPermissions")


@pytest.mark.parametrize(
    "call",
    [lambda s: s.calendarList().get(calendarId=CAL), lambda s: s.calendars().get(calendarId=CAL)],
    ids=["calendarList", "calendars"],
)
def test_events_scope_may_not_read_calendars(svc, call):
    """A calendar.events token gets 403 insufficientPermissions outside events."""
    with pytest.raises(HttpError) as caught:
        call(svc).execute()
    assert (caught.value.status_code, reason(caught.value)) == (403, "insufficientPermissions")
