"""End to end through Rasa's REST channel: the trained model, the action server, the store, the tracker store.

Opt-in, because Rasa needs one to two minutes and a CPU to load: SAMENSPRAAK_TEST_RASA=1 (after make bot-train).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot import services
from samenspraak import config
from samenspraak.contributions import contributions_for_code
from samenspraak.store import db, get_store

pytestmark = [
    pytest.mark.rasa,
    pytest.mark.skipif(os.environ.get("SAMENSPRAAK_TEST_RASA") != "1", reason="set SAMENSPRAAK_TEST_RASA=1"),
]


@pytest.fixture(scope="module")
def bot(tmp_path_factory) -> Iterator[services.BotProcesses]:
    if not services.model_path().is_file():
        pytest.fail("no trained model: run make bot-train")
    folder = tmp_path_factory.mktemp("live")
    model = services.model_path()
    patch = pytest.MonkeyPatch()
    patch.setenv("DATABASE_URL", f"sqlite:///{folder / 'store.db'}")
    patch.setenv("SAMENSPRAAK_TRACKER_URL", f"sqlite:///{folder / 'tracker.db'}")
    config.get_settings.cache_clear()
    db._store_for.cache_clear()
    get_store().migrate()
    try:
        with services.running_bot(model) as running:
            yield running
    finally:
        patch.undo()
        config.get_settings.cache_clear()
        db._store_for.cache_clear()


class Conversation:
    def __init__(self, bot: services.BotProcesses):
        self.url = f"{bot.rasa_url}/webhooks/rest/webhook"
        self.sender = f"live-{uuid.uuid4().hex}"

    def say(self, message: str) -> str:
        reply = httpx.post(self.url, json={"sender": self.sender, "message": message}, timeout=60)
        reply.raise_for_status()
        return "\n".join(item.get("text", "") for item in reply.json())


def start(conversation: Conversation) -> None:
    assert "geen mens" in conversation.say("hallo")
    assert "Over welk onderwerp" in conversation.say("/affirm")


def stored_texts(sender: str) -> list[str]:
    with get_store().session() as session:
        rows = session.execute(text("SELECT text_redacted FROM response WHERE chat_session_id = :s"), {"s": sender})
        return [row[0] for row in rows]


def test_free_text_theme_to_stored_contribution_and_code(bot):
    chat = Conversation(bot)
    start(chat)
    assert "Hoe zou jij het groen" in chat.say("ik wil iets zeggen over groen")
    assert "Waarom" in chat.say("Ik wil een moestuin in het park. Bel me op 06-12345678.")
    chat.say("Dan leren kinderen waar eten vandaan komt.")
    assert "In welke wijk" in chat.say("weet ik niet")
    chat.say("ik woon in meerzigt")
    assert "Klopt dit?" in chat.say("ik ben 41")
    saved = chat.say("/affirm")
    assert "opgeslagen" in saved
    code = saved.split("persoonlijke code is ")[1][:11]
    assert code in chat.say("/deny")
    [row] = contributions_for_code(code)
    assert row.chat_session_id == chat.sender and row.wijk == "Meerzicht" and row.age_group == "35-54"
    assert "06-12345678" not in row.text_redacted and row.text_original is None


def test_interruptions_keep_what_was_said(bot):
    chat = Conversation(bot)
    start(chat)
    chat.say('/choose_theme{"theme": "regiostad"}')
    assert "Waarom" in chat.say("De bus naar Leiden gaat veel te weinig.")
    assert "anoniem" in chat.say("wat gebeurt er met mijn antwoord?")
    assert "Wil je stoppen?" in chat.say("stop")
    continued = chat.say("nee")
    assert "we gaan verder" in continued and "Waarom" in continued
    assert "Scheldwoorden sla ik niet op" in chat.say("jullie zijn allemaal idioten")
    chat.say("Ik moet nu drie keer overstappen.")
    chat.say("weet ik niet")
    chat.say("/deny")
    summary = chat.say("/deny")
    assert "De bus naar Leiden gaat veel te weinig." in summary and "idioten" not in summary


def test_the_summary_survives_a_goodbye_and_takes_an_addition(bot):
    chat = Conversation(bot)
    start(chat)
    chat.say('/choose_theme{"theme": "regiostad"}')
    chat.say("De bus naar Leiden gaat veel te weinig.")
    chat.say("weet ik niet")
    chat.say("weet ik niet")
    chat.say("/deny")
    assert "Klopt dit?" in chat.say("/deny")
    assert "Wil je stoppen?" in chat.say("doei")
    again = chat.say("nee")
    assert "Klopt dit?" in again and "De bus naar Leiden gaat veel te weinig." in again
    added = chat.say("de trein rijdt ook veel te weinig naar Den Haag")
    assert "Dat voeg ik toe" in added and "Klopt dit?" in added
    assert "opgeslagen" in chat.say("/affirm")
    [stored] = stored_texts(chat.sender)
    assert "Leiden" in stored and "trein" in stored


def test_delete_in_chat_removes_contribution_and_conversation(bot):
    chat = Conversation(bot)
    start(chat)
    chat.say('/choose_theme{"theme": "mijn-thuis"}')
    chat.say("Ik voel me hier thuis door de buren.")
    chat.say("weet ik niet")
    chat.say("weet ik niet")
    chat.say("/deny")
    chat.say("/deny")
    assert "opgeslagen" in chat.say("/affirm")
    assert stored_texts(chat.sender)
    assert "Wil je alles verwijderen" in chat.say("verwijder mijn antwoord")
    assert "verwijderd" in chat.say("ja")
    assert stored_texts(chat.sender) == []
    tracker = create_engine(os.environ["SAMENSPRAAK_TRACKER_URL"])
    for _ in range(50):
        with tracker.connect() as connection:
            left = connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": chat.sender}).scalar()
        if left == 0:
            break
        time.sleep(0.2)
    assert left == 0
