"""Logging to stderr through the redacting formatter: WARNING by default, more with -v."""

from __future__ import annotations

import logging
import sys
import warnings
from typing import IO

from calsync.core.redact import redact


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

    def formatException(self, ei: object) -> str:  # noqa: N802 - logging's name
        return redact(super().formatException(ei))  # type: ignore[arg-type]


def setup(verbosity: int, stream: IO[str] | None = None) -> None:
    """WARNING by default, INFO with -v, DEBUG with -vv; the Google client's retries at INFO."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(
        logging.DEBUG if verbosity > 1 else logging.INFO if verbosity else logging.WARNING
    )
    # The Google client logs each retry as a WARNING; a retry that then succeeds is not one.
    logging.getLogger("googleapiclient").setLevel(logging.INFO if verbosity else logging.ERROR)
    logging.getLogger("googleapiclient.discovery_cache").setLevel(logging.ERROR)
    # urllib3 (the Calendly client) logs each retry as a WARNING too; the final error says it all.
    logging.getLogger("urllib3").setLevel(logging.NOTSET if verbosity else logging.ERROR)
    logging.captureWarnings(True)
    # Google's libraries announce, a year ahead, the end of support of the running Python;
    # that is for whoever picks the CI image, not for every job log.
    warnings.filterwarnings("ignore", message=".*Python version.*", category=FutureWarning)
