"""Theme analysis runs started from the staff pages, in a separate process so the web server stays quick.

One run at a time per web process. The child reports progress through a queue; topics/ itself records
each run in the store (TopicRun), so the outcome is visible even after a restart.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from dataclasses import dataclass

KINDS = {"assign": "Nieuwe reacties indelen", "fit": "Alles opnieuw analyseren"}
# TopicRun.status as topics/ writes it, for people.
RUN_STATUSES = {"running": "bezig", "done": "klaar", "failed": "mislukt", "interrupted": "afgebroken"}


class JobError(RuntimeError):
    """A run cannot be started; the message is Dutch."""


@dataclass
class JobStatus:
    kind: str | None = None
    running: bool = False
    stage: str = ""
    done: int = 0
    total: int = 0
    error: str | None = None
    exit_code: int | None = None

    @property
    def fraction(self) -> float | None:
        return self.done / self.total if self.total else None

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "label": KINDS.get(self.kind or "", ""),
            "running": self.running,
            "stage": self.stage,
            "done": self.done,
            "total": self.total,
            "fraction": self.fraction,
            "error": self.error,
            "failed": self.exit_code not in (None, 0) or self.error is not None,
        }


def run_job(kind: str, consultation: str, database_url: str, messages: multiprocessing.Queue) -> None:
    """Runs in the child process."""
    import topics
    from samenspraak.store import Store

    store = Store(database_url)
    last = ("", -1)

    def progress(stage: str, done: int, total: int) -> None:
        # Steps of 5 % only: an unread queue must never fill the pipe and keep this process from exiting.
        nonlocal last
        step = 20 * done // total if total else 0
        if (stage, step) != last:
            last = (stage, step)
            messages.put(("progress", stage, done, total))

    try:
        if kind == "fit":
            topics.fit(consultation, progress=progress, store=store)
        else:
            topics.assign_new(consultation, store=store)
    except topics.TopicsError as exc:
        messages.put(("error", str(exc), 0, 0))
        raise SystemExit(1) from exc
    finally:
        store.dispose()


class TopicJobs:
    def __init__(self, database_url: str):
        self.database_url = database_url
        # spawn, not fork: the web server has threads, and a forked copy of them is unsafe.
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._messages: multiprocessing.Queue | None = None
        self._status = JobStatus()

    def start(self, kind: str, consultation: str) -> None:
        if kind not in KINDS:
            raise JobError("Onbekende soort analyse.")
        with self._lock:
            if self._process is not None and self._process.is_alive():
                raise JobError("Er loopt al een analyse. Wacht tot die klaar is.")
            self._messages = self._context.Queue()
            self._process = self._context.Process(
                target=run_job,
                args=(kind, consultation, self.database_url, self._messages),
                name=f"samenspraak-{kind}",
                daemon=True,
            )
            self._process.start()
            self._status = JobStatus(kind=kind, running=True)

    def status(self) -> JobStatus:
        with self._lock:
            if self._process is None:
                return self._status
            while True:
                try:
                    message, text, done, total = self._messages.get_nowait()
                except queue.Empty:
                    break
                if message == "progress":
                    self._status.stage, self._status.done, self._status.total = text, done, total
                else:
                    self._status.error = text
            self._status.running = self._process.is_alive()
            if not self._status.running:
                self._status.exit_code = self._process.exitcode
            return self._status

    def wait(self, timeout: float | None = None) -> JobStatus:
        """Block until the current run ends (for the CLI and tests)."""
        if self._process is not None:
            self._process.join(timeout)
        return self.status()
