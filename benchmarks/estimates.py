"""The time estimates' refresh: wall time and peak memory of the child process the scheduler
starts (`python -m bot.operations.survival`) over a year of history, and what importing
lifelines would have added to the serving process, which never does.

    python benchmarks/estimates.py [--submissions 100000] [--postgres postgresql+psycopg://postgres@127.0.0.1/test] [--no-sqlite]

The history is benchmarks/web.py's: problems, ideas and offers over the last year, a third
moved on two days after they came in.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])

from sqlmodel import Session  # noqa: E402

from benchmarks.web import NOW, fill  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from storage import estimates  # noqa: E402
from tests.postgres import scratch_database  # noqa: E402

SERVING = "import bot.app, bot.web.server, bot.channels.telegram_channel, bot.channels.slack_channel"


def peak_of(command: list[str], **environment: str) -> tuple[float, int]:
    """(seconds, peak resident memory in MB) of a child process run to its end."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env={**os.environ, **environment})
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{command[2]} exited with {child.returncode}")
    return time.perf_counter() - started, usage.ru_maxrss // 1024  # ru_maxrss is in KB on Linux


def run(url: str, label: str, submissions: int) -> None:
    app = build_app(Settings(_env_file=None, database_url=url), clock=lambda: NOW)
    try:
        fill(app, submissions)
        seconds, peak = peak_of([sys.executable, "-m", "bot.operations.survival", "--now", NOW.isoformat()], DATABASE_URL=url)
        with Session(app.database) as session:
            categories = len(estimates.all_estimates(session))
        print(f"{label}: refresh of {categories} categories over {submissions:,} submissions: {seconds:.1f} s, peak {peak} MB")
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a scratch database is created there")
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    options = parser.parse_args()
    serving = peak_of([sys.executable, "-c", SERVING])[1]
    with_lifelines = peak_of([sys.executable, "-c", f"{SERVING}, lifelines"])[1]
    print(f"serving modules imported: peak {serving} MB; with lifelines as well: {with_lifelines} MB (never in that process)")
    if not options.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/estimates.db", "SQLite", options.submissions)
    if options.postgres:
        with scratch_database(options.postgres, prefix="cocreate_bench") as url:
            run(url, "PostgreSQL", options.submissions)


if __name__ == "__main__":
    main()
