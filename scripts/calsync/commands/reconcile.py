"""`reconcile`: make the team calendars match Calendly's scheduled events in a time window.

It repairs what webhooks missed (a delivery lost, a pipeline that failed for good, a calendar
edited by hand): a missing event is created, an event whose meeting was canceled is deleted,
one that drifted (time, title, location) is updated. Every event is planned by lifecycle.plan(),
the rules `sync` follows, with the scheduled event's `updated_at` as the delivery time: an event
recording a newer delivery keeps its details, and a canceled meeting never comes back.

Scale: memory is bounded by one chunk, whatever the window holds. Calendly's scheduled events are
streamed (pages of 100, sorted by start time) and taken CHUNK at a time; each chunk is routed,
read, planned and written (commands.reconcile_batch) before the next pages are fetched, and only
the counts and the first MAX_DRIFT drift entries are kept. To read a chunk's calendar events we
list each routed calendar over the chunk's span of start times (deleted events too) rather than
GET each event by id: both keep memory O(chunk) and requests linear, but a listing is one request
and one unit of Google's per-user quota (about 600 a minute) per calendar and chunk, where reads
by id cost a quota unit per meeting even inside batch requests. An event the span listing misses
(moved far away by hand, or never created) is read by id only when the listing cannot settle it:
a dry run reads it, a real run that would insert it just inserts (409 when the id is taken: read
it, plan again), and a canceled meeting's is read (an event left behind must still go).

Cost per run, for N scheduled events in the window. Calendly: GET /users/me, N/100 pages, and an
invitee listing only for one-invitee meetings whose team shows the invitee's name or answers
(group counters are in the event resource). Google: a token, per chunk one listing per routed
calendar (and a batch of reads if some meetings were canceled before reaching the calendar),
then writes in batches of up to 50 calls.

Not covered: no-show marks come only from webhooks (they live on invitees), so an event created
here has none and no "Rescheduled from" line; existing marks and lines are kept. Only the google
backend is supported: the .ics backend has no listing.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from calsync.adapters.calendly import PAGE_SIZE, CalendlyClient
from calsync.adapters.files import load_team_map
from calsync.commands.backends import open_google
from calsync.commands.calendly_api import open_client, owner
from calsync.commands.context import Clock, Context
from calsync.commands.reconcile_batch import Item, reconcile_chunk, routed
from calsync.commands.verify import effective_kind
from calsync.core import redact
from calsync.core.booking import Booking, Kind
from calsync.core.decide import decide
from calsync.core.errors import CalSyncError, ConfigError, ExitCode, InputError
from calsync.core.fields import opt_time
from calsync.core.lifecycle import Op
from calsync.core.parse import booking_from_api
from calsync.core.settings import Settings
from calsync.core.state import stamp
from calsync.core.team_map import TeamMap
from calsync.core.trust import delegated_user
from calsync.core.window import parse_when

if TYPE_CHECKING:
    from calsync.adapters.google_batch import GoogleBatch

log = logging.getLogger(__name__)
JSON = dict[str, Any]
COUNTS = ("created", "updated", "deleted", "unchanged", "skipped", "errors")
MAX_DRIFT = 200  # drift entries kept in the report (the counts are always complete)
# scheduled events routed, read, planned and written together: the memory bound (a few MB),
# and one calendar listing per CHUNK meetings
CHUNK = 5 * PAGE_SIZE


def run(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    settings = ctx.settings
    backend = settings.backend
    if backend != "google":
        raise ConfigError(
            f"reconcile supports the google backend only (CALSYNC_BACKEND={backend}"
            "); the .ics backend has no listing to compare with"
        )
    now = datetime.now(UTC)
    since, until = (
        parse_when(args.since, now, "--since"),
        parse_when(args.until or "+90d", now, "--until"),
    )
    if until <= since:
        raise InputError(f"--until ({stamp(until)}) must be after --since ({stamp(since)})")
    team_map = load_team_map(settings.config_path)
    redact.allow(cid for _, cid in team_map.calendars())
    subject = delegated_user(
        settings.google_delegated_user, team_map.trust, triggered=settings.triggered
    )
    settings = replace(settings, google_delegated_user=subject)
    dry = settings.dry_run
    ctx.report.update(since=stamp(since), until=stamp(until), dry_run=dry, verified=True)
    tally = Tally(dry_run=dry)
    with open_client(settings, timeout=settings.timeout, clock=ctx.clock) as api:
        _, organization = owner(api)
        listing = api.list_scheduled_events(
            organization=organization, min_start_time=stamp(since), max_start_time=stamp(until)
        )
        with contextlib.ExitStack() as closing:
            google: GoogleBatch | None = None
            for events in _chunks(listing, CHUNK):
                items = [route(Item(event), team_map, api) for event in events]
                if google is None and any(routed(it) for it in items):
                    google = _open_google(settings, closing, ctx.clock)
                if google is not None:
                    reconcile_chunk(items, google, dry_run=dry)
                tally.add(items)
            ctx.report["calendly_requests"] = api.request_count
            if google is not None:
                ctx.report["google_requests"] = google.http_requests
    return _report(tally, ctx)


def _chunks(events: Iterable[JSON], size: int) -> Iterator[list[JSON]]:
    it = iter(events)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _open_google(settings: Settings, closing: contextlib.ExitStack, clock: Clock) -> GoogleBatch:
    # imported here: the Google client loads only when some event is a team's
    from calsync.adapters.google_batch import GoogleBatch, batch_uri

    cal = open_google(settings, clock)
    closing.callback(cal.close)
    uri = batch_uri(settings.google_api_endpoint, settings.google_batch_uri)
    return GoogleBatch(cal, uri, num_retries=settings.retries)


def route(item: Item, team_map: TeamMap, api: CalendlyClient) -> Item:
    """Build the item's Booking from the API's event (plus its invitee when displayed); route it."""
    uri = str(item.event.get("uri", ""))
    try:
        item.booking = _booking(item.event, None)
        item.decision = decide(item.booking, team_map)
        display, meeting = item.decision.display, item.booking.scheduled_event
        shows_invitee = display.show_invitee_name or display.show_answers
        if routed(item) and meeting and not meeting.is_group and shows_invitee:
            invitees = api.list_invitees(uri)
            active = [i for i in invitees if i.get("status") == "active"]
            invitee = (active or invitees)[-1] if invitees else None
            redact.protect_invitee(invitee)
            item.booking = _booking(item.event, invitee)
    except InputError as err:
        item.error = InputError(f"{uri}: {err}")
    return item


def _booking(event: JSON, invitee: JSON | None) -> Booking:
    """The meeting as the API has it; its `updated_at` orders it among webhook deliveries."""
    kind = effective_kind(Kind.CREATED, invitee, event)
    return booking_from_api(kind, opt_time(event, "updated_at", "updated_at"), event, invitee)


@dataclass
class Tally:
    """What the report needs, kept as the chunks go by: counts, the first drift entries, errors."""

    dry_run: bool
    total: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    drift: list[JSON] = field(default_factory=list)  # at most MAX_DRIFT
    drifted: int = 0  # all of them
    first_error: CalSyncError | None = None
    transient: bool = False

    def add(self, items: list[Item]) -> None:
        for it in items:
            self.total += 1
            if it.error is not None:
                self.counts["errors"] += 1
                self.first_error = self.first_error or it.error
                self.transient |= it.error.exit_code is ExitCode.TRANSIENT
                self._drift(it, "error", str(it.error))
            elif not routed(it) or it.step is None:
                self.counts["skipped"] += 1
            else:
                self.counts[it.step.action] += 1
                if it.step.op is not Op.NOOP:
                    prefix = "dry run: " if self.dry_run else ""
                    self._drift(it, it.step.action, prefix + it.step.reason + it.raced)

    def _drift(self, item: Item, action: str, reason: str) -> None:
        self.drifted += 1
        if len(self.drift) < MAX_DRIFT:
            self.drift.append(_entry(item, action, reason))


def _report(tally: Tally, ctx: Context) -> dict[str, Any]:
    counts, dry_run = tally.counts, tally.dry_run
    summary = ", ".join(f"{counts[k]} {k}" for k in COUNTS)
    window = f"{ctx.report['since']} .. {ctx.report['until']}"
    ctx.say(
        f"{'dry run: ' if dry_run else ''}{tally.total} scheduled events in {window}: {summary}"
    )
    for entry in tally.drift:
        ctx.say(
            f"  {entry['action']} {entry['event_id'] or '-'} on {entry['calendar_id'] or '-'}: "
            f"{entry['reason']} [{entry['calendly_event']}]"
        )
    ctx.report.update(
        action="reconciled",
        scheduled_events=tally.total,
        counts=counts,
        drift=tally.drift,
        drift_truncated=tally.drifted - len(tally.drift),
        reason=f"{'dry run: ' if dry_run else ''}{summary}",
    )
    if tally.first_error is not None:
        err = CalSyncError(
            f"{counts['errors']} of {tally.total} scheduled events could not be "
            f"reconciled (first: {tally.first_error}); the report lists them"
        )
        err.exit_code = ExitCode.TRANSIENT if tally.transient else ExitCode.BAD_INPUT
        raise err
    return dict(ctx.report)


def _entry(item: Item, action: str, reason: str) -> JSON:
    decision = item.decision
    return {
        "action": action,
        "calendly_event": str(item.event.get("uri", "")),
        "team": decision.team if decision else "",
        "calendar_id": decision.calendar_id if decision else "",
        "event_id": (item.event_id or decision.event_id) if decision else "",
        "reason": reason,
    }
