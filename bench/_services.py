"""Shared by the benchmarks: a throw-away stack of the three servers (chat, load, faults), percentiles, memory.

The stack runs the action server, Rasa and the web application as subprocesses on free loopback ports, on a
response store and tracker store in a temporary folder (or the database URL given), so no real data is
touched. Each server can be killed (SIGKILL) and started again on its own: bench/faults.py does that.
The web application is `create_app(rate_limits=False)`: every bench client comes from 127.0.0.1 and would
otherwise be throttled by the per-address limits (the real app keeps them, login included).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bot import services  # noqa: E402
from samenspraak import config  # noqa: E402
from samenspraak.store import db  # noqa: E402

APP_SERVER = (
    "import sys, uvicorn; from samenspraak.web.app import create_app; "
    "uvicorn.run(create_app(rate_limits=False), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')"
)
APP_START_TIMEOUT = 60.0
PASSWORD = "bench-wachtwoord-lang-genoeg"
ACCOUNTS = {"bench-staff": "staff", "bench-reporter": "reporter"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def use_database(url: str) -> None:
    """Point this process (and the servers it starts) at another store; the old one's connections are closed."""
    db.get_store().dispose()
    os.environ["DATABASE_URL"] = url
    config.get_settings.cache_clear()
    db._store_for.cache_clear()


def prepare_store(url: str) -> None:
    """Set the store up as `samenspraak init` does, and give it the bench's staff and reporter accounts."""
    from samenspraak.accounts import create_account, list_accounts
    from samenspraak.cli import init

    use_database(url)
    init()
    store = db.get_store()
    existing = {account.username for account in list_accounts(store=store)}
    for username, role in ACCOUNTS.items():
        if username not in existing:
            create_account(username, PASSWORD, role, f"Bench {role}", store=store)


def web_server(port: int, log: Path) -> services.Server:
    url = f"http://127.0.0.1:{port}"
    return services.Server(
        "De webapplicatie", [sys.executable, "-c", APP_SERVER, str(port)], dict(os.environ), log, f"{url}/gezondheid"
    )


@dataclass
class Stack:
    """The three servers of one bench run; `servers` by role: web, actions, rasa."""

    folder: Path
    app_url: str
    rasa_url: str
    servers: dict[str, services.Server] = field(default_factory=dict)

    def use_database(self, url: str) -> None:
        """Restart the web app and the action server on another store (Rasa keeps its tracker store)."""
        prepare_store(url)
        for role in ("web", "actions"):
            services.stop_servers([self.servers[role]])
            self.servers[role].env["DATABASE_URL"] = url
            self.servers[role].restart()

    def stop(self) -> None:
        services.stop_servers(list(self.servers.values()))


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables (the servers inherit them) and put the old values back afterwards."""
    saved = {name: os.environ.get(name) for name in [*values, "DATABASE_URL"]}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        config.get_settings.cache_clear()
        db._store_for.cache_clear()


@contextmanager
def running_stack(web: bool = True, database_url: str | None = None) -> Iterator[Stack]:
    """Action server, Rasa and (with web) the web application on fresh stores; logs in the temporary folder."""
    model = services.model_path()
    with tempfile.TemporaryDirectory(prefix="samenspraak-bench-") as name:
        folder = Path(name)
        rasa_port, action_port, web_port = services.free_port(), services.free_port(), services.free_port()
        with environment(
            SAMENSPRAAK_RASA_URL=f"http://127.0.0.1:{rasa_port}",
            SAMENSPRAAK_ACTION_PORT=str(action_port),
            SAMENSPRAAK_TRACKER_URL=f"sqlite:///{folder}/tracker.db",
            SAMENSPRAAK_VAR_DIR=str(folder / "var"),
            SAMENSPRAAK_SECRET_KEY=os.environ.get("SAMENSPRAAK_SECRET_KEY", "bench-secret-key-not-for-production"),
        ):
            prepare_store(database_url or f"sqlite:///{folder}/bench.db")
            bot = services.start(model)
            stack = Stack(folder, f"http://127.0.0.1:{web_port}", bot.rasa_url, dict(bot.servers))
            try:
                if web:
                    stack.servers["web"] = web_server(web_port, folder / "var" / "logs" / "web.log")
                    stack.servers["web"].restart(APP_START_TIMEOUT)
                yield stack
            finally:
                stack.stop()


def process_tree(pid: int) -> list[psutil.Process]:
    """The process and all its children (a server's workers, a benchmark's helper processes)."""
    process = psutil.Process(pid)
    return [process, *process.children(recursive=True)]


def server_pids(stack: Stack) -> dict[str, int]:
    return {role: server.process.pid for role, server in stack.servers.items() if server.process is not None}


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU time (user + system, children included) each server has used so far, and this process ("load")."""
    used = {"load": sum(psutil.Process().cpu_times()[:2])}
    for role, server in stack.servers.items():
        try:
            used[role] = sum(sum(p.cpu_times()[:2]) for p in process_tree(server.process.pid))
        except (psutil.Error, AttributeError):
            used[role] = float("nan")  # not running right now
    return used


class PeakMemory:
    """Samples the resident memory (RSS, children included) of each process every half second; keeps the peak.

    `pids` says which processes, by name, at each sample: servers come and go when a fault test kills them.
    """

    def __init__(self, pids: Callable[[], dict[str, int]], interval: float = 0.5):
        self.pids = pids
        self.interval = interval
        self.peak_mb: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)

    def _rss(self, pid: int) -> int:
        total = 0
        try:
            tree = process_tree(pid)
        except psutil.Error:
            return 0  # killed or restarting right now
        for process in tree:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue  # a child that ended meanwhile
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for role, pid in self.pids().items():
                self.peak_mb[role] = max(self.peak_mb.get(role, 0.0), self._rss(pid) / 2**20)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

