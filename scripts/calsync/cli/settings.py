"""The one place that reads the environment: flags first, then variables, then defaults."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from calsync.core.settings import DEFAULT_CALENDLY_API, DEFAULT_CONFIG, Settings
from calsync.core.trust import check_calendly_url, check_google_url

_TRUE = ("1", "true", "yes", "on")


def load_settings(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Settings:
    """The run's Settings from parsed flags and the environment (default: the process's)."""
    env = os.environ if env is None else env

    def var(name: str) -> str:
        return env.get(name, "").strip()

    def flag(name: str) -> Any:
        return getattr(args, name, None)

    config = flag("config") or var("CALSYNC_CONFIG") or DEFAULT_CONFIG
    dry_run = bool(flag("dry_run")) or var("DRY_RUN").lower() in _TRUE
    source = var("CI_PIPELINE_SOURCE")
    # GitLab sets both in trigger pipelines; either one is enough to apply the trigger rules
    triggered = source == "trigger" or var("CI_PIPELINE_TRIGGERED").lower() == "true"
    settings = Settings(
        config_path=Path(str(config)),
        dry_run=dry_run,
        backend=str(flag("backend") or var("CALSYNC_BACKEND") or "google"),
        ics_file=Path(str(flag("ics_file") or "team-calendars.ics")),
        verify=not flag("no_verify"),
        payload_arg=flag("payload"),
        calendly_payload=env.get("CALENDLY_PAYLOAD", ""),
        trigger_payload=var("TRIGGER_PAYLOAD"),
        calendly_token=var("CALENDLY_TOKEN"),
        calendly_api_url=(var("CALENDLY_API_URL") or DEFAULT_CALENDLY_API).rstrip("/"),
        calendly_signing_key=str(flag("signing_key") or var("CALENDLY_SIGNING_KEY")),
        calendly_wait_budget=_seconds(var("CALENDLY_WAIT_BUDGET"), 120.0),
        trigger_url=var("CALSYNC_TRIGGER_URL"),
        google_credentials=var("GOOGLE_APPLICATION_CREDENTIALS"),
        google_delegated_user=var("GOOGLE_DELEGATED_USER"),
        google_api_endpoint=var("GOOGLE_CALENDAR_API_ENDPOINT").rstrip("/"),
        google_batch_uri=str(flag("batch_uri") or ""),
        timeout=float(flag("timeout") or 30.0),
        retries=5 if flag("retries") is None else int(flag("retries")),
        pipeline_source=source,
        triggered=triggered,
    )
    # before any credential is loaded or any request sent, whatever the command
    check_google_url("GOOGLE_CALENDAR_API_ENDPOINT", settings.google_api_endpoint)
    check_google_url("--batch-uri", settings.google_batch_uri)
    check_calendly_url("CALENDLY_API_URL", settings.calendly_api_url)
    return settings


def _seconds(value: str, default: float) -> float:
    """A non-negative number of seconds; the default when unset or not a number."""
    try:
        seconds = float(value)
    except ValueError:
        return default
    return seconds if 0 <= seconds < float("inf") else default
