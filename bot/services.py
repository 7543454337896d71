"""Start and stop the Rasa server and the action server as subprocesses, and wait until both answer.

Used by `make bot-run`, by the web application's `make run` and by tests that need a live assistant:

    with running_bot() as bot:
        httpx.post(bot.rasa_url + "/webhooks/rest/webhook", json={"sender": "s1", "message": "hallo"})

Both servers listen on 127.0.0.1 only; logs go to var/logs/. Rasa runs from the Rasa venv (Python 3.10),
the actions from this venv (Python 3.11), talking over HTTP.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bot.actions import WARM_UP_ENV
from bot.tracker import TRACKER_URL_ENV, tracker_url
from samenspraak.config import REPO_ROOT, get_settings

BOT_DIR = REPO_ROOT / "bot"
RASA_BIN = Path(os.environ.get("SAMENSPRAAK_RASA_BIN", REPO_ROOT / ".venv-rasa" / "bin" / "rasa"))
# The interpreter beside the `rasa` script: Rasa is started through bot/rasa_server.py (a per-message fix).
RASA_PYTHON = RASA_BIN.with_name("python")
MODEL_NAME = "samenspraak"
# Measured: Rasa needs 54-72 s to load the model on 2 cores; leave room for a busy machine.
DEFAULT_START_TIMEOUT = 240.0
QUIET_ENV = {"SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONWARNINGS": "ignore"}


def free_port() -> int:
    """A loopback port nobody listens on now (for servers started by tests and benchmarks)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class BotStartError(RuntimeError):
    """A server did not start; the message says which one and where its log is."""


def model_path() -> Path:
    return get_settings().var_dir / "rasa" / "models" / f"{MODEL_NAME}.tar.gz"


def log_dir() -> Path:
    return get_settings().var_dir / "logs"


def api_token() -> str:
    """Token for Rasa's HTTP API, derived from the installation secret so nothing extra has to be kept."""
    return hmac.new(get_settings().secret_key.encode(), b"rasa-api", hashlib.sha256).hexdigest()


@dataclass
class Server:
    """One server subprocess with what it takes to start it again (the fault bench kills and restarts them)."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    health_url: str
    process: subprocess.Popen | None = None

    def spawn(self) -> None:
        # A session of its own: Sanic serves the actions from a child process, and stopping (or killing) the
        # server must take its children along, or an orphan keeps the port.
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, cwd=REPO_ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BotStartError(
                    f"{self.name} stopte tijdens het starten (code {self.process.returncode}); zie {self.log}"
                )
            try:
                if httpx.get(self.health_url, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1.0)
        raise BotStartError(f"{self.name} was na het wachten nog niet klaar; zie {self.log}")

    def restart(self, timeout: float = DEFAULT_START_TIMEOUT) -> None:
        self.spawn()
        self.wait_ready(time.monotonic() + timeout)

    def signal(self, number: int) -> None:
        """Send a signal to the server and every process it started."""
        try:
            os.killpg(self.process.pid, number)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """As a crash would: SIGKILL for the server and its children, no chance to clean up."""
        self.signal(signal.SIGKILL)
        self.process.wait()


@dataclass
class BotProcesses:
    rasa_url: str
    action_url: str
    servers: dict[str, Server] = field(default_factory=dict)

    @property
    def processes(self) -> list[subprocess.Popen]:
        return [server.process for server in self.servers.values() if server.process is not None]

    def stop(self, timeout: float = 15.0) -> None:
        stop_servers(list(self.servers.values()), timeout)


def stop_servers(servers: list[Server], timeout: float = 15.0) -> None:
    """Stop servers: SIGTERM first, SIGKILL for one that does not stop in time."""
    running = [server for server in servers if server.process and server.process.poll() is None]
    for server in running:
        server.signal(signal.SIGTERM)
    for server in running:
        try:
            server.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            server.kill()


def _server_env(action_port: int) -> dict[str, str]:
    env = dict(os.environ, **QUIET_ENV)
    env["SAMENSPRAAK_ACTION_PORT"] = str(action_port)
    env[TRACKER_URL_ENV] = tracker_url()
    # rasa_sdk reads its bind address from SANIC_HOST; the action server must not be reachable from outside.
    env["SANIC_HOST"] = "127.0.0.1"
    env[WARM_UP_ENV] = "1"
    return env


def start(model: Path | None = None, timeout: float = DEFAULT_START_TIMEOUT) -> BotProcesses:
    """Start the action server and Rasa, and return once both answer their health checks."""
    settings = get_settings()
    model = model or model_path()
    if not model.is_file():
        raise BotStartError(f"Geen getraind model in {model}. Draai eerst: make bot-train")
    if not RASA_BIN.is_file():
        raise BotStartError(f"Rasa niet gevonden ({RASA_BIN}). Draai eerst: make rasa-venv")
    rasa = urlsplit(settings.rasa_url)
    if rasa.hostname not in {"127.0.0.1", "localhost"}:
        raise BotStartError(f"SAMENSPRAAK_RASA_URL moet naar 127.0.0.1 wijzen om Rasa hier te starten, niet {rasa.hostname}")
    action_port = settings.action_server_port
    # The health checks would otherwise be answered by whatever already listens there, and the new server,
    # unable to bind, would go unnoticed.
    for name, port, setting in (("de actieserver", action_port, "SAMENSPRAAK_ACTION_PORT"),
                                ("Rasa", rasa.port or 5005, "SAMENSPRAAK_RASA_URL")):
        if _listening(port):
            raise BotStartError(
                f"Poort {port} voor {name} is al in gebruik: draait Samenspraak hier al? Stop dat eerst, "
                f"of kies een andere poort met {setting}."
            )
    logs = log_dir()
    logs.mkdir(parents=True, exist_ok=True)
    env = _server_env(action_port)
    bot = BotProcesses(rasa_url=settings.rasa_url.rstrip("/"), action_url=f"http://127.0.0.1:{action_port}")
    bot.servers["actions"] = Server(
        "De actieserver",
        [sys.executable, "-m", "rasa_sdk", "--actions", "bot.actions", "-p", str(action_port)],
        env,
        logs / "actions.log",
        f"{bot.action_url}/health",
    )
    bot.servers["rasa"] = Server(
        "Rasa",
        [
            str(RASA_PYTHON), "-m", "bot.rasa_server", "run", "--enable-api", "--auth-token", api_token(),
            "-i", "127.0.0.1", "-p", str(rasa.port or 5005),
            "--model", str(model),
            "--endpoints", str(BOT_DIR / "endpoints.yml"),
            "--credentials", str(BOT_DIR / "credentials.yml"),
        ],
        env,
        logs / "rasa.log",
        f"{bot.rasa_url}/status?token={api_token()}",
    )
    deadline = time.monotonic() + timeout
    try:
        for server in bot.servers.values():
            server.spawn()
        for server in bot.servers.values():
            server.wait_ready(deadline)
    except BaseException:
        bot.stop()
        raise
    return bot


@contextmanager
def running_bot(model: Path | None = None, timeout: float = DEFAULT_START_TIMEOUT) -> Iterator[BotProcesses]:
    bot = start(model, timeout)
    try:
        yield bot
    finally:
        bot.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.services", description="Start de Rasa-assistent.")
    parser.add_argument("command", choices=["run"], help="run: start Rasa en de actieserver tot Ctrl-C")
    parser.parse_args(argv)
    try:
        bot = start()
    except BotStartError as exc:
        print(f"bot-run: {exc}", file=sys.stderr)
        return 1
    print(f"Rasa klaar op {bot.rasa_url}, actieserver op {bot.action_url}. Logs: {log_dir()}. Stoppen: Ctrl-C")
    try:
        while all(process.poll() is None for process in bot.processes):
            time.sleep(1.0)
        print("bot-run: een van de servers is gestopt; zie de logs", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        bot.stop()


if __name__ == "__main__":
    sys.exit(main())
