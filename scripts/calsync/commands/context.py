"""What a command may touch: its Settings, the three standard streams, the report so far, time."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from calsync.core.redact import redact
from calsync.core.settings import Settings


@dataclass(frozen=True)
class Clock:
    """Time as the HTTP clients see it; tests pass a fake one so nothing really sleeps."""

    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.monotonic


@dataclass
class Context:
    settings: Settings
    stdin: IO[str]
    stdout: IO[str]
    stderr: IO[str]
    report: dict[str, Any] = field(default_factory=dict)  # filled in as facts become known
    clock: Clock = field(default_factory=Clock)

    def say(self, line: str) -> None:
        """A human line on stdout (before the JSON report); a closed stdout is not an error."""
        with contextlib.suppress(BrokenPipeError):
            print(redact(line), file=self.stdout)
