"""The Calendly client's one retry policy: X-RateLimit-Reset, a time budget, pacing. No real
sleeping: the client's injected sleep moves a fake clock that the fake's rate limit shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from calsync.adapters.calendly import CalendlyClient
from calsync.core.errors import TransientError
from conftest import FakeTime
from fakes.calendly_server import FakeCalendly

TOKEN = "rate-limit-token"


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def fake() -> Iterator[FakeCalendly]:
    with FakeCalendly(token=TOKEN, page_size=5) as server:
        yield server


def client(fake: FakeCalendly, time: FakeTime, **kw) -> CalendlyClient:
    options = {"retries": 4, "timeout": 5, "sleep": time.sleep, "clock": time.monotonic}
    return CalendlyClient(token=TOKEN, base_url=fake.base_url, **(options | kw))


def spend_window(fake: FakeCalendly, n: int) -> None:
    """Another job of the same token uses up the window."""
    own = FakeTime()
    with CalendlyClient(
        token=TOKEN, base_url=fake.base_url, retries=0, sleep=own.sleep, clock=own.monotonic
    ) as other:
        for _ in range(n):
            other.me()


def test_429_with_only_reset_waits_the_reset(fake, time):
    """No Retry-After: the client waits X-RateLimit-Reset seconds, then the retry succeeds."""
    fake.rate_limit(2, per=45, clock=time.monotonic)
    spend_window(fake, 2)
    with client(fake, time) as api:
        assert api.me()["uri"] == fake.user["uri"]
        assert api.request_count == 2
        assert api.pacing.waited == 45
    assert time.slept == [45]
    assert fake.rejected == 1


def test_a_wait_beyond_the_budget_is_not_made(fake, time):
    """A reset further away than the remaining budget: exit-1 error at once, nothing slept."""
    fake.rate_limit(1, per=600, clock=time.monotonic)
    spend_window(fake, 1)
    with client(fake, time, time_budget=120) as api, pytest.raises(TransientError) as err:
        api.me()
    assert str(err.value) == (
        "Calendly API rate limit: HTTP 429 after 1 tries; waiting 600 s more would exceed the "
        "time budget (0 of 120 s spent) (GET /users/me); rerun later"
    )
    assert time.slept == []


def test_the_budget_is_shared_by_every_call_of_a_client(fake, time):
    """Retry waits add up across calls; once the budget is spent the next 429 gives up."""
    fake.fail(path_contains="/users/me", status=429, retry_after=50)
    with client(fake, time, time_budget=80) as api:
        api.me()  # waits 50
        fake.fail(path_contains="/users/me", status=429, retry_after=50)
        with pytest.raises(TransientError, match=r"would exceed the time budget \(50 of 80 s"):
            api.me()
    assert time.slept == [50]


def test_retry_after_is_still_honoured(fake, time):
    fake.fail(path_contains="/users/me", status=429, retry_after=7)
    with client(fake, time) as api:
        api.me()
    assert time.slept == [7]


def test_reconcile_scale_reads_are_paced_and_complete(fake, time):
    """300 members on 61 pages against 5 requests per minute: every page read, no 429, and the
    retry budget untouched: pacing waits for the reset whenever Remaining is low."""
    limit = fake.rate_limit(5, per=60, clock=time.monotonic)
    for i in range(300):
        fake.add_member(f"agent{i:03}@example.com")
    with client(fake, time, time_budget=10) as api:
        members = api.list_memberships(organization=fake.organization_uri)
        assert api.pacing.waited == 0
        paced = api.pacing.paced
    assert len(members) == 301
    assert limit.rejected == 0
    assert len(fake.calls("/organization_memberships")) == 61
    assert paced >= 60 * (61 // 5 - 1)  # about one window per 3 requests (Remaining <= 2)
