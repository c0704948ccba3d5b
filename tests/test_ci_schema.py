"""Static checks of .gitlab-ci.yml: GitLab's schema, and the settings the design relies on."""

from __future__ import annotations

import re
import shlex
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CI_FILE = ROOT / ".gitlab-ci.yml"
VENV_BIN = Path(sys.executable).parent
# Retry reasons that would also match a script exiting 2 (bad input): never allowed.
RETRIES_EXIT_2 = {"always", "script_failure", "unknown_failure"}


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CI_FILE.read_text(encoding="utf-8"))
    return data


def test_gitlab_ci_schema():
    tool = VENV_BIN / "check-jsonschema"
    assert tool.exists(), f"{tool} missing: pip install -r requirements-dev.txt"
    done = subprocess.run(
        [str(tool), "--builtin-schema", "vendor.gitlab-ci", str(CI_FILE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_sync_jobs_run_side_by_side_and_are_never_cancelled(ci):
    """No global lock: conditional writes keep concurrent deliveries correct."""
    for name in ("calendar-sync", "reconcile"):
        assert "resource_group" not in ci[name]
        assert ci[name]["interruptible"] is False


@pytest.mark.parametrize("name", ["calendar-sync", "reconcile"])
def test_retry_only_transient_failures(ci, name):
    retry = ci[name]["retry"]
    assert retry["exit_codes"] == [1]
    assert 2 not in retry["exit_codes"]
    assert not RETRIES_EXIT_2 & set(retry["when"]), retry["when"]
    assert "job_execution_timeout" in retry["when"]
    assert retry["max"] <= 2


def test_image_pinned_to_a_patch_release(ci):
    images = [ci["default"]["image"]]
    images += [job["image"] for job in ci.values() if isinstance(job, dict) and "image" in job]
    for image in images:
        name = image if isinstance(image, str) else image["name"]
        assert re.fullmatch(r"python:\d+\.\d+\.\d+(-[a-z0-9.-]+)?(@sha256:[0-9a-f]{64})?", name), (
            name
        )


def test_pasted_payload_is_not_expanded(ci):
    payload = ci["variables"]["CALENDLY_PAYLOAD"]
    assert payload["expand"] is False
    assert payload["value"] == ""
    assert payload["description"]


@pytest.mark.parametrize("name", ["calendar-sync", "reconcile"])
def test_report_kept_as_artifact_even_on_failure(ci, name):
    job = ci[name]
    assert job["artifacts"]["when"] == "always"
    assert "report.json" in job["artifacts"]["paths"]
    assert "--report-file report.json" in "\n".join(job["script"])


def test_trigger_always_gets_calendar_sync(ci):
    """No changes:/exists: on the trigger rule: else GitLab answers the webhook with 400."""
    rules = ci["calendar-sync"]["rules"]
    trigger = [rule for rule in rules if "trigger" in rule.get("if", "")]
    assert trigger == [{"if": '$CI_PIPELINE_SOURCE == "trigger"'}]
    assert {"if": '$CI_PIPELINE_SOURCE == "trigger"'} in ci["workflow"]["rules"]


def test_validate_checks_config_first_and_skips_pipeline_tests(ci):
    script = ci["validate"]["script"]
    check = next(i for i, line in enumerate(script) if "validate-config" in line)
    make = next(i for i, line in enumerate(script) if line.startswith("make "))
    assert check < make
    assert script[make] == "make lint test-fast"


def _cli_commands(ci: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Every `python scripts/calendly_gcal.py ...` line of every job, variables filled in."""
    found = []
    for name, job in ci.items():
        if not isinstance(job, dict) or "script" not in job:
            continue
        values = {k: v["value"] if isinstance(v, dict) else v for k, v in ci["variables"].items()}
        values |= job.get("variables", {})
        for line in "\n".join(job["script"]).splitlines():
            match = re.search(r"python scripts/calendly_gcal\.py (.*)$", line)
            if match:
                text = string.Template(match[1]).safe_substitute(values)
                found.append((name, shlex.split(text)))
    return found


def test_job_command_lines_parse(ci):
    """The CLI accepts each job's arguments with the YAML defaults (e.g. --since=-2d)."""
    from calsync.cli.parser import build_parser

    commands = _cli_commands(ci)
    assert {name for name, _ in commands} == {"validate", "calendar-sync", "reconcile", "doctor"}
    for name, argv in commands:
        try:
            build_parser().parse_args(argv)
        except SystemExit as exit_:
            pytest.fail(f"{name}: the CLI rejects {argv} (exit {exit_.code})")


JOBS_WITH_CACHE = ("validate", "reconcile")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _uv_pin(path: str) -> str:
    found = re.search(r"^uv==(\S+)$", (ROOT / path).read_text(encoding="utf-8"), re.MULTILINE)
    assert found, f"no uv pin in {path}"
    return found[1]


def test_uv_pinned_alike_everywhere(ci):
    """The job's uv, the Makefile's and the test venv's are one version (the offline
    pipeline tests use the test venv's uv only when it is the job's pin)."""
    version = ci["variables"]["UV_VERSION"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
    assert _uv_pin("requirements-dev.txt") == version
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(rf"^UV_VERSION := {re.escape(version)}$", makefile, re.MULTILINE)


def test_venv_cache_key_names_python_and_uv(ci):
    """A venv only fits the interpreter it was built with: a new image needs a new key."""
    python = re.match(r"python:(\d+\.\d+\.\d+)", ci["default"]["image"])
    assert python, ci["default"]["image"]
    caches = [ci["default"]["cache"]]
    caches += [c for job in JOBS_WITH_CACHE for c in _as_list(ci[job]["cache"])]
    for cache in caches:
        assert f"-py{python[1]}-uv{ci['variables']['UV_VERSION']}" in cache["key"]["prefix"]
        assert "requirements.txt" in cache["key"]["files"]
        assert all(path.startswith((".cache/", "scripts/calsync/")) for path in cache["paths"])


def test_sync_jobs_read_the_venv_cache_and_setup_comes_first(ci):
    """Webhook jobs never upload the cache; every job activates the venv before anything."""
    assert "cache" not in ci["calendar-sync"]  # the default: pull only
    assert ci["default"]["cache"]["policy"] == "pull"
    assert ".cache/venv" in ci["default"]["cache"]["paths"]
    for name in ("validate", "calendar-sync", "reconcile", "doctor"):
        first = ci[name]["before_script"][0]
        assert first == ". .ci/venv.sh && calsync_venv .cache/venv requirements.txt", name
        assert "pip install" not in "\n".join(ci[name]["before_script"]), name


def test_manual_runs_choose_sync_or_doctor(ci):
    """A web pipeline runs calendar-sync or doctor, as CALSYNC_JOB says, never both; a
    trigger pipeline always gets calendar-sync and never doctor, whatever CALSYNC_JOB is."""
    choice = ci["variables"]["CALSYNC_JOB"]
    assert (choice["value"], choice["options"]) == ("sync", ["sync", "doctor"])
    assert "doctor" in choice["description"]
    sync_rules = [rule["if"] for rule in ci["calendar-sync"]["rules"]]
    assert sync_rules == [
        '$CI_PIPELINE_SOURCE == "trigger"',
        '$CI_PIPELINE_SOURCE == "web" && $CALSYNC_JOB == "sync"',
    ]
    assert ci["doctor"]["rules"] == [
        {"if": '$CI_PIPELINE_SOURCE == "web" && $CALSYNC_JOB == "doctor"'}
    ]
    # same credentials setup as the sync jobs, and the report kept for the operator
    assert ci["doctor"]["before_script"] == ci["calendar-sync"]["before_script"]
    assert ci["doctor"]["id_tokens"] == ci["calendar-sync"]["id_tokens"]
    assert ci["doctor"]["artifacts"]["when"] == "always"
    assert "retry" not in ci["doctor"]
    assert ci["doctor"]["script"] == [
        "python scripts/calendly_gcal.py doctor --report-file report.json"
    ]
