"""config/team_map.schema.json: what editors check as you type agrees with validate-config."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from calsync.core import team_map
from conftest import ROOT, run_cli

SCHEMA = ROOT / "config" / "team_map.schema.json"
BAD = sorted((ROOT / "tests" / "data" / "bad_maps").glob("*.yaml"))
GOOD = """\
version: 1
teams:
  us-gov:
    name: US Government
    calendar_id: c_usgov@group.calendar.google.com
    members: [agent.one@example.com]
    show_invitee_name: false
    show_answers: false
    show_hosts: true
  global:
    calendar_id: c_global@group.calendar.google.com
routes:
  - team: us-gov
    event_name_contains: ["US Federal"]
    host_is_member: true
  - team: global
    event_type: ["https://api.calendly.com/event_types/ET1"]
    hosts: [lead@example.com]
"""


@functools.cache
def _validator() -> Draft202012Validator:
    """The schema, itself checked against the metaschema (once per process)."""
    schema = json.loads(SCHEMA.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(path: Path) -> list[str]:
    """What check-jsonschema (the library under it, formats checked) says of the map at path.
    `make lint` runs check-jsonschema itself on the shipped map."""
    data = yaml.safe_load(path.read_text())
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(data)]


def test_schema_accepts_a_valid_map(tmp_path: Path):
    """A map validate-config accepts is valid against the schema too. (The operator's own
    shipped map is checked by `make lint`, never by the tests.)"""
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    assert run_cli(["validate-config", "--config", str(good)], {}).code == 0
    assert schema_errors(good) == []


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_schema_and_validator_both_reject_bad_maps(path: Path):
    assert schema_errors(path)
    assert run_cli(["validate-config", "--config", str(path)], {}).code == 2


def test_there_are_bad_maps_for_unknown_keys_and_wrong_types():
    names = {p.stem for p in BAD}
    assert {"unknown-root-key", "unknown-team-key", "unknown-route-key"} <= names
    assert {"calendar-id-number", "host-is-member-text", "version-as-text"} <= names


def test_schema_keys_agree_with_the_validator():
    """Adding a key to the validator without the schema (or back) fails here."""
    schema = json.loads(SCHEMA.read_text())
    defs = schema["$defs"]
    assert set(schema["properties"]) == team_map.ROOT_KEYS
    assert set(defs["team"]["properties"]) == team_map.TEAM_KEYS
    assert set(defs["route"]["properties"]) == team_map.ROUTE_KEYS
    for where in (schema, defs["team"], defs["route"]):
        assert where["additionalProperties"] is False
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_event_type_pattern_is_the_validators():
    """One Calendly URI pattern: the schema's event_type items use the validator's own."""
    from calsync.core.fields import CALENDLY_URI

    schema = json.loads(SCHEMA.read_text())
    route = schema["$defs"]["route"]["properties"]["event_type"]
    assert route["items"]["pattern"] == f"^{CALENDLY_URI.pattern}$"


def test_schema_email_pattern_is_the_validators():
    """One email pattern: the schema's $defs.email is the validator's own."""
    from calsync.core.fields import EMAIL

    schema = json.loads(SCHEMA.read_text())
    assert schema["$defs"]["email"]["pattern"] == EMAIL.pattern
