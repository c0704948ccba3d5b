"""`make bench`: print the figures. Nothing here is asserted by the tests.

1. The skip path: a whole `sync` run on a booking no route wants, in fresh interpreters, on a
   fresh checkout and with our modules compiled, and its ratio to `python -c "import yaml,
   json"` (the floor for anything that reads the team map) (bench/skip_bench.py).
2. Job setup: the `calendar-sync` job's own install command (its first before_script line,
   read from .gitlab-ci.yml) in a temp copy of the project, run twice: cold (no cached venv,
   empty uv cache: needs PyPI) and warm (the venv as GitLab's cache restores it).
3. Google requests per delivery, by scenario, against the fake Google server
   (bench/requests_bench.py).
4. Reconcile of 2,000 and 10,000 bookings against the local fakes: time, requests, peak memory
   (bench/reconcile_bench.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from skip_bench import skip_path

ROOT = Path(__file__).resolve().parents[1]


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
    print(f"  then the script itself, skipped booking  : {skip_seconds:6.2f} s (fresh checkout)")


def bench(name: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "bench" / name)], check=True, cwd=ROOT)


if __name__ == "__main__":
    job_setup(skip_path())
    bench("requests_bench.py")
    bench("reconcile_bench.py")
