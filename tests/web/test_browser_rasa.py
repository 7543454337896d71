"""A whole conversation with the real assistant through the widget (needs the trained Rasa model).

Rasa and the action server are started with bot/services.py on free loopback ports; the action server
stores the contribution in this test's database, redacted by the real nlp pipeline. Then the resident
uses the personal code to delete it, which also empties the conversation in the tracker store.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import create_engine, inspect, select, text

import bot.tracker
from bot.services import free_port
from samenspraak import config
from samenspraak.config import REPO_ROOT
from samenspraak.store import Response
from tests.web.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.rasa]

MODEL = REPO_ROOT / "var" / "rasa" / "models" / "samenspraak.tar.gz"
ANSWER_TIMEOUT_MS = 90_000  # a form step redacts and stores: slow on a busy two-core machine
PHONE = "06-12345678"
CODE = re.compile(r"\b[A-HJ-NP-Z2-9]{5}-[A-HJ-NP-Z2-9]{5}\b")


@pytest.fixture
def settings(settings, monkeypatch):
    rasa_url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SAMENSPRAAK_RASA_URL", rasa_url)
    monkeypatch.setenv("SAMENSPRAAK_ACTION_PORT", str(free_port()))
    config.get_settings.cache_clear()
    return dataclasses.replace(settings, rasa_url=rasa_url)


@pytest.fixture
def assistant(settings, store, tmp_path, monkeypatch):
    from bot import services

    if not MODEL.is_file():
        pytest.skip("no trained Rasa model: make bot-train")
    if not services.RASA_BIN.is_file():
        pytest.skip("no Rasa venv: make rasa-venv")
    nlp = pytest.importorskip("nlp")
    try:
        nlp.load_pipeline()
    except nlp.PipelineNotFound:
        pytest.skip("the spaCy pipeline is not built")
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv(bot.tracker.TRACKER_URL_ENV, tracker)
    # The servers inherit this process's environment: this test's database, tracker store and ports.
    with services.running_bot(model=MODEL):
        yield tracker


def answered(page, action) -> None:
    """Do something in the widget and wait until the assistant has answered it."""
    answers = page.locator(".ssp-msg--bot").count()
    action()
    page.wait_for_function(
        f"() => document.querySelectorAll('.ssp-msg--bot').length > {answers}"
        " && document.querySelector('.ssp-status').textContent === ''",
        timeout=ANSWER_TIMEOUT_MS,
    )


def click(page, title: str) -> None:
    button = page.locator(".ssp-choice:not([disabled])", has_text=title).first
    button.wait_for(timeout=ANSWER_TIMEOUT_MS)
    answered(page, button.click)


def say(page, message: str) -> None:
    page.fill("#ssp-input", message)
    answered(page, lambda: page.keyboard.press("Enter"))


def sender_events(tracker: str, sender: str) -> int:
    engine = create_engine(tracker)
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
    finally:
        engine.dispose()


def test_a_whole_conversation_is_stored_redacted_and_can_be_deleted(assistant, open_page, store):
    page = open_page("/chat", width=390)
    click(page, "Ja, ik doe mee")
    click(page, "Groen en duurzaam")
    say(page, f"Meer bomen in mijn straat tegen de hitte. Bel me gerust op {PHONE}.")
    say(page, "Omdat het in de zomer veel te heet wordt in huis.")
    say(page, "Ik wil met de buren helpen planten en water geven.")
    click(page, "Meerzicht")
    click(page, "35-54")
    click(page, "Ja, opslaan")
    click(page, "Nee, ik ben klaar")
    page.wait_for_function(
        "() => /[A-Z2-9]{5}-[A-Z2-9]{5}/.test(document.querySelector('.ssp-log').textContent)",
        timeout=ANSWER_TIMEOUT_MS,
    )
    screenshot(page, "chat-with-rasa", full_page=False)
    code = CODE.search(page.text_content(".ssp-log")).group(0)
    session_id = page.evaluate("() => JSON.parse(sessionStorage.getItem('samenspraak-chat')).sessionId")

    with store.session() as session:
        stored = session.scalars(select(Response).where(Response.chat_session_id == session_id)).all()
    assert stored and {row.channel for row in stored} == {"chat"}
    text_stored = " ".join(row.text_redacted for row in stored)
    assert "bomen" in text_stored and PHONE not in text_stored
    assert sender_events(assistant, session_id) > 0

    page.goto("/mijn-bijdrage")
    page.fill("#code", code)
    page.click("main button[type=submit]")
    page.click("text=Verwijder mijn bijdrage")
    page.wait_for_selector("text=Uw bijdrage is verwijderd")
    with store.session() as session:
        assert session.scalars(select(Response).where(Response.chat_session_id == session_id)).all() == []
    assert sender_events(assistant, session_id) == 0
