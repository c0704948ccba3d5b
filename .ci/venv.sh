# Job setup, used by the jobs of .gitlab-ci.yml (and timed by `make bench`):
#
#   . .ci/venv.sh && calsync_venv DIR REQUIREMENTS
#
# (run from the project dir) leaves a virtual environment in DIR that holds exactly the pins of REQUIREMENTS, activated
# (VIRTUAL_ENV and PATH exported), so `python` in the rest of the job is that venv's.
#
# DIR is kept by GitLab's cache (key: the requirements files + the Python image, see
# .gitlab-ci.yml), so on a warm runner there is nothing to install:
#   warm   DIR came back from the cache: `uv pip sync --offline` finds every pin in place
#          (tens of milliseconds, no network);
#   cold   cache miss, or the venv does not match (pins or interpreter changed): pip fetches
#          the pinned uv once into .cache/uv-bin (cached next to the venv), then uv rebuilds DIR
#          with bytecode compiled at install (UV_COMPILE_BYTECODE), so no job pays for
#          compiling the dependencies at import time. A few seconds; it needs PyPI.
# The project's own modules are not compiled here: a job is a fresh checkout, so it compiles
# each module it imports at most once anyway, and `python -m compileall scripts` costs more
# (about 0.1-0.2 s, every module) than it saves the skip path (about 20 ms; `make bench`).
# uv comes from the pin UV_VERSION only: a `uv` on PATH is used when it is that version,
# otherwise `pip install uv==$UV_VERSION` (a PyPI wheel, same pin as requirements-dev.txt).
#
# A venv the caller already activated (VIRTUAL_ENV set before the first call: local runs with
# gitlab-ci-local, the pipeline tests) is used instead of DIR: missing pins are installed into
# it with `uv pip install` (never `sync`, which would remove the caller's test tools), and
# with every pin present that is an offline no-op.
#
# POSIX sh: GitLab runs the job with bash when the image has it, sh otherwise.

: "${UV_VERSION:?UV_VERSION (the pinned uv version) must be set}"
# The venv that was active before the first call ("" = none); kept across calls.
: "${CALSYNC_CALLER_VENV=${VIRTUAL_ENV:-}}"
export CALSYNC_CALLER_VENV

calsync_uv() {
    # Print the path of a uv binary of version $UV_VERSION, fetching it with pip if needed.
    for _uv in uv .cache/uv-bin/bin/uv; do
        case "$("$_uv" --version 2>/dev/null)" in
            "uv $UV_VERSION" | "uv $UV_VERSION "*)
                command -v "$_uv"
                return 0
                ;;
        esac
    done
    echo "job setup: installing uv $UV_VERSION with pip (cache miss)" >&2
    rm -rf .cache/uv-bin
    python3 -m pip install --no-input --quiet --disable-pip-version-check \
        --target .cache/uv-bin "uv==$UV_VERSION" >&2 || return 1
    echo "$PWD/.cache/uv-bin/bin/uv"
}

calsync_venv() {
    _dir=$1
    _req=$2
    _uv=$(calsync_uv) || return 1
    if [ -n "$CALSYNC_CALLER_VENV" ]; then
        echo "job setup: using the active virtual environment ($CALSYNC_CALLER_VENV)"
        "$_uv" pip install --quiet --python "$CALSYNC_CALLER_VENV/bin/python" -r "$_req" ||
            return 1
        _dir=$CALSYNC_CALLER_VENV
    elif [ -x "$_dir/bin/python" ] &&
        "$_uv" pip sync --quiet --offline --python "$_dir/bin/python" "$_req" 2>/dev/null; then
        echo "job setup: $_dir restored from the cache, in sync with $_req"
    else
        echo "job setup: building $_dir from $_req (cache miss or changed pins)"
        rm -rf "$_dir"
        # --relocatable: the console scripts (mypy, pytest, ...) keep working when the
        # cache is restored into another build dir.
        "$_uv" venv --quiet --relocatable --python "$(command -v python3)" "$_dir" &&
            "$_uv" pip sync --quiet --compile-bytecode --python "$_dir/bin/python" "$_req" ||
            return 1
    fi
    VIRTUAL_ENV=$(cd "$_dir" && pwd)
    PATH="$VIRTUAL_ENV/bin:$PATH"
    export VIRTUAL_ENV PATH
}
