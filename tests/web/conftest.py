"""Fixtures for the web tests: an app on a temporary store, accounts per role, and logged-in clients.

Text analysis is replaced by a plain pass-through (tests/conftest.py `fresh_analysis`): these tests are about
the web application, not about nlp/. One test (test_reporter_text_is_redacted) uses the real pipeline.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from bot.services import free_port
from samenspraak import accounts as accounts_module
from samenspraak import config, contributions, importer
from samenspraak.accounts import create_account
from samenspraak.config import REPO_ROOT
from samenspraak.store import Store
from samenspraak.web.app import create_app
from tests.conftest import fresh_analysis

SLUG = "zoetermeer-2040"
PASSWORD = "een-lang-wachtwoord"
# Nothing listens here: the chat proxy must answer that the assistant is unavailable.
CLOSED_RASA_URL = "http://127.0.0.1:9"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def settings(store: Store, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[config.Settings]:
    monkeypatch.setenv("SAMENSPRAAK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SAMENSPRAAK_SECRET_KEY", "test-secret-key-for-the-web-tests")
    monkeypatch.setenv("SAMENSPRAAK_CONSULTATION", SLUG)
    monkeypatch.setenv("SAMENSPRAAK_RASA_URL", CLOSED_RASA_URL)
    config.get_settings.cache_clear()
    yield dataclasses.replace(config.get_settings(), database_url=store.url)
    config.get_settings.cache_clear()  # later tests must not see this test's settings


def _pass_through(texts: list[str]) -> list[dict]:
    return [fresh_analysis(text) for text in texts]


@pytest.fixture
def fake_nlp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contributions, "analyse_texts", _pass_through)
    monkeypatch.setattr(importer, "analyse_texts", _pass_through)


@pytest.fixture
def app(settings: config.Settings, store: Store, fake_nlp):
    return create_app(settings, store, rate_limits=False)


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    # The production argon2 cost is deliberately slow; the tests log in dozens of times.
    monkeypatch.setattr(accounts_module, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def accounts(store: Store) -> dict[str, int]:
    return {
        role: create_account(f"test-{role}", PASSWORD, role, f"Test {role}", store=store)
        for role in ("reporter", "staff", "admin")
    }


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_from(client.get("/inloggen").text)
    response = client.post(
        "/inloggen", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def make_client(app, accounts) -> Iterator[Callable[[str | None], TestClient]]:
    """make_client(role) → a client logged in as that role; make_client(None) → anonymous."""
    clients: list[TestClient] = []

    def make(role: str | None = None) -> TestClient:
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        if role:
            login(client, f"test-{role}")
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def anonymous(make_client) -> TestClient:
    return make_client(None)


@pytest.fixture
def staff(make_client) -> TestClient:
    return make_client("staff")


@pytest.fixture
def reporter(make_client) -> TestClient:
    return make_client("reporter")


@pytest.fixture
def admin(make_client) -> TestClient:
    return make_client("admin")


# ------------------------------------------------------------------------------------ a stand-in for Rasa

REPLY = [
    {"recipient_id": "x", "text": "Hallo! Waar wilt u over praten?"},
    {
        "recipient_id": "x",
        "text": "Kies een thema:",
        "buttons": [{"title": "Groen", "payload": '/choose_theme{"theme":"duurzame-stad"}'}, {"title": 3}],
    },
    {"recipient_id": "x", "image": "https://example.org/plaatje.png"},
]


class FakeRasa(BaseHTTPRequestHandler):
    received: list[dict] = []
    delay = 0.0  # seconds before answering a message, to test a slow assistant

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(200, b"Hello from Rasa: 3.6.21", "text/plain")

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(FakeRasa.delay)
        FakeRasa.received.append({"path": self.path, **body})
        self._answer(200, json.dumps(REPLY).encode(), "application/json")

    def _answer(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def rasa() -> Iterator[str]:
    """Rasa's REST channel on loopback: records what it receives, answers with REPLY."""
    FakeRasa.received = []
    FakeRasa.delay = 0.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def page_token(client: TestClient, path: str) -> str:
    """The CSRF token of the client's session, as a page hands it out."""
    return csrf_from(client.get(path).text)


# ------------------------------------------------------------------------------------------ browser tests

CHROMIUM = Path("/usr/bin/chromium")
# Without the networking flags Chromium keeps trying to reach the outside (see shared notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"


@pytest.fixture
def live_server(app, accounts) -> Iterator[str]:
    """The app served by uvicorn on loopback, in a thread, for the browser (with the test accounts)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, live_server):
    """open_page(path, width=1280) → a page in a fresh Dutch browser context; page errors fail the test."""
    contexts, problems = [], []

    def open_(path: str = "/", width: int = 1280, height: int = 900):
        context = browser.new_context(
            base_url=live_server,
            locale="nl-NL",
            timezone_id="Europe/Amsterdam",
            viewport={"width": width, "height": height},
            accept_downloads=True,
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto(path)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not problems, problems


def browser_login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/inloggen")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()


def axe_violations(page) -> list[str]:
    """axe-core's violations on the page as it is now (WCAG 2.1 A and AA rules and best practices)."""
    if not AXE.exists():
        pytest.skip("axe-core is missing: run `npm ci` in the repository root")
    page.evaluate(AXE.read_text())
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(result =>
            result.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))""",
        AXE_TAGS,
    )


def screenshot(page, name: str, full_page: bool = True) -> None:
    """Saved for people to look at (var/screenshots/, not committed). Pages sized in vh (the chat) look right
    only as the visible window, so those pass full_page=False."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
