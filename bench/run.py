"""`make bench`: print the figures. Nothing here is asserted by the tests.

1. The skip path: a whole `sync` run on a booking no route wants, in a fresh interpreter,
   against the cost of merely importing the Google client it never needs.
2. Reconcile of 2,000 bookings against the local fakes (bench/reconcile_bench.py).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
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
    print(f"skip path (median of {RUNS} fresh interpreters, interpreter start-up subtracted):")
    print(f"  sync of a booking no route wants : {1000 * (skip - bare):7.1f} ms")
    print(f"  import of the Google client only : {1000 * (google - bare):7.1f} ms")


def reconcile() -> None:
    bench = ROOT / "bench" / "reconcile_bench.py"
    if not bench.exists():
        print("reconcile: bench/reconcile_bench.py not present")
        return
    subprocess.run([sys.executable, str(bench)], check=True, cwd=ROOT)


if __name__ == "__main__":
    skip_path()
    reconcile()
