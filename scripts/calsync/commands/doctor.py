"""`doctor`: prove a deployment works before the first booking, without writing anything.

One line per check, `ok` or `FAIL` with the fix in the same line, in this order:
- the team map is valid (what validate-config checks offline: schema, lint, lock file);
- the Google credentials yield a token (service-account key, delegated user, or workload
  identity federation), with the delegated user a trigger run would use;
- for every team, the calendar exists and the identity may write events to it: its
  accessRole, read from one events.list answer (maxResults=1; the calendar.events scope is
  enough), is owner or writer;
- the Calendly token, its scopes, and the webhook subscription (commands.doctor_calendly).

Nothing is created, changed or deleted, on Google or on Calendly: every request is a GET (plus
the OAuth token request). Exit 0 when every check passed, 2 when something is misconfigured, 1
when a service could not be reached. With `--json` the checks are the report line's `checks`.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from calsync.commands.backends import open_google
from calsync.commands.context import Clock, Context
from calsync.commands.doctor_calendly import calendly_checks
from calsync.commands.validate import checked_map
from calsync.core import redact
from calsync.core.doctor import Check, calendar_check, exit_code, failed, from_error, passed
from calsync.core.doctor import summary as summarize
from calsync.core.errors import CalSyncError, ConfigError, ExitCode
from calsync.core.settings import Settings
from calsync.core.team_map import TeamMap
from calsync.core.trust import Committed, delegated_user

TOOL = "python scripts/calendly_gcal.py"


def run(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    settings = ctx.settings
    head, team_map = team_map_check(settings)
    checks = [head, *google_checks(settings, team_map, ctx.clock)]
    checks += calendly_checks(settings, team_map, ctx.clock)
    summary = summarize(checks)
    if not args.json:
        for check in checks:
            ctx.say(check.line())
    ctx.report.update(action="checked", reason=summary, checks=[c.as_dict() for c in checks])
    code = exit_code(checks)
    if code is not ExitCode.OK:
        err = CalSyncError(f"doctor: {summary}")
        err.exit_code = code
        raise err
    return dict(ctx.report)


def team_map_check(settings: Settings) -> tuple[Check, TeamMap | None]:
    path = settings.config_path
    try:
        team_map = checked_map(path)
    except ConfigError as err:
        first = f" (first: {err.problems[0]})" if err.problems else ""
        fix = f"{TOOL} validate-config --config {path} lists every problem"
        return failed("team map", f"{err}{first}: fix: {fix}"), None
    redact.allow(cid for _, cid in team_map.calendars())
    teams, routes = len(team_map.teams), len(team_map.routes)
    return passed("team map", f"{path}: valid, {teams} teams, {routes} routes"), team_map


def google_checks(settings: Settings, team_map: TeamMap | None, clock: Clock) -> list[Check]:
    """The credentials, then each team's calendar (not tried without a token)."""
    name = "google credentials"
    if settings.backend == "ics":
        return [passed(name, f"not used: CALSYNC_BACKEND=ics writes {settings.ics_file}")]
    committed = team_map.trust if team_map is not None else Committed()
    try:
        # the subject a trigger run acts as: the committed one only
        subject = delegated_user(settings.google_delegated_user, committed, triggered=True)
    except ConfigError as err:
        return [from_error(name, err)]
    redact.allow([subject] if subject else [])
    try:
        cal = open_google(replace(settings, google_delegated_user=subject), clock)
    except CalSyncError as err:
        return [_not_checked(from_error(name, err), team_map)]
    try:
        try:
            cal.check_token()
        except CalSyncError as err:
            return [_not_checked(from_error(name, err), team_map)]
        who = subject or cal.who
        redact.allow([cal.who])
        acting = f", acting as {subject} (domain-wide delegation)" if subject else ""
        checks = [passed(name, f"a token for {cal.who}{acting}")]
        for team, calendar_id in team_map.calendars() if team_map is not None else []:
            try:
                role = cal.access_role(calendar_id)
            except CalSyncError as err:
                checks.append(_calendar_error(team, who, err))
            else:
                checks.append(calendar_check(team, calendar_id, role, who))
        return checks
    finally:
        cal.close()


def _calendar_error(team: str, who: str, err: CalSyncError) -> Check:
    check = from_error(
        f"calendar {team}",
        err,
        fix=f"check teams.{team}.calendar_id in the team map, and share the calendar with "
        f"{who} ('Make changes to events')"
        if isinstance(err, ConfigError)
        else "",
    )
    return replace(check, detail=f"team {team}: {check.detail}")


def _not_checked(check: Check, team_map: TeamMap | None) -> Check:
    if team_map is None or not team_map.teams:
        return check
    return replace(check, detail=check.detail + " (the team calendars were not checked)")
