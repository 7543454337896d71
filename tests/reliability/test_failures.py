"""What residents, reporters and staff get when a part of the system fails; fast, without Rasa.

The same failures under load, with the real servers, are in test_under_load.py and bench/faults.py.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bench import faults
from bot.services import Server
from samenspraak import config, contributions
from samenspraak.accounts import create_account
from samenspraak.store import Response, Store
from samenspraak.web.app import create_app
from samenspraak.web.chat import NOT_PROCESSED, RasaClient
from tests.conftest import fresh_analysis, run_coroutine

SLUG = "zoetermeer-2040"
PASSWORD = "een-lang-wachtwoord"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SAMENSPRAAK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SAMENSPRAAK_SECRET_KEY", "test-secret-key-for-the-reliability-tests")
    monkeypatch.setenv("SAMENSPRAAK_CONSULTATION", SLUG)
    monkeypatch.setattr(contributions, "analyse_texts", lambda texts: [fresh_analysis(text) for text in texts])
    config.get_settings.cache_clear()
    yield
    config.get_settings.cache_clear()


class StubRasa:
    """Stands in for RasaClient: every message gets `reply` from 'Rasa'."""

    def __init__(self, reply: list) -> None:
        self.client = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200, json=reply)))

    def get(self) -> httpx.AsyncClient:
        return self.client

    async def aclose(self) -> None:
        await self.client.aclose()


def test_an_empty_reply_from_rasa_is_a_clear_message_not_silence(settings, store):
    # Rasa answers [] when a custom action failed, e.g. while the action server restarts.
    app = create_app(store=store, rate_limits=False)
    app.state.rasa_client = StubRasa([])
    with TestClient(app) as client:
        response = client.post("/api/chat", json={"message": "hallo"})
    assert response.status_code == 503
    assert response.json()["detail"] == NOT_PROCESSED


def test_one_client_per_event_loop_keeps_connections_to_rasa_open():
    rasa = RasaClient()

    async def twice() -> bool:
        first = rasa.get()
        same = first is rasa.get()
        await rasa.aclose()
        return same

    assert run_coroutine(twice())

    async def one() -> httpx.AsyncClient:
        return rasa.get()

    # A client's connections belong to its loop: a new loop gets a new client.
    assert run_coroutine(one()) is not run_coroutine(one())


def _unavailable_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def session():
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database restarting"))

    monkeypatch.setattr(store, "session", session)


def test_database_down_gives_reporters_and_staff_a_dutch_503(settings, store, monkeypatch):
    create_account("reporter", PASSWORD, "reporter", "Reporter", store=store)
    app = create_app(store=store, rate_limits=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/inloggen").text
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        form = {"username": "reporter", "password": PASSWORD, "csrf_token": token}
        assert client.post("/inloggen", data=form, follow_redirects=False).status_code == 303
        _unavailable_store(store, monkeypatch)
        api = client.get("/api/reporter/session")
        assert api.status_code == 503
        assert "niet bereikbaar" in api.json()["detail"] and "niet kwijt" in api.json()["detail"]
        page = client.get("/beheer")
        assert page.status_code == 503
        assert "niet bereikbaar" in page.text and "Probeer het over een paar minuten opnieuw" in page.text


def test_killing_a_server_takes_its_children_along(tmp_path):
    # Sanic serves the actions from a child process; an orphan would keep the port after a crash.
    child = (
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    )
    server = Server("test", [sys.executable, "-c", child], dict(os.environ), tmp_path / "log", "http://127.0.0.1:9/")
    server.spawn()
    parent = psutil.Process(server.process.pid)
    deadline = time.monotonic() + 10
    while not parent.children() and time.monotonic() < deadline:
        time.sleep(0.05)
    children = parent.children()
    assert children
    server.kill()
    gone, alive = psutil.wait_procs(children, timeout=5)
    assert not alive


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    with faults.small_disk(tmp_path / "disk") as folder:
        yield folder


def _save(store: Store, number: int) -> int:
    text = f"Reactie nummer {number} over de parken."
    return contributions.save_contribution(
        consultation=SLUG, channel="web", text=text, idempotency_key=f"disk-{number}", store=store,
        analysis=fresh_analysis(text),
    ).response_id


def test_a_full_disk_refuses_writes_clearly_loses_nothing_and_recovers(settings, small_disk):
    url = f"sqlite:///{small_disk}/store.db"
    store = Store(url)
    store.migrate()
    create_account("reporter", PASSWORD, "reporter", "Reporter", store=store)
    stored = [_save(store, number) for number in range(5)]
    app = create_app(store=store, rate_limits=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        token = client.get("/inloggen").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/inloggen", data={"username": "reporter", "password": PASSWORD, "csrf_token": token})
        csrf = client.get("/api/reporter/session").json()["csrf_token"]
        entry = {"id": "a" * 32, "statements": [{"text": "Meer bankjes in het park, graag " + "x" * 5000}]}

        filler = faults.fill(small_disk)
        with pytest.raises(OperationalError, match="full"):
            for number in range(5, 200):  # the page cache may take the first few
                _save(store, number)
        refused = client.post("/api/reporter/interviews", json=entry, headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 503 and "Probeer het" in refused.json()["detail"]

        filler.unlink()
        again = client.post("/api/reporter/interviews", json=entry, headers={"X-CSRF-Token": csrf})
        assert again.status_code == 200
    assert faults.integrity(url) == "ok"
    with store.session() as session:
        ids = set(session.scalars(select(Response.id)))
        keys = list(session.scalars(select(Response.idempotency_key).where(Response.channel == "straat")))
    assert set(stored) <= ids
    assert keys == [f"reporter:{'a' * 32}:0"]
    store.dispose()
