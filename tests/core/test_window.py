"""window.parse_when: ISO or relative times from the command line. Table-driven, pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from calsync.core.errors import InputError
from calsync.core.window import parse_when

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("-2d", NOW - timedelta(days=2)),
        ("+90d", NOW + timedelta(days=90)),
        ("-12h", NOW - timedelta(hours=12)),
        ("+30m", NOW + timedelta(minutes=30)),
        ("-1w", NOW - timedelta(weeks=1)),
        (" -2d ", NOW - timedelta(days=2)),
        ("-99999m", NOW - timedelta(minutes=99999)),
        ("2026-01-31", datetime(2026, 1, 31, tzinfo=UTC)),
        ("2026-01-31T09:00Z", datetime(2026, 1, 31, 9, tzinfo=UTC)),
        ("2026-01-31T09:00", datetime(2026, 1, 31, 9, tzinfo=UTC)),  # UTC unless it says
        ("2026-01-31T09:00+02:00", datetime(2026, 1, 31, 7, tzinfo=UTC)),
    ],
)
def test_parse_when(text, expect):
    got = parse_when(text, NOW, "--since")
    assert got == expect
    assert got.utcoffset() == timedelta(0)
    assert got.tzinfo is UTC


@pytest.mark.parametrize("text", ["2d", "-2", "-2y", "-100000m", "--2d", "yesterday", "", "-2 d"])
def test_parse_when_refuses(text):
    with pytest.raises(InputError) as info:
        parse_when(text, NOW, "--until")
    assert str(info.value) == (
        "--until: expected an ISO date or time (2026-01-31, 2026-01-31T09:00Z) "
        f"or a relative time (-2d, -12h, +90d), got {text.strip()[:40]!r}"
    )


def test_parse_when_cuts_long_input_in_the_message():
    with pytest.raises(InputError, match=r"got 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'$"):
        parse_when("x" * 100, NOW, "--since")
