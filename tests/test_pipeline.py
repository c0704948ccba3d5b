"""Run .gitlab-ci.yml for real: gitlab-ci-local (shell executor) in a throw-away git repo.

The jobs are the real ones (job setup, the shell guards, the CLI); only Google is
fake: the in-process FakeGoogle on 127.0.0.1, reached by the job over loopback through
GOOGLE_CALENDAR_API_ENDPOINT and a service-account key whose token_uri points at it.

How gitlab-ci-local 4.73.0 is driven (and where it differs from GitLab):
- the pipeline source is a --variable, with GCL_IGNORE_PREDEFINED_VARS=CI_PIPELINE_SOURCE;
  the whole pipeline is run (naming a job would run it even when its rules exclude it);
- --variable values are $-expanded: every `$` of a pasted payload is doubled;
- the job's shell inherits our environment: the venv of this checkout goes first on PATH and
  stays active (VIRTUAL_ENV), so the job setup (.ci/venv.sh) uses it and its uv instead of
  building .cache/venv; UV_OFFLINE=1 and PIP_NO_INDEX=1 keep uv and pip off the network;
  CALENDLY_* of the caller are removed; trigger runs get CALENDLY_TOKEN and CALENDLY_API_URL
  of the in-process FakeCalendly (loopback), as a trigger delivery must be verified
  (docs/security.md);
- `rules:changes` compares HEAD with origin/<default branch>, so a push pipeline on an
  unchanged main gets no job (GitLab would run `validate` on a new branch's first push);
- retry, resource_group, id_tokens and timeout are not emulated.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

from builders import SENTINEL_ANSWER, SENTINEL_EMAIL, SENTINEL_NAME, sample, trigger_wrap, webhook
from conftest import GLOBAL, SECRET_TOKEN, TEAM_MAP, USGOV, run_cli
from fakes.calendly_server import FakeCalendly
from fakes.google_server import FakeGoogle

pytestmark = pytest.mark.pipeline

ROOT = Path(__file__).resolve().parents[1]
GCL = ROOT / ".cache" / "gitlab-ci-local" / "node_modules" / ".bin" / "gitlab-ci-local"
VENV_BIN = Path(sys.executable).parent  # the venv running these tests has the requirements
OPERATOR_MAP = str(Path("config", "team_map.yaml"))  # where the jobs read the team map
JOBS = ("validate", "calendar-sync", "reconcile", "doctor")
RUN_TIMEOUT = 120  # seconds; a run takes about 2 s
# What the jobs need from the checkout (no tests/, no .venv/, no .cache/).
COPY = (
    ".gitlab-ci.yml",
    ".gitignore",
    ".ci/*",
    "Makefile",
    "pyproject.toml",
    "requirements*.txt",
    "scripts/*",
    "config/*",
)
# Never inherited by the job: it would change what the CLI does (or which pipeline it is).
DROP_PREFIXES = (
    "CI_", "GITLAB_", "GCL_", "GOOGLE_", "CALENDLY_", "CALSYNC_", "PIP_", "UV_", "PYTHON"
)  # fmt: skip
DROP = {"CI", "TRIGGER_PAYLOAD", "DRY_RUN", "VIRTUAL_ENV", "RECONCILE_SINCE"}
PERSONAL = (SENTINEL_EMAIL, SENTINEL_NAME, SENTINEL_ANSWER)
WRITES = ("POST", "PUT", "PATCH", "DELETE")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FINISHED = re.compile(
    r"^(?P<job>[\w.-]+) +finished in [^\n]*?(?:FAIL (?P<code>\d+))?\s*$", re.MULTILINE
)
_SUMMARY = re.compile(r"^ (?P<status>PASS|FAIL|WARN) +(?P<job>[\w.-]+)\s*$", re.MULTILINE)


def _git_env() -> dict[str, str]:
    """git without the user's or the system's config (hooks, signing, default branch)."""
    return {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Pipeline Test",
        "GIT_AUTHOR_EMAIL": "pipeline@test.invalid",
        "GIT_COMMITTER_NAME": "Pipeline Test",
        "GIT_COMMITTER_EMAIL": "pipeline@test.invalid",
    }


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, env=_git_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def missing_tools() -> list[str]:
    missing = []
    if not GCL.exists():
        missing.append(f"gitlab-ci-local ({GCL.relative_to(ROOT)}; run `make tools`)")
    missing += [tool for tool in ("node", "rsync", "git") if shutil.which(tool) is None]
    return missing


def require_tools() -> None:
    """Skip on a laptop without the tools; in CI (CI=true) a missing tool is a failure."""
    missing = missing_tools()
    if not missing:
        return
    why = "the pipeline tests need " + ", ".join(missing)
    if os.environ.get("CI") == "true":
        pytest.fail(why + " (CI=true: not skipping)", pytrace=False)
    pytest.skip(why)


def make_repo(dest: Path) -> Path:
    """A git repo holding this checkout's pipeline files, committed on main = origin/main."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        env=_git_env(),
        capture_output=True,
        check=True,
    ).stdout
    files = sorted(
        name
        for name in listed.decode().split("\0")
        if name
        and not name.startswith((".venv/", ".cache/"))
        and "__pycache__" not in name
        and any(fnmatch(name, pattern) for pattern in COPY)
        and (ROOT / name).is_file()
        and name != OPERATOR_MAP
    )
    assert ".gitlab-ci.yml" in files, files
    assert "config/team_map.schema.json" in files, files
    for name in files:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    # The jobs run with the tests' own map; the operator's is never copied, nor read.
    shutil.copy2(TEAM_MAP, dest / OPERATOR_MAP)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "--no-gpg-sign", "-m", "pipeline test base")
    # A project path of our own: gitlab-ci-local names its temp dirs after it.
    git(
        dest, "remote", "add", "origin", f"https://gitlab.example.com/calsync-tests/{dest.name}.git"
    )
    git(dest, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(dest, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    return dest


@dataclass
class Run:
    code: int  # gitlab-ci-local's exit code
    out: str
    err: str
    repo: Path
    seconds: float

    @property
    def text(self) -> str:
        return self.out + "\n" + self.err

    def job_code(self, job: str) -> int | None:
        """The job's own exit code: 0 when it passed, None when it did not run."""
        for match in _FINISHED.finditer(self.text):
            if match["job"] == job:
                return int(match["code"] or 0)
        return None

    def status(self, job: str) -> str | None:
        """PASS / FAIL / WARN from the pipeline summary, None when the job did not run."""
        found = {m["job"]: m["status"] for m in _SUMMARY.finditer(self.out)}
        return found.get(job)

    def log(self, job: str) -> str:
        path = self.repo / ".gitlab-ci-local" / "output" / f"{job}.log"
        return _ANSI.sub("", path.read_text(encoding="utf-8")) if path.exists() else ""

    def report(self) -> dict[str, Any]:
        path = self.repo / "report.json"
        assert path.exists(), f"no report.json; job output:\n{self.text}"
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def artifact(self, job: str) -> dict[str, Any]:
        path = self.repo / ".gitlab-ci-local" / "artifacts" / job / "report.json"
        assert path.exists(), f"report.json was not exported as an artifact of {job}"
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def describe(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


class Pipeline:
    """gitlab-ci-local in one repo, with an environment that cannot reach the real world."""

    def __init__(self, repo: Path, home: Path) -> None:
        self.repo = repo
        self.home = home

    def env(self, extra: Mapping[str, str]) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if k not in DROP and not k.startswith(DROP_PREFIXES)
        }
        env.update(
            PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
            VIRTUAL_ENV=str(VENV_BIN.parent),
            PIP_NO_INDEX="1",
            UV_OFFLINE="1",
            GCL_IGNORE_PREDEFINED_VARS="CI_PIPELINE_SOURCE",
            FORCE_COLOR="0",
        )
        env.update(extra)
        return env

    def _argv(self, source: str, variables: Mapping[str, str]) -> list[str]:
        argv = [
            str(GCL),
            "--home",
            str(self.home),
            "--force-shell-executor",
            # GitLab's schema is checked once, by check-jsonschema (make lint,
            # tests/test_ci_schema.py); here it would cost every run ~0.6 s of CPU
            "--no-json-schema-validation",
            "--variable",
            f"CI_PIPELINE_SOURCE={source}",
        ]
        for key, value in variables.items():
            # gitlab-ci-local $-expands --variable values: `$$` is a literal `$`.
            argv += ["--variable", f"{key}={value.replace('$', '$$')}"]
        return argv

    def run(
        self,
        source: str,
        variables: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Run:
        """The whole pipeline of `source` (every job its rules give it)."""
        (self.repo / "report.json").unlink(missing_ok=True)
        for stale in ("artifacts", "output"):  # no log or report of an earlier run
            shutil.rmtree(self.repo / ".gitlab-ci-local" / stale, ignore_errors=True)
        started = time.monotonic()
        try:
            done = subprocess.run(
                self._argv(source, variables or {}),
                cwd=self.repo,
                env=self.env(env or {}),
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT,
                check=False,
            )
        finally:
            self.clean_temp()
        return Run(
            done.returncode,
            _ANSI.sub("", done.stdout),
            _ANSI.sub("", done.stderr),
            self.repo,
            time.monotonic() - started,
        )

    def jobs(self, source: str, variables: Mapping[str, str] | None = None) -> set[str]:
        """The jobs a pipeline of `source` would get (`--list-json`: when != never)."""
        done = subprocess.run(
            [*self._argv(source, variables or {}), "--list-json"],
            cwd=self.repo,
            env=self.env({}),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        listed = json.loads(done.stdout)
        assert {job["name"] for job in listed} == set(JOBS), listed
        return {job["name"] for job in listed if job["when"] != "never"}

    def clean_temp(self) -> None:
        """gitlab-ci-local's file-variable dirs: /tmp/gitlab-ci-local-file-variables-<slug>-N."""
        for path in Path("/tmp").glob(f"gitlab-ci-local-file-variables-*{self.repo.name}-*"):
            shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def tools() -> None:
    require_tools()


def new_pipeline(tmp: pytest.TempPathFactory) -> Pipeline:
    base = tmp.mktemp("pipeline")
    repo = base / f"calsync-{uuid.uuid4().hex[:10]}"
    repo.mkdir()
    home = base / "home"
    home.mkdir()
    return Pipeline(make_repo(repo), home)


@pytest.fixture(scope="module")
def pipeline(tools: None, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """One repo for the runs that do not change it (each starts from a clean report)."""
    return new_pipeline(tmp_path_factory)


@pytest.fixture
def payload_file(tmp_path: Path):
    """payload_file(body) -> absolute path of what GitLab writes for TRIGGER_PAYLOAD."""

    def write(body: dict[str, Any], name: str = "trigger_payload.json") -> str:
        path = tmp_path / name
        path.write_text(json.dumps(trigger_wrap(body)), encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def calendly() -> Iterator[FakeCalendly]:
    with FakeCalendly(token=SECRET_TOKEN) as fake:
        yield fake


@pytest.fixture
def trigger_env(google_env: dict[str, str], calendly: FakeCalendly) -> dict[str, str]:
    """A trigger job's environment: Google fake, and a token for the Calendly fake."""
    return {**google_env, "CALENDLY_TOKEN": SECRET_TOKEN, "CALENDLY_API_URL": calendly.base_url}


def known(calendly: FakeCalendly, body: dict[str, Any]) -> dict[str, Any]:
    """The body with its URIs on the Calendly fake, which now knows the booking."""
    body = json.loads(json.dumps(body).replace("https://api.calendly.com", calendly.base_url))
    invitee = json.loads(json.dumps(body["payload"]))
    calendly.add_scheduled_event(invitee.pop("scheduled_event"))
    calendly.add_invitee(invitee)
    return body


def calendar_writes(fake: FakeGoogle) -> list[tuple[str, str]]:
    return [(m, p) for m, p in fake.requests if m in WRITES and p.startswith("/calendar/")]


def assert_private(run: Run, job: str) -> None:
    """No personal data of the invitee in anything the pipeline printed or kept."""
    kept = run.text + run.log(job)
    if (run.repo / "report.json").exists():
        kept += (run.repo / "report.json").read_text(encoding="utf-8")
    for secret in PERSONAL:
        assert secret not in kept, f"{secret!r} leaked into the job output"


# ---- trigger: the Calendly webhook ----------------------------------------------------


def test_trigger_creates_event_and_replay_is_unchanged(
    pipeline, fake_google, calendly, trigger_env, payload_file
):
    path = payload_file(known(calendly, webhook("invitee.created", name="Global Support Call")))

    first = pipeline.run("trigger", {"TRIGGER_PAYLOAD": path}, env=trigger_env)

    assert first.code == 0, first.describe()
    assert first.job_code("calendar-sync") == 0
    assert first.status("calendar-sync") == "PASS"
    assert {job: first.status(job) for job in ("validate", "reconcile")} == {
        "validate": None,
        "reconcile": None,
    }
    report = first.report()
    assert report["action"] == "created", report
    assert report["calendar_id"] == GLOBAL
    assert report["team"] == "global"
    assert report["exit_code"] == 0
    assert report["dry_run"] is False
    assert report["verified"] is True  # re-read from the Calendly API with CALENDLY_TOKEN
    assert report["payload_source"].startswith("TRIGGER_PAYLOAD (GitLab trigger wrapper")
    assert first.artifact("calendar-sync") == report
    assert "Google credentials: service-account key file variable" in first.log("calendar-sync")
    live = fake_google.live_events(GLOBAL)
    assert len(live) == 1
    assert live[0]["id"] == report["event_id"]
    assert live[0]["summary"] == "Global Support Call"
    assert fake_google.live_events(USGOV) == []
    assert_private(first, "calendar-sync")

    # Calendly retries, or a second subscription delivers the same webhook again.
    fake_google.reset_log()
    stored = fake_google.events(GLOBAL, include_deleted=True)
    replay = pipeline.run("trigger", {"TRIGGER_PAYLOAD": path}, env=trigger_env)

    assert replay.code == 0, replay.describe()
    assert replay.job_code("calendar-sync") == 0
    again = replay.report()
    assert again["action"] == "unchanged", again
    assert again["event_id"] == report["event_id"]
    # the insert is the existence check: it answers 409, the event is read back, nothing changes
    assert [m for m, _ in calendar_writes(fake_google)] == ["POST"]
    assert fake_google.events(GLOBAL, include_deleted=True) == stored
    assert [e["id"] for e in fake_google.events(GLOBAL, include_deleted=True)] == [live[0]["id"]]


def test_trigger_non_team_booking_is_skipped_without_touching_google(
    pipeline, fake_google, calendly, trigger_env, payload_file
):
    body = webhook(name="Sales Intro", event="EVSALES0000001", invitee="INVSALES000001")
    body = known(calendly, body)

    run = pipeline.run("trigger", {"TRIGGER_PAYLOAD": payload_file(body)}, env=trigger_env)

    # Exit 0: a trigger whose booking is not ours must not look like a failed delivery.
    assert run.code == 0, run.describe()
    assert run.job_code("calendar-sync") == 0
    assert run.status("calendar-sync") == "PASS"
    report = run.report()
    assert report["action"] == "skipped", report
    assert report["exit_code"] == 0
    assert run.artifact("calendar-sync") == report
    assert fake_google.requests == []
    assert fake_google.tokens_issued == 0
    assert fake_google.events(GLOBAL, include_deleted=True) == []
    assert fake_google.events(USGOV, include_deleted=True) == []
    assert_private(run, "calendar-sync")


def test_trigger_bundled_sample_is_accepted(
    pipeline, fake_google, calendly, trigger_env, payload_file
):
    """The sample operators copy from (samples/) goes through the real job too."""
    body = known(calendly, sample("invitee_created"))
    run = pipeline.run("trigger", {"TRIGGER_PAYLOAD": payload_file(body)}, env=trigger_env)

    assert run.code == 0, run.describe()
    report = run.report()
    assert report["action"] == "created", (
        report
    )  # samples/invitee_created.json: "Global Support Call"
    assert report["calendar_id"] == GLOBAL
    assert [e["id"] for e in fake_google.live_events(GLOBAL)] == [report["event_id"]]
    assert_private(run, "calendar-sync")


def test_trigger_without_token_is_refused(pipeline, fake_google, google_env, payload_file):
    """No CALENDLY_TOKEN in a trigger job: exit 2 saying how to fix it, nothing written."""
    path = payload_file(webhook("invitee.created", name="Global Support Call"))

    run = pipeline.run("trigger", {"TRIGGER_PAYLOAD": path}, env=google_env)

    assert run.job_code("calendar-sync") == 2, run.describe()
    report = run.report()
    assert (report["action"], report["exit_code"]) == ("error", 2)
    assert "trigger pipeline without payload verification" in report["reason"]
    assert fake_google.requests == []


def test_trigger_with_pipeline_variables_is_refused(
    pipeline, fake_google, calendly, trigger_env, tmp_path
):
    """A trigger request that set pipeline variables: refused by name, nothing written."""
    wrapped = trigger_wrap(known(calendly, webhook(name="Global Support Call")))
    wrapped["variables"] = {"DRY_RUN": "false"}
    path = tmp_path / "trigger_payload.json"
    path.write_text(json.dumps(wrapped), encoding="utf-8")

    run = pipeline.run("trigger", {"TRIGGER_PAYLOAD": str(path)}, env=trigger_env)

    assert run.job_code("calendar-sync") == 2, run.describe()
    assert "set pipeline variables (DRY_RUN)" in run.report()["reason"]
    assert fake_google.requests == []


# ---- web: Build > Pipelines > New pipeline, payload pasted ---------------------------


def test_web_pasted_payload_is_synced_verbatim(pipeline, fake_google, google_env):
    # `$NAME` in a pasted value is data: with expand: false the job sees it untouched.
    name = "Global Support Call (fee US$5, ref $CI_JOB_ID ${HOME} $$)"
    body = webhook(name=name, event="EVWEB000000001", invitee="INVWEB00000001")
    pasted = json.dumps(body, indent=2)  # multi-line, as pasted into the form
    assert "\n" in pasted
    assert "$" in pasted

    run = pipeline.run("web", {"CALENDLY_PAYLOAD": pasted}, env=google_env)

    assert run.code == 0, run.describe()
    assert run.job_code("calendar-sync") == 0
    report = run.report()
    assert report["action"] == "created", report
    assert report["payload_source"].startswith("CALENDLY_PAYLOAD (raw JSON)"), report
    assert report["dry_run"] is False
    live = fake_google.live_events(GLOBAL)
    assert [e["summary"] for e in live] == [name]
    assert_private(run, "calendar-sync")


def test_web_dry_run_writes_nothing(pipeline, fake_google, google_env):
    body = webhook(event="EVDRY000000001", invitee="INVDRY00000001")

    run = pipeline.run(
        "web", {"CALENDLY_PAYLOAD": json.dumps(body, indent=2), "DRY_RUN": "true"}, env=google_env
    )

    assert run.code == 0, run.describe()
    assert run.job_code("calendar-sync") == 0
    report = run.report()
    assert report["dry_run"] is True, report
    assert report["action"] == "created", report  # what a real run would do
    assert report["reason"].startswith("would "), report
    assert calendar_writes(fake_google) == []
    assert fake_google.events(GLOBAL, include_deleted=True) == []
    assert_private(run, "calendar-sync")


def test_web_without_payload_fails_with_exit_2(pipeline, fake_google, google_env):
    run = pipeline.run("web", env=google_env)

    assert run.code == 1, run.describe()  # gitlab-ci-local: some job failed
    assert run.job_code("calendar-sync") == 2  # bad input: never retried
    assert run.status("calendar-sync") == "FAIL"
    log = run.log("calendar-sync")
    assert "error: no payload: pass --payload PATH|-, or paste the Calendly webhook JSON" in log
    report = json.loads((run.repo / "report.json").read_text())  # kept for the operator
    assert (report["action"], report["exit_code"]) == ("error", 2)
    assert fake_google.requests == []


# ---- which jobs each pipeline source gets ---------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("trigger", {"calendar-sync"}),
        ("web", {"calendar-sync"}),
        ("schedule", {"reconcile"}),
        # HEAD == origin/main: `changes:` finds nothing, so no job (GitLab: same for a
        # push to an existing branch that touches none of the paths).
        ("push", set()),
        ("merge_request_event", set()),
        # Sources the workflow does not list get no job either.
        ("api", set()),
    ],
)
def test_jobs_per_source_without_changes(pipeline, source, expected):
    assert pipeline.jobs(source) == expected


@pytest.mark.parametrize(
    ("source", "choice", "expected"),
    [
        ("web", "doctor", {"doctor"}),
        ("web", "sync", {"calendar-sync"}),
        # a trigger caller setting variables[CALSYNC_JOB] changes nothing
        ("trigger", "doctor", {"calendar-sync"}),
    ],
)
def test_calsync_job_picks_the_manual_job(pipeline, source, choice, expected):
    assert pipeline.jobs(source, {"CALSYNC_JOB": choice}) == expected


def test_web_doctor_checks_the_deployment_and_writes_nothing(
    pipeline, fake_google, calendly, trigger_env
):
    """The doctor job runs with the job's credentials; every check passes against the fakes
    (the shipped team map's calendars, an active subscription), and nothing is written."""
    hook = "https://gitlab.example.com/api/v4/projects/42/ref/main/trigger/pipeline?token=glptt-x1y2z3w4"
    done = run_cli(["webhooks", "create", "--url", hook], trigger_env)
    assert done.code == 0, done.err
    before = len(calendly.request_log)

    run = pipeline.run("web", {"CALSYNC_JOB": "doctor"}, env=trigger_env)

    assert run.code == 0, run.describe()
    assert run.job_code("doctor") == 0
    assert run.status("calendar-sync") is None
    log = run.log("doctor")
    assert "ok   calendar global: c_global@group.calendar.google.com" in log, log
    assert "ok   webhook subscription: organization subscription" in log, log
    assert "glptt-x1y2z3w4" not in run.text + log
    report = run.report()
    assert (report["command"], report["exit_code"]) == ("doctor", 0)
    assert run.artifact("doctor") == report
    assert calendar_writes(fake_google) == []
    assert [r for r in calendly.request_log[before:] if r.method != "GET"] == []


# ---- merge requests: validate, and only validate --------------------------------------


def test_merge_request_validates_and_broken_team_map_fails(
    tools, tmp_path_factory, fake_google, google_env
):
    mr = new_pipeline(tmp_path_factory)
    team_map = mr.repo / "config" / "team_map.yaml"
    git(mr.repo, "checkout", "-q", "-b", "fix-team-map")
    team_map.write_text(team_map.read_text() + "# reviewed\n", encoding="utf-8")
    git(mr.repo, "commit", "-q", "--no-gpg-sign", "-am", "touch the team map")

    assert mr.jobs("merge_request_event") == {"validate"}
    assert mr.jobs("push") == {"validate"}
    assert mr.jobs("trigger") == {"calendar-sync"}  # a changed config never adds validate

    text = team_map.read_text(encoding="utf-8")
    assert "  - team: us-government" in text
    broken = text.replace("  - team: us-government", "  - team: no-such-team", 1)
    team_map.write_text(broken, encoding="utf-8")
    git(mr.repo, "commit", "-q", "--no-gpg-sign", "-am", "route to a team that does not exist")

    run = mr.run("merge_request_event", env=google_env)

    assert run.code == 1, run.describe()
    assert run.job_code("validate") == 2
    assert run.status("validate") == "FAIL"
    assert run.status("calendar-sync") is None
    assert run.status("reconcile") is None
    log = run.log("validate")
    assert "routes.0.team: unknown team 'no-such-team'" in log, log
    assert "$ make" not in log  # the test suite never started
    assert not (mr.repo / "report.json").exists()
    assert fake_google.requests == []  # validate never talks to Google


# ---- make pipeline: the operator's end-to-end run -------------------------------------


def test_make_pipeline_runs_doctor_and_a_trigger_delivery(tools):
    """samples/pipeline.sh (make pipeline): the fakes as processes, doctor green, the sample
    delivery created once, its replay unchanged, and nothing left behind."""
    done = subprocess.run(
        ["bash", str(ROOT / "samples" / "pipeline.sh")],
        cwd=ROOT,
        env={**os.environ, "PY": sys.executable, "GCL": str(GCL), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    out = _ANSI.sub("", done.stdout)
    assert "report.json: action=checked exit_code=0\n  all 8 checks passed" in out
    assert "report.json: action=created exit_code=0 calendar=c_pipeline_global@" in out
    assert "report.json: action=unchanged exit_code=0" in out
    assert "confirmed  2026-11-26T16:00:00Z  Global Support Call" in out
    assert "pipeline-demo-trigger" not in out + done.stderr  # the trigger token stays masked
    assert "pat.customer@example.org" not in out  # the sample invitee is never shown
