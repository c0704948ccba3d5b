"""The one retry policy of the Calendly client (calendly_http mounts it on its session).

The policy: 5xx and 429 are retried; a 429 waits
``X-RateLimit-Reset`` seconds (Calendly sends no ``Retry-After`` there; it is honoured when
present), other retries back off exponentially. Every retry wait is charged to one time budget
for the client's life (``time_budget``): a wait that would overrun it is not made, and the call
fails as transient (exit 1, safe to rerun). Pacing keeps bulk reads from meeting 429 at all: when
an answer says ``X-RateLimit-Remaining`` is low, the next request first waits for the window to
reset. Pacing waits are part of the work (a reconcile of thousands of meetings takes as many
windows as it needs) and are not charged to the budget. Time is injectable (``sleep``/``clock``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

TIME_BUDGET = 120.0  # seconds of retry waits per client, by default
LOW_REMAINING = 2  # pace when X-RateLimit-Remaining is at most this
MAX_PACE = 120.0  # seconds; a longer X-RateLimit-Reset is not believed for pacing


@dataclass
class Pacing:
    """Time for one client: injectable sleep and clock, the retry budget, the pacing state."""

    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    budget: float = TIME_BUDGET
    low: int = LOW_REMAINING
    waited: float = 0.0  # retry waits so far (charged to the budget)
    paced: float = 0.0  # pacing waits so far (not charged)
    refused: float = 0.0  # a retry wait that was not made because it would overrun the budget
    resume_at: float = 0.0

    def affordable(self, seconds: float) -> bool:
        if self.waited + seconds > self.budget:
            self.refused = seconds
            return False
        return True

    def retry_wait(self, seconds: float) -> None:
        if seconds > 0:
            self.waited += seconds
            self.sleep(seconds)

    def before_request(self) -> None:
        self.refused = 0.0
        pause = self.resume_at - self.clock()
        if pause > 0:
            self.paced += pause
            self.sleep(pause)

    def after_response(self, headers: Mapping[str, str]) -> None:
        remaining, reset = (
            _number(headers, "X-RateLimit-Remaining"),
            _number(headers, "X-RateLimit-Reset"),
        )
        if remaining is not None and reset is not None and remaining <= self.low:
            self.resume_at = self.clock() + min(reset, MAX_PACE)


def _number(headers: Mapping[str, str], name: str) -> float | None:
    try:
        value = float(headers.get(name, ""))
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


class RateLimitRetry(Retry):
    """urllib3 Retry that waits X-RateLimit-Reset (or Retry-After) within the Pacing budget."""

    def __init__(self, *args: Any, pacing: Pacing | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pacing = pacing if pacing is not None else Pacing()

    def new(self, **kw: Any) -> Self:
        retry = super().new(**kw)
        retry.pacing = self.pacing
        return retry

    def wait_for(self, response: Any = None) -> float:
        """Seconds to wait before the next try: what the server asked, else the backoff."""
        if response is not None:
            asked = self.get_retry_after(response)
            if asked is None:
                asked = _number(response.headers, "X-RateLimit-Reset")
            if asked is not None:
                return asked
        return self.get_backoff_time()

    def increment(self, *args: Any, **kwargs: Any) -> Self:
        retry = super().increment(*args, **kwargs)
        if not self.pacing.affordable(retry.wait_for(kwargs.get("response"))):
            pool, url = kwargs.get("_pool"), kwargs.get("url") or ""
            raise MaxRetryError(pool, url, kwargs.get("error") or ResponseError("time budget"))  # type: ignore[arg-type]
        return retry

    def sleep(self, response: Any = None) -> None:
        self.pacing.retry_wait(self.wait_for(response))
