#!/usr/bin/env bash
# `make demo`: the sync on bundled sample payloads, no account and no network. The team
# calendars live in one local .ics file (the embedded backend); the reports are the same JSON
# lines the GitLab job prints.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
out=${DEMO_OUT:-demo-out}  # the tests point it elsewhere
rm -rf "$out" && mkdir -p "$out"
ics="$out/team-calendars.ics"
# bold headings only on a terminal, and never with NO_COLOR set (https://no-color.org)
if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi

step() {  # step TITLE PAYLOAD
  printf '\n%s== %s%s  (%s)\n' "$bold" "$1" "$plain" "$2"
  "$PY" scripts/calendly_gcal.py sync --backend ics --ics-file "$ics" --payload "$2" \
    --report-file "$out/report.json"
}

step "1. a customer books a Global Support call" samples/invitee_created.json
step "2. Calendly delivers the same webhook again" samples/invitee_created.json
step "3. a US Government agent's session is booked" samples/invitee_created_usgov.json
step "4. a sales call: no team route matches" samples/invitee_created_sales.json
step "5. the customer cancels the support call" samples/invitee_canceled.json
step "6. the cancellation is delivered twice" samples/invitee_canceled.json

printf '\n%s== The team calendars now (%s)%s\n' "$bold" "$ics" "$plain"
"$PY" - "$ics" <<'PY'
import sys
import icalendar

cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
for ev in cal.walk("VEVENT"):
    print(f"  {str(ev.get('x-calsync-calendar')):40} {str(ev.get('status')):10} "
          f"{ev.decoded('dtstart'):%Y-%m-%d %H:%M}Z  {ev.get('summary')}")
PY
printf '\nThe .ics file is %s; the last report is %s.\n' "$ics" "$out/report.json"
