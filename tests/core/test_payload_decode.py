"""decode(): strict JSON, nesting and key checks, and GitLab's trigger wrapper taken apart."""

from __future__ import annotations

import pytest

from calsync.core.errors import InputError
from calsync.core.payload import decode

TWICE = ": the key appears twice in one object; which one counts is ambiguous"
SURROGATE = (
    "X: a string holds a lone surrogate (an escape like \\ud800 that is no character); "
    "not valid Unicode text"
)
WRAPPER = "GitLab trigger wrapper, Calendly body at the top level"


def nested(opening: str, closing: str, levels: int, inner: str = "") -> str:
    return opening * levels + inner + closing * levels


@pytest.mark.parametrize(
    ("text", "source", "message"),
    [
        ('"  "', "CALENDLY_PAYLOAD (pasted)", "CALENDLY_PAYLOAD: empty"),
        ("null", "X y", "X: expected a JSON object, got null"),
        ("[1]", "X", "X: expected a JSON object, got list"),
        ("5", "X", "X: expected a JSON object, got int"),
        ("true", "X", "X: expected a JSON object, got bool"),
        (nested("[", "]", 33), "X", "X: nested deeper than 32 levels"),
        (nested('{"a":', "}", 32, "{}"), "X", "X: nested deeper than 32 levels"),
        (nested('{"a":', "}", 32, "[]"), "X", "X: nested deeper than 32 levels"),
        (nested('{"a":', "}", 31, "[[1]]"), "X", "X: nested deeper than 32 levels"),
        ('{"a": "\\ud800"}', "X", SURROGATE),
        ('{"\\ud800": 1}', "X", SURROGATE),
        ('{"a": ["ok", "\\udfff"]}', "X", SURROGATE),
        ('{"a": NaN}', "X", "X: not JSON (a number out of range)"),
        ('{"a": 1e999}', "X", "X: not JSON (a number out of range)"),
        ('{"a b": {"x": 1, "x": 2}}', "X", "[odd key].x" + TWICE),
        ('{"\\u00e9": {"x": 1, "x": 2}}', "X", "[odd key].x" + TWICE),
        ('{"' + "k" * 64 + '": {"x": 1, "x": 2}}', "X", "k" * 64 + ".x" + TWICE),
        ('{"' + "k" * 65 + '": {"x": 1, "x": 2}}', "X", "[odd key].x" + TWICE),
        ('{"a": [0, {"x": 1, "x": 2}]}', "X", "a.1.x" + TWICE),
        (
            '{"id": 1, "variables": {"A": "1"}}',
            "TRIGGER_PAYLOAD (file)",
            (
                "TRIGGER_PAYLOAD: the trigger request set pipeline variables (A); a webhook "
                "delivery never does, so it is refused. Check who holds the trigger URL"
            ),
        ),
        (
            '{"payload": "{\\"a\\": 1, \\"a\\": 2}"}',
            "TRIGGER_PAYLOAD (file)",
            "TRIGGER_PAYLOAD: payload.a" + TWICE,
        ),
        (
            '{"payload": " {nope"}',
            "TRIGGER_PAYLOAD (file)",
            (
                "TRIGGER_PAYLOAD: payload: a string but not JSON (Expecting property name enclosed "
                "in double quotes at line 1)"
            ),
        ),
    ],
)
def test_refused(text, source, message):
    with pytest.raises(InputError) as info:
        decode(text, source)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "body", "source"),
    [
        ('"{\\"event\\": \\"x\\"}"', {"event": "x"}, "S, quoted (as given)"),
        (nested('{"a":', "}", 31, "[]"), None, "S (as given)"),
        (nested('{"a":', "}", 32, "1"), None, "S (as given)"),
        (nested('{"a":', "}", 31, "{}"), None, "S (as given)"),
        ('{"a": 1.5}', {"a": 1.5}, "S (as given)"),
        (
            '{"ref": "main", "event": "e", "payload": {}}',
            {"event": "e", "payload": {}},
            f"S ({WRAPPER})",
        ),
        ('{"payload": "[1]"}', {"payload": [1]}, "S (as given; 'payload' given as a JSON string)"),
        (
            '{"payload": " \\"s\\""}',
            {"payload": "s"},
            "S (as given; 'payload' given as a JSON string)",
        ),
        ('{"payload": "plain "}', {"payload": "plain "}, "S (as given)"),
        (
            '{"payload": "{\\"event\\": \\"e\\", \\"payload\\": {}}"}',
            {"event": "e", "payload": {}},
            "S (as given; whole body under 'payload' as a JSON string)",
        ),
        (
            '{"event": "e", "payload": "{\\"payload\\": {}}"}',
            {"event": "e", "payload": {"payload": {}}},
            "S (as given; 'payload' given as a JSON string)",
        ),
        (
            '{"id": 1, "payload": {"event": "e", "payload": {}}}',
            {"event": "e", "payload": {}},
            f"S ({WRAPPER}; whole body under 'payload')",
        ),
        (
            '{"event": "e", "payload": {"payload": {}}}',
            {"event": "e", "payload": {"payload": {}}},
            "S (as given)",
        ),
        ('{"payload": {"event": "e"}}', {"payload": {"event": "e"}}, "S (as given)"),
    ],
)
def test_accepted(text, body, source):
    result = decode(text, "S")
    if body is not None:
        assert result.body == body
    assert result.source == source
