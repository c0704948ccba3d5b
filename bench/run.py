"""`make bench`: print the figures. Nothing here is asserted by the tests.

1. The skip path: a whole `sync` run on a booking no route wants, in a fresh interpreter,
   against the cost of merely importing the Google client it never needs, and its ratio to
   `python -c "import yaml, json"` (the floor for anything that reads the team map).
2. Job setup: the `calendar-sync` job's own install command (its first before_script line,
   read from .gitlab-ci.yml) in a temp copy of the project, run twice: cold (no cached venv,
   empty uv cache: needs PyPI) and warm (the venv as GitLab's cache restores it).
3. Reconcile of 2,000 bookings against the local fakes (bench/reconcile_bench.py).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7


def _median_seconds(code: str, *args: str) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code, *args],
            check=True,
            cwd=ROOT / "scripts",
            stdout=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def skip_path() -> None:
    sample = str(ROOT / "samples" / "invitee_created_sales.json")
    bare = _median_seconds("pass")
    skip = _median_seconds(
        "import sys; from calsync.cli import main; "
        "sys.exit(main(['sync', '--payload', sys.argv[1]], env={}))",
        sample,
    )
    google = _median_seconds("import googleapiclient.discovery, google.oauth2.service_account")
    floor = _median_seconds("import yaml, json")
    print(f"skip path (median of {RUNS} fresh interpreters, interpreter start-up subtracted):")
    print(f"  sync of a booking no route wants : {1000 * (skip - bare):7.1f} ms")
    print(f"  import of the Google client only : {1000 * (google - bare):7.1f} ms")
    print(f"  import yaml, json                : {1000 * (floor - bare):7.1f} ms")
    print(
        f"  whole run vs python -c 'import yaml, json': {skip / floor:.2f}x"
        f" ({1000 * skip:.0f} ms vs {1000 * floor:.0f} ms, start-up included; target <= 2.5x)"
    )
    return skip


def _setup_command() -> tuple[str, dict[str, str]]:
    """calendar-sync's install line and the pipeline's variables, from .gitlab-ci.yml."""
    import yaml

    ci = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    command: str = ci["calendar-sync"]["before_script"][0]
    variables = {
        name: str(value["value"] if isinstance(value, dict) else value)
        for name, value in ci["variables"].items()
        if name.startswith(("UV_", "PIP_"))
    }
    return command, variables


def job_setup(skip_seconds: float) -> None:
    command, variables = _setup_command()
    python = shutil.which("python3")
    if python is None:
        print("job setup: no python3 on PATH")
        return
    with tempfile.TemporaryDirectory(prefix="calsync-job-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        for name in (".ci", "requirements.txt"):
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, project / name)
            else:
                shutil.copy2(src, project / name)
        env = {
            k: v
            for k, v in os.environ.items()
            if k != "VIRTUAL_ENV" and not k.startswith(("UV_", "PIP_", "PYTHON"))
        }
        # As on the runner: the image's python3 and no venv first on PATH.
        venv_bin = str(Path(sys.executable).parent)
        path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin]
        env["PATH"] = os.pathsep.join(path)
        env.update({k: v.replace("$CI_PROJECT_DIR", str(project)) for k, v in variables.items()})
        print(f"job setup (calendar-sync: `{command}`, python3 = {python}):")
        for label in ("cold (cache miss, needs PyPI)", "warm (venv restored from the cache)"):
            start = time.perf_counter()
            done = subprocess.run(["bash", "-eo", "pipefail", "-c", command], cwd=project,
                                  env=env, capture_output=True, text=True, check=False)  # fmt: skip
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                print(f"  {label}: failed (exit {done.returncode})")
                print("    " + (done.stderr or done.stdout).strip()[-600:])
                return
            print(f"  {label:38}: {seconds:6.2f} s")
            # GitLab keeps .cache/venv and .cache/uv-bin, not uv's download cache.
            shutil.rmtree(project / ".cache" / "uv", ignore_errors=True)
    print(f"  then the script itself, skipped booking  : {skip_seconds:6.2f} s")


def reconcile() -> None:
    bench = ROOT / "bench" / "reconcile_bench.py"
    if not bench.exists():
        print("reconcile: bench/reconcile_bench.py not present")
        return
    subprocess.run([sys.executable, str(bench)], check=True, cwd=ROOT)


if __name__ == "__main__":
    job_setup(skip_path())
    reconcile()
