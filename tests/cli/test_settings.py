"""Where the team map comes from: --config, then CALSYNC_CONFIG, then the checkout's default.

The one test of the default path points it at a temporary file: no test reads the shipped
the shipped team map (an operator replaces it with their own).
"""

from __future__ import annotations

import io

import pytest

from calsync import cli
from calsync.cli import settings as cli_settings
from calsync.cli.parser import parse_args
from calsync.cli.settings import load_settings
from conftest import ROOT, TEAM_MAP


def test_default_map_path_is_the_checkouts_config():
    """No flag, no variable: the map next to scripts/ (only the path; the file is not read)."""
    config = load_settings(parse_args(["validate-config"]), env={}).config_path
    assert config == ROOT / "config" / "team_map.yaml"


@pytest.mark.parametrize(
    ("argv", "env", "expect"),
    [
        (["validate-config"], {"CALSYNC_CONFIG": "from-env.yaml"}, "from-env.yaml"),
        (["validate-config"], {"CALSYNC_CONFIG": "  from-env.yaml "}, "from-env.yaml"),
        (["validate-config", "--config", "flag.yaml"], {"CALSYNC_CONFIG": "env.yaml"}, "flag.yaml"),
    ],
)
def test_flag_beats_variable(argv, env, expect):
    assert str(load_settings(parse_args(argv), env=env).config_path) == expect


def test_default_map_is_read_when_nothing_names_one(tmp_path, monkeypatch):
    """Without --config and CALSYNC_CONFIG the CLI reads the default path (here a temp file)."""
    default = tmp_path / "config" / "team_map.yaml"
    default.parent.mkdir()
    default.write_text(
        "version: 1\nteams:\n  only:\n    calendar_id: c_only@group.calendar.google.com\n"
        "routes:\n  - team: only\n    event_name_contains: [Call]\n"
    )
    monkeypatch.setattr(cli_settings, "DEFAULT_CONFIG", default)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["validate-config"], env={}, stdout=out, stderr=err)
    assert (code, err.getvalue()) == (0, "")
    assert out.getvalue().splitlines()[0] == f"{default}: OK, 1 teams, 1 routes"
    assert default != TEAM_MAP
