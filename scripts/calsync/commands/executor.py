"""The one write executor: a lifecycle Plan becomes calendar calls, the same for sync and reconcile.

`calls_for()` says which calls carry a plan out (in order); `perform()` sends one of them to a
Calendar (Google or .ics). Reconcile sends the same calls in Google batches instead.
"""

from __future__ import annotations

import logging

from calsync.adapters.calendar import Calendar, Call, Missing
from calsync.core.lifecycle import Op, Plan

log = logging.getLogger(__name__)


def calls_for(step: Plan, calendar_id: str, event_id: str) -> list[Call]:
    """The calendar calls that carry out `step` for one event, in order."""
    cid, eid, body = calendar_id, event_id, step.body
    if step.op is Op.INSERT:
        return [Call("insert", cid, body={"id": eid, **body})]
    if step.op is Op.PATCH:
        return [Call("patch", cid, eid, body)]
    if step.op is Op.DELETE:
        return [Call("patch", cid, eid, body), Call("delete", cid, eid)]
    if step.op is Op.BURN:
        insert = Call("insert", cid, body={"id": eid, **body, "status": "confirmed"})
        return [insert, Call("delete", cid, eid)]
    return []


def perform(cal: Calendar, call: Call) -> None:
    """Send one call. A delete of an event that is already gone is done, not an error."""
    if call.verb == "insert":
        cal.insert(call.calendar_id, call.body)
    elif call.verb == "patch":
        cal.patch(call.calendar_id, call.event_id, call.body)
    elif call.verb == "delete":
        try:
            cal.delete(call.calendar_id, call.event_id)
        except Missing:
            log.info("event %s was already deleted", call.event_id)
