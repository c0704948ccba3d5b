"""redact: secrets and invitee personal data masked in every output line. Table-driven, pure."""

from __future__ import annotations

import pytest

from calsync.core import redact

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


@pytest.fixture(autouse=True)
def fresh():
    redact.reset()
    yield
    redact.reset()


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("nothing here", "nothing here"),
        ("mail ada@example.com now", "mail <email> now"),
        ("ADA.Love+x@mail.example.co.uk", "<email>"),
        ("c_usgov@group.calendar.google.com", "c_usgov@group.calendar.google.com"),
        ("sync@p.iam.gserviceaccount.com", "sync@p.iam.gserviceaccount.com"),
        ("user@localhost", "user@localhost"),  # no top-level domain: not an address
        ("Authorization: Bearer abcdefgh12345", "Authorization: Bearer <redacted>"),
        ("bearer abc", "bearer abc"),  # too short to be a token
        ('{"access_token": "abcdefgh12345"}', '{"access_token": "<redacted>"}'),
        ("refresh_token=abcdefgh1234", "refresh_token=<redacted>"),
        ("id_token: abcdefgh1234", "id_token: <redacted>"),
        ("TOKEN='abcdefgh1234'", "TOKEN='<redacted>'"),
        (f"jwt {JWT} end", "jwt <jwt> end"),
        ("eyJshort.x", "eyJshort.x"),
        ("A" * 60, "<redacted>"),
        ("A" * 59, "A" * 59),
        ("A" * 60 + "==", "<redacted>"),
        (
            "-----BEGIN PRIVATE KEY-----\nMIIabc\n-----END PRIVATE KEY-----\nafter",
            "<private key>\nafter",
        ),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIabc", "<private key>"),  # cut off: to the end
    ],
)
def test_patterns(text, expect):
    assert redact.redact(text) == expect


def test_protected_values_longest_first():
    redact.protect(["Ada Lovelace", "Ada Lovelace Byron", "abc", "   ", 5])
    assert redact.redact("Ada Lovelace Byron and Ada Lovelace") == "<redacted> and <redacted>"
    assert redact.redact("abc") == "abc"  # shorter than 4: would mask too much


def test_protect_keeps_four_characters_counting_without_spaces():
    redact.protect(["abcd", " ab "])
    assert redact.redact("abcd ab ") == "<redacted> ab "


def test_allowed_addresses_stay_readable_case_insensitive():
    redact.allow(["Team.Lead@Corp.Example"])
    assert redact.redact("team.lead@corp.example other@corp.example") == (
        "team.lead@corp.example <email>"
    )


def test_reset_forgets_and_protects_new_secrets():
    redact.protect(["first-secret"])
    redact.allow(["a@b.example"])
    redact.reset(["second-secret"])
    assert redact.redact("first-secret second-secret a@b.example") == (
        "first-secret <redacted> <email>"
    )


@pytest.mark.parametrize(
    ("invitee", "hidden", "shown"),
    [
        (
            {
                "email": "zed@x.example",
                "name": "Zed Person",
                "first_name": "Zeddy",
                "last_name": "Personson",
                "text_reminder_number": "+1 555 0100",
                "questions_and_answers": [{"answer": "secret answer"}, {"answer": 5}, "x"],
                "timezone": "Europe/Paris",
            },
            ["Zed Person", "Zeddy", "Personson", "+1 555 0100", "secret answer"],
            ["Europe/Paris"],
        ),
        ({"name": 7, "questions_and_answers": None}, [], ["7"]),
        ("not a dict", [], ["not a dict"]),
        (None, [], ["None"]),
    ],
)
def test_protect_invitee(invitee, hidden, shown):
    redact.protect_invitee(invitee)
    text = redact.redact(" | ".join(hidden + shown))
    for value in hidden:
        assert value not in text
    for value in shown:
        assert value in text
