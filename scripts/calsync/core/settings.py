"""Settings: one run's configuration, as values. Built once by the CLI (calsync.cli.settings)
from flags and environment; every command and adapter receives what it needs from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_CONFIG = Path(__file__).resolve().parents[3] / "config" / "team_map.yaml"
DEFAULT_CALENDLY_API = "https://api.calendly.com"


@dataclass(frozen=True)
class Settings:
    """One run's configuration. Secrets are kept here only to be handed to the adapters."""

    config_path: Path = DEFAULT_CONFIG
    dry_run: bool = False
    backend: str = "google"  # google | ics
    ics_file: Path = Path("team-calendars.ics")
    verify: bool = True  # re-fetch deliveries from the Calendly API when a token is set
    # where the webhook body comes from, in this order
    payload_arg: str | None = None
    calendly_payload: str = ""
    trigger_payload: str = ""
    # Calendly
    calendly_token: str = ""
    calendly_api_url: str = DEFAULT_CALENDLY_API
    calendly_signing_key: str = ""
    calendly_wait_budget: float = 120.0  # seconds of 429/5xx retry waits per run
    trigger_url: str = ""  # CALSYNC_TRIGGER_URL: the webhook's expected callback (doctor)
    # Google
    google_credentials: str = ""  # path of a credentials JSON file ("" = application default)
    google_delegated_user: str = ""
    google_api_endpoint: str = ""  # "" = Google's own
    google_batch_uri: str = ""  # "" = derived from the API endpoint
    timeout: float = 30.0
    retries: int = 5
    # GitLab: CI_PIPELINE_SOURCE, and whether this is a trigger pipeline (docs/security.md)
    pipeline_source: str = ""
    triggered: bool = False

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.calendly_token, self.calendly_signing_key)
