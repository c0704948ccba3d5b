#!/usr/bin/env bash
# `make pipeline`: the real .gitlab-ci.yml, run locally by gitlab-ci-local (shell executor), on
# a bundled sample booking, against the fake Google Calendar and Calendly servers of
# tests/fakes/ on 127.0.0.1. What an operator sees before deploying:
#   1. a manual pipeline with CALSYNC_JOB=doctor: the `doctor` job checks the setup;
#   2. a trigger pipeline (Calendly's webhook): `calendar-sync` verifies the delivery with
#      the Calendly fake and creates the event on the team calendar;
#   3. the same delivery again: `unchanged`.
# Nothing leaves this machine: the jobs reach the fakes over loopback, and uv/pip run offline
# from the active virtual environment. The pipeline runs in a throw-away copy of the project
# (a git repo in a temp dir) whose team map points at the fake's calendars.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
PY=${PY:-.venv/bin/python}
GCL=${GCL:-$root/.cache/gitlab-ci-local/node_modules/.bin/gitlab-ci-local}
venv_bin=$(cd "$(dirname "$PY")" && pwd)
token="pipeline-demo-calendly-token"
hook="https://gitlab.example.com/api/v4/projects/42/ref/main/trigger/pipeline?token=pipeline-demo-trigger"
global="c_pipeline_global@group.calendar.google.com"
usgov="c_pipeline_usgov@group.calendar.google.com"
sample=samples/invitee_created.json
if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi

[[ -x $GCL ]] || { echo "make pipeline: gitlab-ci-local missing ($GCL): run make tools" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/calsync-pipeline.XXXXXX")
repo="$work/calsync-pipeline-$(basename "$work" | tr -dc 'a-zA-Z0-9' | tail -c 7)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work" /tmp/gitlab-ci-local-file-variables-*"$(basename "$repo")"-*
}
trap cleanup EXIT

wait_for() {  # wait_for FILE: the fake writes it once it listens
  for _ in $(seq 100); do [[ -s $1 ]] && return 0; sleep 0.1; done
  echo "make pipeline: a fake server did not start ($1)" >&2
  exit 1
}

# -- the fakes -----------------------------------------------------------------------------
"$PY" tests/fakes/google_server.py --port 0 --calendar "$global" --calendar "$usgov" \
  --ready-file "$work/google.url" --service-account-file "$work/key.json" \
  --dump "$work/google.json" >/dev/null &
pids+=($!)
"$PY" tests/fakes/calendly_server.py --port 0 --token "$token" --ready-file "$work/calendly.json" \
  --booking "$sample" --subscription "$hook" >/dev/null &
pids+=($!)
wait_for "$work/google.url"
wait_for "$work/calendly.json"
google_url=$(cat "$work/google.url")
calendly_url=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["base_url"])' \
  "$work/calendly.json")

# What GitLab writes to TRIGGER_PAYLOAD: the delivery (its URIs on the Calendly fake, as the
# fake's --booking moved them) plus the trigger's id, ref and variables.
"$PY" - "$sample" "$calendly_url" "$work/trigger_payload.json" <<'PY'
import json, sys
body = json.loads(open(sys.argv[1]).read().replace("https://api.calendly.com", sys.argv[2]))
json.dump({**body, "id": "1", "ref": "main", "variables": {}}, open(sys.argv[3], "w"))
PY

# -- a throw-away copy of the project, committed, with a team map for the fake calendars ----
mkdir -p "$repo"
git ls-files -co --exclude-standard -z -- .gitlab-ci.yml .gitignore .ci Makefile pyproject.toml \
  'requirements*.txt' scripts config |
  while IFS= read -r -d '' f; do
    [[ -f $f && $f != *__pycache__* ]] && cp --parents "$f" "$repo"/
  done
cat > "$repo/config/team_map.yaml" <<EOF
# make pipeline: the team map of the local run; its calendars live on the fake Google server.
version: 1
teams:
  us-government:
    name: US Government Support
    calendar_id: $usgov
    members: [agent.one@example.com, agent.two@example.com]
  global:
    name: Global Support
    calendar_id: $global
routes:
  - team: us-government
    event_name_contains: ["US Federal", "US Government"]
    host_is_member: true
  - team: global
    event_name_contains: ["Support"]
EOF
rm -f "$repo/config/team_map.lock.yaml"
git_q() {
  GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=calsync \
    GIT_AUTHOR_EMAIL=calsync@example.invalid GIT_COMMITTER_NAME=calsync \
    GIT_COMMITTER_EMAIL=calsync@example.invalid git -C "$repo" "$@" >/dev/null
}
git_q init -q -b main
git_q add -A
git_q commit -q --no-gpg-sign -m "make pipeline"
git_q remote add origin "https://gitlab.example.com/calsync-local/$(basename "$repo").git"
git_q update-ref refs/remotes/origin/main HEAD
git_q symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main
git_q config user.name calsync
git_q config user.email calsync@example.invalid

# -- gitlab-ci-local, in an environment that knows only the fakes -----------------------------
gcl() {  # gcl SOURCE [VAR=VALUE ...]: the whole pipeline of that source
  local source=$1
  shift
  local vars=(--variable "CI_PIPELINE_SOURCE=$source")
  for v in "$@"; do vars+=(--variable "$v"); done
  (cd "$repo" && env -i HOME="$work" PATH="$venv_bin:$PATH" LANG=C.UTF-8 TERM="${TERM:-dumb}" \
    VIRTUAL_ENV="$(dirname "$venv_bin")" UV_OFFLINE=1 PIP_NO_INDEX=1 \
    GCL_IGNORE_PREDEFINED_VARS=CI_PIPELINE_SOURCE \
    GOOGLE_APPLICATION_CREDENTIALS="$work/key.json" GOOGLE_CALENDAR_API_ENDPOINT="$google_url" \
    CALENDLY_TOKEN="$token" CALENDLY_API_URL="$calendly_url" \
    "$GCL" --home "$work/gcl-home" --force-shell-executor "${vars[@]}")
}
report() {  # the job's report.json, in two lines
  "$PY" - "$repo/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
where = f" calendar={r['calendar_id']}" if r.get("calendar_id") else ""
print(f"report.json: action={r['action']} exit_code={r['exit_code']}{where}\n  {r['reason']}")
PY
}
step() { printf '\n%s== %s%s\n' "$bold" "$1" "$plain"; }

step "1. Build > Pipelines > New pipeline, CALSYNC_JOB=doctor: check the setup"
gcl web CALSYNC_JOB=doctor
report
step "2. Calendly delivers invitee.created to the trigger URL (trigger pipeline)"
gcl trigger "TRIGGER_PAYLOAD=$work/trigger_payload.json"
report
step "3. the same delivery again (a Calendly retry)"
gcl trigger "TRIGGER_PAYLOAD=$work/trigger_payload.json"
report

# -- what the fake Google calendars hold now ------------------------------------------------
kill "${pids[0]}" && wait "${pids[0]}" 2>/dev/null || true
wait_for "$work/google.json"
step "The team calendars on the fake Google server"
"$PY" - "$work/google.json" <<'PY'
import json, sys
dump = json.load(open(sys.argv[1]))
for calendar, events in dump["events"].items():
    for ev in events:
        start = ev.get("start", {}).get("dateTime", "?")
        print(f"  {calendar:45} {ev.get('status', ''):10} {start}  {ev.get('summary')}")
print(f"  ({dump['http_requests']} requests reached the fake Google server)")
PY
