"""Shared fixtures: the fake Google server, credentials pointing at it, an in-process CLI."""

from __future__ import annotations

import gc
import io
import json
import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import is_hypothesis_test

import sharding
from builders import GLOBAL, USGOV
from calsync import cli
from calsync.commands.context import Clock
from fakes.calendly_server import FakeCalendly
from fakes.google_server import FakeGoogle, write_service_account_file

ROOT = Path(__file__).resolve().parents[1]
# The tests' own team map: tests never read the shipped map (an operator replaces it).
TEAM_MAP = Path(__file__).resolve().parent / "data" / "team_map.yaml"
SECRET_TOKEN = "calendly-sentinel-token-5b9e1c"
# The operator's map (and its lock file): no test may open them, whatever they hold.
SHIPPED_MAP = ROOT / "config" / "team_map.yaml"
_SHIPPED = {str(SHIPPED_MAP), str(SHIPPED_MAP.with_name("team_map.lock.yaml"))}
_SHIPPED_OPENED: list[str] = []
_SHARD = pytest.StashKey[tuple[int, int] | None]()


def _shipped_map_guard(event: str, args: tuple[Any, ...]) -> None:
    """Audit hook: note every open() of the shipped map, in this process (the CLI runs here)."""
    if event == "open" and args and isinstance(args[0], str | os.PathLike):
        path = os.fspath(args[0])
        if isinstance(path, str) and os.path.abspath(path) in _SHIPPED:  # noqa: PTH100 (no I/O in a hook)
            _SHIPPED_OPENED.append(path)


sys.addaudithook(_shipped_map_guard)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shard",
        metavar="K/N",
        help="run only the K-th of N disjoint parts of the selected tests (make test-fast)",
    )


def pytest_configure(config: pytest.Config) -> None:
    spec = config.getoption("shard")
    try:
        config.stash[_SHARD] = sharding.parse(spec) if spec else None
    except ValueError as err:
        raise pytest.UsageError(str(err)) from None


@pytest.hookimpl(trylast=True)  # after -m and -k have chosen
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long tests first (pipeline runs, slow and property tests), the rest in file order:
    the workers (`--dist load`, small chunks) then take them longest first, and no worker is
    left with a long test when the others have run dry. With --shard K/N, only this shard's
    part of them (tests/sharding.py)."""
    items.sort(key=lambda item: not _long(item))
    shard = config.stash[_SHARD]
    if shard:
        kept, dropped = sharding.pick(items, *shard, key=lambda item: item.nodeid, long=_long)
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _long(item: pytest.Item) -> bool:
    marked = any(item.iter_markers("pipeline")) or any(item.iter_markers("slow"))
    return marked or is_hypothesis_test(getattr(item, "obj", None))


def pytest_collection_finish(session: pytest.Session) -> None:
    """The imported modules and collected tests live to the end: the cyclic garbage collector
    stops scanning them again on every pass (half its time in this suite)."""
    gc.collect()
    gc.freeze()


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def report(self) -> dict[str, Any]:
        lines = self.out.strip().splitlines()
        assert lines, f"no stdout; stderr: {self.err}"
        data: dict[str, Any] = json.loads(lines[-1])
        return data


_TIME: FakeTime | None = None  # this test's fake time (the fake_time fixture)


class FakeTime:
    """A clock that moves only when slept on: waits are recorded, never slept for real."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now

    @property
    def clock(self) -> Clock:
        return Clock(sleep=self.sleep, now=self.monotonic)


def run_cli(
    argv: list[str], env: dict[str, str], stdin: str = "", *, time: FakeTime | None = None
) -> Result:
    """Run the CLI in-process with its own streams, environment and (fake) time.

    The map is the tests' own (CALSYNC_CONFIG) unless the test names one (--config or its own
    CALSYNC_CONFIG); the default path is tested once, in tests/cli/test_settings.py.
    """
    out, err = io.StringIO(), io.StringIO()
    env = {"CALSYNC_CONFIG": str(TEAM_MAP), **env}
    clock = (time or _TIME or FakeTime()).clock
    code = cli.main(argv, env=env, stdin=io.StringIO(stdin), stdout=out, stderr=err, clock=clock)
    return Result(code, out.getvalue(), err.getvalue())


_LOOPBACK = ("127.", "::1", "localhost")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every test: a connection or name lookup beyond loopback is refused and fails the test.

    Catches the libraries' own background requests too (they run in this process).
    """
    attempts: list[str] = []
    connect, lookup = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else ""
        if sock.family != socket.AF_UNIX and not str(host).startswith(_LOOPBACK):
            attempts.append(f"connect {host}")
            raise OSError(f"test isolation: no connections beyond loopback ({host})")
        return connect(sock, address)

    def guarded_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not str(host).startswith(_LOOPBACK):
            attempts.append(f"lookup {host}")
            raise socket.gaierror(f"test isolation: no lookups beyond loopback ({host})")
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_lookup)
    yield attempts
    assert not attempts, f"the test tried to reach beyond loopback: {attempts}"


@pytest.fixture(autouse=True)
def shipped_map_untouched() -> Iterator[None]:
    """Every test: opening the shipped team map (the operator's, replaced on day one) fails
    the test. Tests use their own map (TEAM_MAP) or write one; tests/test_any_team_map.py
    covers the processes the tests start."""
    _SHIPPED_OPENED.clear()
    yield
    assert not _SHIPPED_OPENED, f"the test read the shipped team map: {_SHIPPED_OPENED}"


@pytest.fixture
def fake_google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        fake.add_calendar(USGOV)
        fake.add_calendar(GLOBAL)
        yield fake
    assert not fake.server_errors, fake.server_errors


@pytest.fixture
def key_file(tmp_path_factory: pytest.TempPathFactory, fake_google: FakeGoogle) -> Path:
    path = tmp_path_factory.mktemp("creds") / "service-account.json"
    return write_service_account_file(path, token_uri=fake_google.token_uri)


@pytest.fixture
def google_env(fake_google: FakeGoogle, key_file: Path) -> dict[str, str]:
    """Environment for `sync --backend google` against the fake server."""
    return {
        "GOOGLE_APPLICATION_CREDENTIALS": str(key_file),
        "GOOGLE_CALENDAR_API_ENDPOINT": fake_google.base_url,
    }


@pytest.fixture(autouse=True)
def fake_time() -> Iterator[FakeTime]:
    """Every test: the in-process CLI runs on fake time (run_cli), so no client sleeps for
    real; its waits (Google backoff, batch resends, Calendly Retry-After) are recorded."""
    global _TIME
    _TIME = FakeTime()
    yield _TIME
    _TIME = None


@pytest.fixture
def sleeps(fake_time: FakeTime) -> list[float]:
    """The waits of this test's CLI runs, in order."""
    return fake_time.slept


@pytest.fixture
def sync(google_env: dict[str, str], tmp_path: Path, sleeps: list[float]):
    """sync(body, *flags, env=...) -> Result, against the fake Google server."""

    def run(body: dict[str, Any] | str, *flags: str, env: dict[str, str] | None = None) -> Result:
        path = tmp_path / "payload.json"
        path.write_text(body if isinstance(body, str) else json.dumps(body))
        argv = ["sync", "--payload", str(path), "--backend", "google", "--timeout", "2", *flags]
        return run_cli(argv, {**google_env, **(env or {})})

    return run


@pytest.fixture
def calendly() -> Iterator[FakeCalendly]:
    """The fake Calendly API with pages of two, so every listing crosses a page boundary.
    (Files that need Calendly's default page size define their own.)"""
    with FakeCalendly(token=SECRET_TOKEN, page_size=2) as fake:
        yield fake


@pytest.fixture
def env(calendly: FakeCalendly) -> dict[str, str]:
    """CALENDLY_TOKEN and CALENDLY_API_URL of the fake Calendly API."""
    return {"CALENDLY_TOKEN": SECRET_TOKEN, "CALENDLY_API_URL": calendly.base_url}
