"""Benchmark: the skip path, a `sync` of a booking no route wants, as the job runs it.

`python scripts/calendly_gcal.py sync --payload samples/invitee_created_sales.json --config
config/team_map.yaml` (the shipped map has no route for a sales call), in fresh interpreters,
against `python -c "import yaml, json"` (the floor for anything that reads the team map).
Twice: on a fresh checkout (no bytecode for our modules: every run compiles them, as with
PYTHONDONTWRITEBYTECODE=1) and with our modules compiled beforehand (`python -m compileall`,
as the job setup can do). The commands alternate, round after round, and medians are kept: the
machine may be busy. Printed, never asserted.

    python bench/skip_bench.py [ROUNDS]
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
ROUNDS = 21


def _seconds(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def skip_path(rounds: int = ROUNDS) -> float:
    """Print the figures; return the median seconds of the skip path on a fresh checkout."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="calsync-skip-") as tmp:
        copies = {}
        for name in ("fresh", "compiled"):
            copies[name] = Path(tmp) / name
            shutil.copytree(
                ROOT / "scripts", copies[name], ignore=shutil.ignore_patterns("__pycache__")
            )
        start = time.perf_counter()
        subprocess.run([py, "-m", "compileall", "-q", str(copies["compiled"])], check=True)
        compile_s = time.perf_counter() - start
        sync = [
            "sync",
            "--payload",
            "samples/invitee_created_sales.json",
            "--config",
            "config/team_map.yaml",
        ]
        commands = {
            "floor": [py, "-c", "import yaml, json"],
            "bare": [py, "-c", "pass"],
            "fresh": [py, str(copies["fresh"] / "calendly_gcal.py"), *sync],
            "compiled": [py, str(copies["compiled"] / "calendly_gcal.py"), *sync],
            "google": [py, "-c", "import googleapiclient.discovery, google.oauth2.service_account"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, argv in commands.items():
                times[name].append(_seconds(argv, env))
    med = {name: statistics.median(values) for name, values in times.items()}
    floor = med["floor"]
    print(f"skip path (median of {rounds} fresh interpreters each, commands alternating):")
    print(f"  python -c 'import yaml, json'            : {1000 * floor:6.1f} ms (the floor)")
    print(f"  python -c pass                           : {1000 * med['bare']:6.1f} ms")
    for name, label in (
        ("fresh", "fresh checkout, no bytecode"),
        ("compiled", "our modules compiled"),
    ):
        ratio = med[name] / floor
        print(
            f"  sync, skipped, {label:<26}: {1000 * med[name]:6.1f} ms = {ratio:.2f}x the floor (target <= 2.5x)"
        )
    print(f"  compiling our modules (compileall)       : {1000 * compile_s:6.1f} ms, once per job")
    print(
        f"  import of the Google client alone        : {1000 * (med['google'] - med['bare']):6.1f} ms (never on this path)"
    )
    return med["fresh"]


if __name__ == "__main__":
    skip_path(int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS)
