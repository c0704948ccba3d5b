"""Hostile and broken webhook payloads, through the real CLI (.ics backend, and Google).

Every bad payload ends in exit 2 with exactly one stderr line naming the field by its dotted
path (or in a deliberate skip, exit 0, with the reason in the report), no traceback, and
nothing written: the .ics file keeps its bytes, no new file appears, FakeGoogle sees nothing.
Text that is merely odd (markup, control characters, RTL overrides, emoji, `$VAR`) is kept
harmless instead: it cannot add a line to the .ics file or markup to a description.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest

from builders import (
    API,
    DISPLAY_MAP,
    DROP,
    SENTINEL_ANSWER,
    SENTINEL_NAME,
    T0,
    body,
    iso,
    trigger_wrap,
    webhook,
)
from calsync.core.decide import event_id_for
from calsync.core.payload import MAX_PAYLOAD_BYTES
from calsync.core.render import MANAGED_NOTE
from conftest import GLOBAL, Result, run_cli

EVENT = f"{API}/scheduled_events/EV000000000001"
SE = "payload.scheduled_event"


def text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def nested(depth: int) -> str:
    return '{"event": "invitee.created", "payload": ' + "[" * depth + "]" * depth + "}"


def twice(path_key: str, first: str) -> str:
    """A valid body whose JSON text names `path_key` twice in one object."""
    return text(webhook()).replace(f'"{path_key}": ', f'"{path_key}": {first}, "{path_key}": ', 1)


V1 = {
    "event": "invitee.created",
    "time": "2019-01-01T00:00:00Z",
    "payload": {"event_type": {"uuid": "X"}, "event": {"uuid": "Y"}, "invitee": {}},
}
NO_SHOW = {
    "event": "invitee_no_show.created",
    "created_at": iso(T0),
    "payload": {
        "uri": f"{API}/invitee_no_shows/NS1",
        "created_at": iso(T0),
        "invitee": "https://evil.example/scheduled_events/E/invitees/I",
    },
}
OTHER_HOST = "https://evil.example/scheduled_events/EV000000000001"
LATER = iso(T0 + timedelta(days=3, minutes=30))

# (content, dotted path the one stderr line must start with); content is the file's text,
# bytes, or a body to serialise.
REJECTED: list[Any] = [
    # -- not a JSON object at all ----------------------------------------------------------
    pytest.param("", "--payload", id="empty-file"),
    pytest.param(" \n\t\n", "--payload", id="whitespace-only"),
    pytest.param("not json", "--payload", id="not-json"),
    pytest.param('{"event": "invitee.created", ', "--payload", id="truncated-json"),
    pytest.param("[1, 2]", "--payload", id="json-list"),
    pytest.param("42", "--payload", id="json-number"),
    pytest.param("null", "--payload", id="json-null"),
    pytest.param("true", "--payload", id="json-bool"),
    pytest.param('"[1]"', "--payload", id="quoted-json-list"),
    pytest.param(b"\xff\xfe{\x00}\x00", "--payload", id="utf16-bytes"),
    pytest.param(b'{"event": "\xc3\x28"}', "--payload", id="invalid-utf8"),
    pytest.param('{"pad": "' + "a" * MAX_PAYLOAD_BYTES + '"}', "--payload", id="huge-file"),
    pytest.param(nested(40), "--payload", id="nested-40"),
    pytest.param(nested(60_000), "--payload", id="nested-60000"),
    pytest.param('{"event": NaN}', "--payload", id="nan"),
    pytest.param('{"event": "x", "n": -Infinity}', "--payload", id="infinity"),
    pytest.param('{"event": "x", "n": 1e999}', "--payload", id="float-overflow"),
    pytest.param('{"event": "x", "n": ' + "9" * 5000 + "}", "--payload", id="int-5000-digits"),
    pytest.param(twice("event", '"invitee.canceled"'), "event", id="duplicate-top-key"),
    pytest.param(
        twice("start_time", '"2026-01-01T00:00:00Z"'), f"{SE}.start_time", id="duplicate-nested-key"
    ),
    pytest.param(
        trigger_wrap({"event": "invitee.created", "payload": "{oops"}),
        "--payload",
        id="wrapper-payload-string-not-json",
    ),
    # -- the envelope ------------------------------------------------------------------------
    pytest.param(body(("event", 5)), "event", id="event-number"),
    pytest.param(body(("event", ["invitee.created"])), "event", id="event-list"),
    pytest.param(body(("event", "x" * 3000)), "event", id="event-too-long"),
    pytest.param(body(("created_at", 12)), "created_at", id="created_at-number"),
    pytest.param(body(("created_at", "yesterday")), "created_at", id="created_at-not-iso"),
    pytest.param(
        body(("created_at", "2026-12-01T15:00:00")), "created_at", id="created_at-no-zone"
    ),
    pytest.param(body(("created_at", "1999-12-31T23:00:00Z")), "created_at", id="created_at-1999"),
    pytest.param(body(("created_at", "2101-01-01T00:00:00Z")), "created_at", id="created_at-2101"),
    pytest.param(body(("payload", DROP)), "payload", id="payload-missing"),
    pytest.param(body(("payload", [])), "payload", id="payload-list"),
    pytest.param(body(("payload", 5)), "payload", id="payload-number"),
    pytest.param(V1, "payload", id="v1-body"),
    # -- the invitee ---------------------------------------------------------------------------
    pytest.param(body(("payload.uri", 5)), "payload.uri", id="uri-number"),
    pytest.param(
        body(("payload.uri", OTHER_HOST + "/invitees/I")), "payload.uri", id="uri-other-host"
    ),
    pytest.param(
        body(("payload.uri", EVENT.replace("https", "http") + "/invitees/I")),
        "payload.uri",
        id="uri-not-https",
    ),
    pytest.param(
        body(("payload.uri", EVENT + "/invitees/$INVITEE")), "payload.uri", id="uri-dollar-var"
    ),
    pytest.param(
        body(("payload.uri", EVENT + "/invitees/${CI_JOB_TOKEN}")),
        "payload.uri",
        id="uri-dollar-brace",
    ),
    pytest.param(body(("payload.uri", f"{API}/users/U1")), "payload.uri", id="uri-not-an-invitee"),
    pytest.param(
        body(("payload.uri", f"{API}/scheduled_events/OTHER/invitees/I")),
        "payload.uri",
        id="uri-of-another-meeting",
    ),
    pytest.param(body(("payload.event", OTHER_HOST)), "payload.event", id="event-uri-other-host"),
    pytest.param(
        body(("payload.event", f"{API}/scheduled_events/OTHER")),
        "payload.event",
        id="event-uri-another-meeting",
    ),
    pytest.param(body(("payload.name", 5)), "payload.name", id="name-number"),
    pytest.param(body(("payload.name", {"first": "A"})), "payload.name", id="name-object"),
    pytest.param(body(("payload.name", "n" * 5000)), "payload.name", id="name-too-long"),
    pytest.param(
        body(("payload.rescheduled", "yes")), "payload.rescheduled", id="rescheduled-string"
    ),
    pytest.param(
        body(("payload.old_invitee", "ftp://api.calendly.com/x")),
        "payload.old_invitee",
        id="old-invitee-ftp",
    ),
    pytest.param(
        body(("payload.new_invitee", f"{API}/scheduled_events/$HOME")),
        "payload.new_invitee",
        id="new-invitee-dollar",
    ),
    pytest.param(
        body(("payload.questions_and_answers", "x")),
        "payload.questions_and_answers",
        id="answers-string",
    ),
    pytest.param(
        body(("payload.questions_and_answers.0", "x")),
        "payload.questions_and_answers.0",
        id="answer-item-string",
    ),
    pytest.param(
        body(("payload.questions_and_answers.0.answer", 5)),
        "payload.questions_and_answers.0.answer",
        id="answer-number",
    ),
    pytest.param(
        body(("payload.questions_and_answers.0.question", ["q"])),
        "payload.questions_and_answers.0.question",
        id="question-list",
    ),
    pytest.param(NO_SHOW, "payload.invitee", id="no-show-invitee-other-host"),
    pytest.param(
        body((SE, DROP), ("payload.uri", DROP), ("payload.event", DROP)),
        "payload.scheduled_event",
        id="no-meeting-at-all",
    ),
    pytest.param(body((SE, DROP)), "payload.scheduled_event", id="create-without-details"),
    pytest.param(
        body(
            ("created_at", DROP),
            ("payload.cancellation.created_at", "soon"),
            kind="invitee.canceled",
        ),
        "payload.cancellation.created_at",
        id="cancellation-time-bad",
    ),
    # -- the scheduled event -------------------------------------------------------------------
    pytest.param(body((SE, "x")), SE, id="se-string"),
    pytest.param(body((SE, [])), SE, id="se-list"),
    pytest.param(body((f"{SE}.uri", DROP)), f"{SE}.uri", id="se-uri-missing"),
    pytest.param(body((f"{SE}.uri", OTHER_HOST)), f"{SE}.uri", id="se-uri-other-host"),
    pytest.param(body((f"{SE}.uri", "javascript:alert(1)")), f"{SE}.uri", id="se-uri-javascript"),
    pytest.param(body((f"{SE}.uri", EVENT + "/")), f"{SE}.uri", id="se-uri-trailing-slash"),
    pytest.param(body((f"{SE}.uri", EVENT.upper())), f"{SE}.uri", id="se-uri-upper-case"),
    pytest.param(
        body((f"{SE}.uri", f"{API}/scheduled_events/../users/me")), f"{SE}.uri", id="se-uri-dot-dot"
    ),
    pytest.param(
        body((f"{SE}.uri", f"{API}/scheduled_events/EV1\n")), f"{SE}.uri", id="se-uri-newline"
    ),
    pytest.param(body((f"{SE}.start_time", DROP)), f"{SE}.start_time", id="start-missing"),
    pytest.param(
        body((f"{SE}.start_time", 1_790_000_000)), f"{SE}.start_time", id="start-epoch-number"
    ),
    pytest.param(
        body((f"{SE}.start_time", "2026-12-04T15:00:00")), f"{SE}.start_time", id="start-no-zone"
    ),
    pytest.param(
        body((f"{SE}.start_time", "0001-01-01T00:00:00Z")), f"{SE}.start_time", id="start-year-1"
    ),
    pytest.param(
        body((f"{SE}.start_time", "9999-12-31T23:59:59+00:00")),
        f"{SE}.start_time",
        id="start-year-9999",
    ),
    pytest.param(
        body((f"{SE}.start_time", "2026-02-30T10:00:00Z")), f"{SE}.start_time", id="start-feb-30"
    ),
    pytest.param(body((f"{SE}.end_time", iso(T0))), f"{SE}.end_time", id="end-before-start"),
    pytest.param(
        body((f"{SE}.end_time", iso(T0 + timedelta(days=3)))),
        f"{SE}.end_time",
        id="end-equals-start",
    ),
    pytest.param(
        body((f"{SE}.end_time", iso(T0 + timedelta(days=40)))),
        f"{SE}.end_time",
        id="end-40-days-later",
    ),
    pytest.param(body((f"{SE}.status", "weird")), f"{SE}.status", id="status-unknown"),
    pytest.param(body((f"{SE}.status", 5)), f"{SE}.status", id="status-number"),
    pytest.param(body((f"{SE}.name", 5)), f"{SE}.name", id="se-name-number"),
    pytest.param(
        body((f"{SE}.event_type", "https://evil.example/event_types/X")),
        f"{SE}.event_type",
        id="event-type-other-host",
    ),
    pytest.param(
        body((f"{SE}.event_type", f"{API}/event_types/$EVENT_TYPE")),
        f"{SE}.event_type",
        id="event-type-dollar",
    ),
    pytest.param(body((f"{SE}.location", "zoom")), f"{SE}.location", id="location-string"),
    pytest.param(
        body((f"{SE}.location.type", {})), f"{SE}.location.type", id="location-type-object"
    ),
    pytest.param(
        body((f"{SE}.location.location", 5)), f"{SE}.location.location", id="location-text-number"
    ),
    pytest.param(
        body((f"{SE}.location.join_url", "javascript:alert(1)")),
        f"{SE}.location.join_url",
        id="join-javascript",
    ),
    pytest.param(
        body((f"{SE}.location.join_url", "http://example.zoom.us/j/1")),
        f"{SE}.location.join_url",
        id="join-not-https",
    ),
    pytest.param(
        body((f"{SE}.location.join_url", "https://zoom.us/j/$MEETING")),
        f"{SE}.location.join_url",
        id="join-dollar",
    ),
    pytest.param(
        body((f"{SE}.location.join_url", "https://zoom.us/j/1\r\nX-INJECTED:1")),
        f"{SE}.location.join_url",
        id="join-crlf",
    ),
    pytest.param(
        body((f"{SE}.location.join_url", 'https://zoom.us/"><script>x</script>')),
        f"{SE}.location.join_url",
        id="join-markup",
    ),
    pytest.param(
        body((f"{SE}.event_memberships", {})), f"{SE}.event_memberships", id="hosts-object"
    ),
    pytest.param(
        body((f"{SE}.event_memberships.0", "x")), f"{SE}.event_memberships.0", id="host-string"
    ),
    pytest.param(
        body((f"{SE}.event_memberships.0.user_email", 5)),
        f"{SE}.event_memberships.0.user_email",
        id="host-email-number",
    ),
    pytest.param(body((f"{SE}.invitees_counter", [])), f"{SE}.invitees_counter", id="counter-list"),
    pytest.param(
        body((f"{SE}.invitees_counter.active", -1)),
        f"{SE}.invitees_counter.active",
        id="counter-negative",
    ),
    pytest.param(
        body((f"{SE}.invitees_counter.limit", True)),
        f"{SE}.invitees_counter.limit",
        id="counter-bool",
    ),
    pytest.param(
        body((f"{SE}.invitees_counter.limit", 1.5)),
        f"{SE}.invitees_counter.limit",
        id="counter-float",
    ),
    pytest.param(
        body((f"{SE}.invitees_counter.limit", 10**12)),
        f"{SE}.invitees_counter.limit",
        id="counter-huge",
    ),
]

SKIPPED: list[Any] = [
    pytest.param(
        body(("event", "invitee.updated")),
        "webhook event 'invitee.updated' is not one",
        id="unknown-event",
    ),
    pytest.param(
        {"event": "routing_form_submission.created", "payload": {"x": 1}},
        "routing form submissions have no meeting",
        id="routing-form",
    ),
    pytest.param(
        {"event": "invitee.created\u202e\n<b>", "payload": None},
        r"webhook event 'invitee.created\u202e\n<b>' is not one",
        id="unknown-event-with-controls",
    ),
    pytest.param(
        {"event": "🎉 party", "payload": "not an object"},
        "webhook event '🎉 party'",
        id="unknown-event-emoji",
    ),
    pytest.param({"created_by": 5}, "webhook event '(none)' is not one", id="no-event-at-all"),
    pytest.param(
        body(("payload.scheduled_event.name", "Sales $HOME ${X} <b>")),
        "no route matches event 'Sales $HOME ${X} <b>'",
        id="unrouted-odd-name",
    ),
]


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """An .ics file that already holds one event (another meeting): it must keep its bytes."""
    where = tmp_path_factory.mktemp("seed")
    (where / "p.json").write_text(text(webhook(event="SEED0000000001")))
    argv = [
        "sync",
        "--payload",
        str(where / "p.json"),
        "--backend",
        "ics",
        "--ics-file",
        str(where / "team.ics"),
    ]
    assert run_cli(argv, {}).report["action"] == "created"
    return (where / "team.ics").read_bytes()


def run_ics(tmp_path: Path, seed: bytes, content: Any, *flags: str) -> Result:
    """sync on the .ics backend; asserts afterwards that nothing on disk changed."""
    payload = tmp_path / "payload.json"
    if isinstance(content, bytes):
        payload.write_bytes(content)
    else:
        payload.write_text(content if isinstance(content, str) else text(content))
    ics = tmp_path / "team.ics"
    ics.write_bytes(seed)
    before = sorted(tmp_path.iterdir())
    argv = ["sync", "--payload", str(payload), "--backend", "ics", "--ics-file", str(ics), *flags]
    result = run_cli(argv, {})
    assert sorted(tmp_path.iterdir()) == before
    assert ics.read_bytes() == seed
    return result


def assert_rejected(result: Result, path: str) -> None:
    assert result.code == 2, result.err
    assert result.err.startswith(f"error: {path}: "), result.err
    assert result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err
    assert SENTINEL_NAME not in result.err
    assert SENTINEL_ANSWER not in result.err
    assert len(result.out.splitlines()) == 1  # the JSON report and nothing else
    assert result.report["action"] == "error"
    assert result.report["exit_code"] == 2
    assert result.report["reason"] == result.err.removeprefix("error: ").rstrip("\n")


@pytest.mark.parametrize(("content", "path"), REJECTED)
def test_bad_payload_is_refused_by_path(tmp_path, seed, content, path):
    """Exit 2, one stderr line starting with the field's dotted path, nothing written."""
    assert_rejected(run_ics(tmp_path, seed, content), path)


@pytest.mark.parametrize(("content", "reason"), SKIPPED)
def test_unusable_but_harmless_payload_is_skipped(tmp_path, seed, content, reason):
    """Deliberate skip: exit 0, nothing on stderr, the reason in the report, nothing written."""
    result = run_ics(tmp_path, seed, content)
    assert (result.code, result.err) == (0, ""), result.err
    assert result.report["action"] == "skipped"
    assert reason in result.report["reason"]
    assert len(result.out.splitlines()) == 2  # one human line, then the report


def test_corpus_size():
    """The hardening issue asks for at least 60 cases."""
    assert len(REJECTED) + len(SKIPPED) >= 60


@pytest.mark.parametrize(
    ("env", "path"),
    [
        ({"CALENDLY_PAYLOAD": "not json"}, "CALENDLY_PAYLOAD"),
        ({"CALENDLY_PAYLOAD": '{"event": "invitee.created", "event": 1}'}, "event"),
        ({"CALENDLY_PAYLOAD": "[" + " " * MAX_PAYLOAD_BYTES + "]"}, "CALENDLY_PAYLOAD"),
        ({"TRIGGER_PAYLOAD": "/"}, "TRIGGER_PAYLOAD"),
        ({"TRIGGER_PAYLOAD": "/nonexistent/payload.json"}, "TRIGGER_PAYLOAD"),
    ],
    ids=[
        "pasted-not-json",
        "pasted-duplicate-key",
        "pasted-huge",
        "trigger-dir",
        "trigger-missing",
    ],
)
def test_bad_payload_sources(tmp_path, env, path):
    """The environment's payload sources fail the same way, naming the variable."""
    ics = tmp_path / "team.ics"
    result = run_cli(["sync", "--backend", "ics", "--ics-file", str(ics)], env)
    assert_rejected(result, path)
    assert list(tmp_path.iterdir()) == []


def test_byte_order_mark_is_tolerated(tmp_path, seed):
    """A payload saved by an editor that writes a UTF-8 BOM still parses."""
    payload = tmp_path / "payload.json"
    payload.write_bytes(b"\xef\xbb\xbf" + text(webhook()).encode())
    ics = tmp_path / "team.ics"
    argv = ["sync", "--payload", str(payload), "--backend", "ics", "--ics-file", str(ics)]
    assert run_cli(argv, {}).report["action"] == "created"


@pytest.mark.parametrize(
    ("content", "path"),
    [
        pytest.param("not json", "--payload", id="not-json"),
        pytest.param(body((f"{SE}.uri", OTHER_HOST)), f"{SE}.uri", id="other-host"),
        pytest.param(body((f"{SE}.end_time", iso(T0))), f"{SE}.end_time", id="end-before-start"),
        pytest.param(twice("event", '"invitee.canceled"'), "event", id="duplicate-key"),
        pytest.param(
            body((f"{SE}.location.join_url", "javascript:x")),
            f"{SE}.location.join_url",
            id="join-javascript",
        ),
    ],
)
def test_bad_payload_never_reaches_google(sync, fake_google, content, path):
    """On the Google backend too: refused before any request (not even for a token)."""
    assert_rejected(sync(content), path)
    assert fake_google.requests == []


def test_unknown_event_never_reaches_google(sync, fake_google):
    result = sync(body(("event", "invitee.updated")))
    assert (result.code, result.err, result.report["action"]) == (0, "", "skipped")
    assert fake_google.requests == []


# -- text that is odd but legitimate: kept, made harmless ----------------------------------------

ICS_BREAKER = "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil\r\nSUMMARY:pwned\r\nX-EVIL:1"
HOSTILE = {
    "ics-lines": "Zed" + ICS_BREAKER,
    "ics-folded": "Zed\r\n END:VEVENT\n\tBEGIN:VEVENT",
    "html": '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="https://evil">',
    "controls": "A\x00B\x07C\x1b[31mD\x7fE\x85F\u2028G\u2029H\vI\fJ",
    "rtl-override": "\u202egnp.exe\u202c \u2066isolate\u2069 \u200fmark\u200e \ufeffbom",
    "emoji": "Zoë 🎉 👩‍👩‍👧 🏳️‍🌈 한국어 עברית",
    "dollar-vars": "$HOME ${CI_JOB_TOKEN} $(id) `id` %PATH%",
}


def hostile_body(value: str) -> dict[str, Any]:
    return body(
        ("payload.name", value),
        ("payload.questions_and_answers.0.question", "Q " + value),
        ("payload.questions_and_answers.0.answer", value),
        (f"{SE}.name", "Support " + value),
        (f"{SE}.location", {"type": "physical", "location": "Room " + value}),
    )


def check_fields(summary: str, description: str, location: str, value: str) -> None:
    for field in (summary, location):
        assert not any(ch in field for ch in "\r\n\x00\x1b\u2028\u202e"), repr(field)
    assert "<" not in summary
    assert "<" not in description
    lines = description.split("\n")  # Hosts, the answer, meeting URI, event type, note
    assert len(lines) == 5, lines
    assert lines[0].startswith("Hosts: ")
    assert lines[1].startswith("Q ")
    assert lines[2:] == [
        f"Calendly meeting: {EVENT}",
        f"Calendly event type: {API}/event_types/ETGLOBAL000001",
        MANAGED_NOTE,
    ]
    if value == HOSTILE["emoji"]:
        assert value in summary  # joiners and non-Latin scripts survive
        assert value in description
    if value == HOSTILE["dollar-vars"]:
        assert value in summary  # literal text, never expanded
    if value == HOSTILE["html"]:
        assert "&lt;script&gt;" in summary
        assert "&lt;script&gt;" in description


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_cannot_break_the_ics_file(tmp_path, seed, value):
    """A name, answer or meeting name cannot add events, properties or lines to the .ics file."""
    payload, ics = tmp_path / "payload.json", tmp_path / "team.ics"
    (tmp_path / "map.yaml").write_text(DISPLAY_MAP)
    payload.write_text(text(hostile_body(value)))
    ics.write_bytes(seed)
    argv = [
        "sync",
        "--payload",
        str(payload),
        "--backend",
        "ics",
        "--ics-file",
        str(ics),
        "--config",
        str(tmp_path / "map.yaml"),
    ]
    result = run_cli(argv, {})
    assert (result.code, result.err, result.report["action"]) == (0, "", "created")
    raw = ics.read_bytes()
    lines = raw.decode().replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")  # unfolded
    assert lines.count("BEGIN:VEVENT") == 2  # the seed's and this one
    assert not [line for line in lines if line.startswith(("UID:evil", "SUMMARY:pwned", "X-EVIL"))]
    events = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    [event] = [e for e in events if str(e["UID"]) == event_id_for(EVENT)]
    assert sorted(event.keys()) == [
        "DESCRIPTION",
        "DTEND",
        "DTSTAMP",
        "DTSTART",
        "LOCATION",
        "SEQUENCE",
        "STATUS",
        "SUMMARY",
        "UID",
        "X-CALSYNC-CALENDAR",
        "X-CALSYNC-DATA",
    ]
    assert str(event["X-CALSYNC-CALENDAR"]) == GLOBAL
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART").isoformat() == "2026-12-04T15:00:00+00:00"
    check_fields(str(event["SUMMARY"]), str(event["DESCRIPTION"]), str(event["LOCATION"]), value)


@pytest.mark.parametrize(
    "value",
    [HOSTILE["ics-lines"], HOSTILE["html"], HOSTILE["emoji"]],
    ids=["ics-lines", "html", "emoji"],
)
def test_hostile_text_on_google(sync, fake_google, tmp_path, value):
    """The same rendering reaches Google: escaped description, one-line summary."""
    (tmp_path / "map.yaml").write_text(DISPLAY_MAP)
    result = sync(hostile_body(value), "--config", str(tmp_path / "map.yaml"))
    assert (result.code, result.err, result.report["action"]) == (0, "", "created")
    [event] = fake_google.live_events(GLOBAL)
    check_fields(event["summary"], event["description"], event["location"], value)


def test_invitee_data_stays_off_the_calendar_by_default(tmp_path):
    """Without show_invitee_name/show_answers the invitee's data is not rendered at all."""
    payload, ics = tmp_path / "payload.json", tmp_path / "team.ics"
    payload.write_text(text(webhook()))
    argv = ["sync", "--payload", str(payload), "--backend", "ics", "--ics-file", str(ics)]
    assert run_cli(argv, {}).report["action"] == "created"
    raw = ics.read_bytes().decode()
    for secret in (SENTINEL_NAME, SENTINEL_ANSWER, "Sentinelperson", "8d1e"):
        assert secret not in raw
