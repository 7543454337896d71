"""Faults in the middle of the load: kill -9 each server, restart the database, fill the disk; then count.

    .venv/bin/python bench/faults.py                          # every scenario that can run here
    scripts/with-postgres.sh .venv/bin/python bench/faults.py # PostgreSQL restart as well
    .venv/bin/python bench/faults.py --scenarios web,actions --before 20 --after 40 --think 1-2

One stack (bench/_services.py) serves all scenarios; each runs the load of bench/load.py (residents,
reporters, staff) for --before seconds, then does its fault, then keeps the load going for --after seconds:
- web, actions, rasa: SIGKILL the server (with its children) and start it again (Rasa needs 1-2 minutes);
- postgres: the store on a fresh database in the PostgreSQL cluster of scripts/with-postgres.sh, which is
  stopped for --outage seconds and started again; Rasa keeps its SQLite tracker store. Needs
  SAMENSPRAAK_TEST_POSTGRES_URL;
- disk-full: the SQLite store on a small tmpfs (needs root), filled to the last byte for --outage seconds,
  then emptied again; afterwards PRAGMA integrity_check must say ok.
Checks per scenario (a failed check is listed and makes the exit status 1):
- every contribution a resident (the reply with the personal code) or reporter (a 2xx answer) was told was
  saved is in the store, once: "confirmed N, found N, duplicates 0";
- while the fault lasts, clients get a connection error (the web app itself is down: the widget and the
  reporter page then show their own Dutch text) or a 503 with a Dutch message; never a 500 or a hang; no error
  later than --grace seconds after the service is back;
- conversations that were interrupted go on and reach their personal code (none loses its way).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._services import Stack, running_stack  # noqa: E402
from bench.load import Count, Load, Results, count, parse_range, report, run_phase  # noqa: E402

SCENARIOS = ("web", "actions", "rasa", "postgres", "disk-full")
POSTGRES_URL_ENV = "SAMENSPRAAK_TEST_POSTGRES_URL"
DISK_SIZE = "32m"
LOG_LINES = 40


@dataclass
class Outcome:
    scenario: str
    count: Count
    results: Results
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(outcome: Outcome, window: tuple[float, float], grace: float) -> None:
    """Fill outcome.problems from the counts and the errors the clients saw."""
    counted, results = outcome.count, outcome.results
    if counted.found != counted.confirmed:
        outcome.problems.append(f"{counted.confirmed - counted.found} confirmed contributions not in the store")
    if counted.duplicates:
        outcome.problems.append(f"{counted.duplicates} contributions stored twice")
    if results.conversations["lost its way"]:
        outcome.problems.append(f"{results.conversations['lost its way']} conversations lost their way")
    start, end = window
    for route, kind, detail, at in results.errors:
        when = f"{at - start:+.0f} s after the fault"
        if kind in {"hang", "empty"} or kind.startswith("5") and kind != "503":
            outcome.problems.append(f"{route}: {kind} {detail} ({when})")
        elif kind == "503" and "robeer" not in detail:
            outcome.problems.append(f"{route}: 503 without a clear Dutch message: {detail!r}")
        elif not start <= at <= end + grace:
            outcome.problems.append(f"{route}: {kind} {detail} outside the fault ({when})")


async def under_load(
    stack: Stack, load: Load, before: float, after: float, fault: Callable[[], None]
) -> tuple[Results, tuple[float, float]]:
    """Load for `before` seconds, then `fault` (blocking, in a thread), then load for `after` seconds."""
    results = Results()
    phase = asyncio.create_task(run_phase(stack, load, results=results))
    await asyncio.sleep(before)
    start = time.monotonic()
    await asyncio.to_thread(fault)
    end = time.monotonic()
    results.deadline = end + after
    await phase
    return results, (start, end)


def kill_and_restart(stack: Stack, role: str) -> Callable[[], None]:
    def fault() -> None:
        stack.servers[role].kill()
        stack.servers[role].restart()

    return fault


# ---------------------------------------------------------------------------------------------- PostgreSQL


def postgres_outage(seconds: float) -> None:
    """Stop the cluster of scripts/with-postgres.sh, wait, start it again with the options it ran with.

    As the postgres user when we are root. (pg_ctl restart alone is over in a fraction of a second.)
    """
    pg_ctl, data = os.environ.get("SAMENSPRAAK_TEST_PG_CTL"), os.environ.get("SAMENSPRAAK_TEST_PG_DATA")
    if not (pg_ctl and data):
        raise RuntimeError("run under scripts/with-postgres.sh (it sets SAMENSPRAAK_TEST_PG_CTL and _PG_DATA)")
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    # postmaster.opts holds the command line the server was started with: postgres "-D" "…" "-p" "…" …
    options = shlex.split((Path(data) / "postmaster.opts").read_text())[1:]
    at = options.index("-D")
    options = options[:at] + options[at + 2 :]
    log = str(Path(data).parent / "server.log")
    subprocess.run([*run_as, pg_ctl, "-D", data, "-m", "fast", "-w", "stop"], check=True, stdout=subprocess.DEVNULL)
    time.sleep(seconds)
    subprocess.run(
        [*run_as, pg_ctl, "-D", data, "-l", log, "-o", shlex.join(options), "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def postgres_database(server_url: str):
    """A fresh database in the cluster, dropped afterwards."""
    from sqlalchemy import create_engine, text

    from samenspraak.store.db import _normalise_url

    admin = create_engine(_normalise_url(server_url), isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    name = f"faults_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ----------------------------------------------------------------------------------------------- disk full


@contextmanager
def small_disk(folder: Path):
    """A tmpfs of DISK_SIZE mounted on folder (root only), unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def fill(folder: Path) -> Path:
    """Write zeros until the file system is full, to the last block; returns the filler file."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError:
                pass  # ENOSPC: full at this block size
    return filler


def integrity(url: str) -> str:
    import sqlite3

    with closing(sqlite3.connect(url.split("///", 1)[1])) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


# ------------------------------------------------------------------------------------------------- running


def run_scenario(
    stack: Stack, scenario: str, load: Load, before: float, after: float, grace: float, outage: float
) -> Outcome:
    home_url = os.environ["DATABASE_URL"]
    with ExitStack() as scope:
        extra: list[str] = []
        if scenario in {"web", "actions", "rasa"}:
            fault = kill_and_restart(stack, scenario)
        elif scenario == "postgres":
            stack.use_database(scope.enter_context(postgres_database(os.environ[POSTGRES_URL_ENV])))
            scope.callback(stack.use_database, home_url)  # before the database is dropped

            def fault() -> None:
                postgres_outage(outage)

        else:
            disk = scope.enter_context(small_disk(stack.folder / "small-disk"))
            url = f"sqlite:///{disk}/store.db"
            stack.use_database(url)
            scope.callback(stack.use_database, home_url)  # before the disk is unmounted

            def fault() -> None:
                filler = fill(disk)
                time.sleep(outage)
                filler.unlink()

        results, window = asyncio.run(under_load(stack, load, before, after, fault))
        outcome = Outcome(scenario, count(results), results)
        if scenario == "disk-full":
            verdict = integrity(url)
            extra.append(f"integrity_check {verdict}")
            if verdict != "ok":
                outcome.problems.append(f"integrity_check: {verdict}")
    check(outcome, window, grace)
    report(results, f"{scenario}: fault after {before:g} s, lasted {window[1] - window[0]:.0f} s")
    print(f"  {scenario}: {outcome.count.line()}" + "".join(f", {item}" for item in extra))
    for problem in outcome.problems:
        print(f"  PROBLEM: {problem}")
    if outcome.problems:  # the logs live in the stack's temporary folder: show them while they exist
        for server in stack.servers.values():
            lines = server.log.read_text(errors="replace").splitlines()[-LOG_LINES:]
            print(f"  last lines of {server.log.name}:\n" + textwrap.indent("\n".join(lines), "    "))
    return outcome


def available(scenario: str) -> str | None:
    """Why this scenario cannot run here, or None."""
    if scenario == "postgres" and not os.environ.get(POSTGRES_URL_ENV):
        return f"{POSTGRES_URL_ENV} is not set (run under scripts/with-postgres.sh)"
    if scenario == "disk-full" and (os.geteuid() != 0 or not shutil.which("mount")):
        return "mounting a tmpfs needs root"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma-separated from {', '.join(SCENARIOS)}")
    parser.add_argument("--before", type=float, default=60.0, help="seconds of load before the fault")
    parser.add_argument("--after", type=float, default=90.0, help="seconds of load after the service is back")
    parser.add_argument(
        "--outage", type=float, default=20.0, help="seconds PostgreSQL stays down, or the disk stays full"
    )
    parser.add_argument(
        "--grace", type=float, default=10.0, help="seconds after the fault in which errors still count as caused by it"
    )
    parser.add_argument("--residents", type=int, default=20)
    parser.add_argument("--reporters", type=int, default=3)
    parser.add_argument("--staff", type=int, default=1)
    parser.add_argument("--think", default="3-8", help="seconds a resident takes before each message")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scenarios = [part.strip() for part in args.scenarios.split(",") if part.strip()]
    if not scenarios or set(scenarios) - set(SCENARIOS):
        parser.error(f"--scenarios takes {', '.join(SCENARIOS)}")
    load = Load(0, args.residents, args.reporters, args.staff, parse_range(args.think), args.seed)
    runnable = []
    for scenario in scenarios:
        reason = available(scenario)
        if reason:
            print(f"{scenario}: not run: {reason}")
        else:
            runnable.append(scenario)
    outcomes = []
    with running_stack() as stack:
        for scenario in runnable:
            outcomes.append(
                run_scenario(stack, scenario, load, args.before, args.after, args.grace, args.outage)
            )
    print("\nsummary:")
    for outcome in outcomes:
        print(f"  {outcome.scenario:<10} {outcome.count.line()}  {'ok' if outcome.ok else 'PROBLEMS'}")
    return 0 if outcomes and all(outcome.ok for outcome in outcomes) and len(outcomes) == len(scenarios) else 1


if __name__ == "__main__":
    sys.exit(main())
