"""What a command may touch: its Settings, the three standard streams, the report so far."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import IO, Any

from calsync.core.redact import redact
from calsync.core.settings import Settings


@dataclass
class Context:
    settings: Settings
    stdin: IO[str]
    stdout: IO[str]
    stderr: IO[str]
    report: dict[str, Any] = field(default_factory=dict)  # filled in as facts become known

    def say(self, line: str) -> None:
        """A human line on stdout (before the JSON report); a closed stdout is not an error."""
        with contextlib.suppress(BrokenPipeError):
            print(redact(line), file=self.stdout)
