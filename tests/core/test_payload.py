"""Payload sources and GitLab's trigger wrapper."""

from __future__ import annotations

import io
import json

import pytest

from builders import trigger_wrap, webhook
from calsync.adapters.files import load_payload
from calsync.core.errors import InputError
from calsync.core.payload import MAX_PAYLOAD_BYTES

BODY = webhook()


def load(arg=None, env=None, stdin=""):
    env = env or {}
    return load_payload(
        arg=arg,
        pasted=env.get("CALENDLY_PAYLOAD", ""),
        trigger=env.get("TRIGGER_PAYLOAD", ""),
        stdin=io.StringIO(stdin),
    )


def test_order_flag_then_pasted_then_trigger(tmp_path):
    """--payload beats CALENDLY_PAYLOAD, which beats TRIGGER_PAYLOAD."""
    a, b, c = (webhook(event=e) for e in ("AAAAAAAA", "BBBBBBBB", "CCCCCCCC"))
    fa, fc = tmp_path / "a.json", tmp_path / "c.json"
    fa.write_text(json.dumps(a))
    fc.write_text(json.dumps(trigger_wrap(c)))
    env = {"CALENDLY_PAYLOAD": json.dumps(b), "TRIGGER_PAYLOAD": str(fc)}
    assert load(str(fa), env).body == a
    assert load(None, env).body == b
    assert load(None, {**env, "CALENDLY_PAYLOAD": "  \n"}).body == c


@pytest.mark.parametrize(
    ("content", "source"),
    [
        (trigger_wrap(BODY), "GitLab trigger wrapper, Calendly body at the top level"),
        (trigger_wrap(BODY, as_string=True), "whole body under 'payload' as a JSON string"),
        ({**trigger_wrap({}), "payload": BODY}, "whole body under 'payload'"),
        (
            {**trigger_wrap(BODY), "payload": json.dumps(BODY["payload"])},
            "'payload' given as a JSON string",
        ),
        (BODY, "TRIGGER_PAYLOAD (as given)"),
    ],
)
def test_trigger_payload_shapes(tmp_path, content, source):
    """Every way the Calendly body can sit in GitLab's trigger JSON, and the report says which."""
    path = tmp_path / "trigger.json"
    path.write_text(json.dumps(content))
    raw = load(env={"TRIGGER_PAYLOAD": str(path)})
    assert raw.body == BODY
    assert source in raw.source
    assert raw.source.startswith("TRIGGER_PAYLOAD")


def test_pasted_path_and_stdin(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(BODY))
    assert load(env={"CALENDLY_PAYLOAD": str(path)}).source == "CALENDLY_PAYLOAD (file) (as given)"
    assert load("-", stdin=json.dumps(BODY)).body == BODY


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "no payload: pass --payload PATH|-"),
        ({"arg": "/nonexistent/x.json"}, "--payload: file not found"),
        ({"arg": "-", "stdin": ""}, "--payload: empty"),
        ({"arg": "-", "stdin": "{nope"}, "--payload: not JSON"),
        ({"arg": "-", "stdin": "[1]"}, "--payload: expected a JSON object, got list"),
        ({"arg": "-", "stdin": "x" * (MAX_PAYLOAD_BYTES + 10)}, "larger than 1 MB"),
        ({"arg": "-", "stdin": "[" * 5000 + "]" * 5000}, "nested deeper than"),
        ({"env": {"CALENDLY_PAYLOAD": "not json"}}, "CALENDLY_PAYLOAD: neither JSON"),
        ({"env": {"TRIGGER_PAYLOAD": "/nonexistent"}}, "TRIGGER_PAYLOAD: file not found"),
        ({"env": {"CALENDLY_PAYLOAD": '{"payload": "{bad"}'}}, "payload: a string but not JSON"),
    ],
)
def test_bad_sources(kwargs, message):
    with pytest.raises(InputError) as info:
        load(**kwargs)
    assert message in str(info.value)
