"""The one error hierarchy. The CLI turns these into a line on stderr and an exit code, once."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes: the contract with GitLab's `retry:` rules and with operators."""

    OK = 0  # done, or deliberately skipped
    TRANSIENT = 1  # failed after retries; safe to rerun
    BAD_INPUT = 2  # bad payload, config or permissions; nothing was written


class CalSyncError(Exception):
    """Base of every expected failure. ``str(err)`` is the one line shown to the operator."""

    exit_code: ExitCode = ExitCode.BAD_INPUT


class InputError(CalSyncError):
    """The payload (or a command-line argument) cannot be used."""


class ConfigError(CalSyncError):
    """The team map or the environment is wrong. ``problems`` lists every `dotted.path: message`."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class PermissionDenied(CalSyncError):
    """An API refused our credentials; retrying will not help, fixing access will."""


class VerificationError(CalSyncError):
    """The Calendly API does not confirm what the payload claims."""


class TransientError(CalSyncError):
    """A remote service kept failing after retries; a rerun is safe."""

    exit_code = ExitCode.TRANSIENT
