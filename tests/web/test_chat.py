"""The chat proxy, against a small stand-in for Rasa's REST channel on loopback (and against a closed port)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from samenspraak.web.app import create_app
from tests.web.conftest import FakeRasa


@pytest.fixture
def chat(settings, store, fake_nlp, rasa) -> Iterator[TestClient]:
    app = create_app(dataclasses.replace(settings, rasa_url=rasa), store, rate_limits=False)
    with TestClient(app) as client:
        yield client


def test_messages_are_forwarded_to_rasa_with_a_server_made_session_id(chat):
    first = chat.post("/api/chat", json={"message": "hallo"})
    assert first.status_code == 200
    session_id = first.json()["session_id"]
    assert len(session_id) >= 24
    second = chat.post("/api/chat", json={"message": "groen", "session_id": session_id})
    assert second.json()["session_id"] == session_id
    assert FakeRasa.received == [
        {"path": "/webhooks/rest/webhook", "sender": session_id, "message": "hallo"},
        {"path": "/webhooks/rest/webhook", "sender": session_id, "message": "groen"},
    ]


def test_only_text_and_well_formed_buttons_reach_the_browser(chat):
    messages = chat.post("/api/chat", json={"message": "hallo"}).json()["messages"]
    assert messages == [
        {"text": "Hallo! Waar wilt u over praten?", "buttons": []},
        {
            "text": "Kies een thema:",
            "buttons": [{"title": "Groen", "payload": '/choose_theme{"theme":"duurzame-stad"}'}],
        },
    ]


def test_status_says_ready_when_rasa_answers(chat):
    assert chat.get("/api/chat/status").json() == {"ready": True, "detail": None}


def test_assistant_down_gives_a_dutch_message(anonymous):
    response = anonymous.post("/api/chat", json={"message": "hallo"})
    assert response.status_code == 503
    assert "niet bereikbaar" in response.json()["detail"]
    status = anonymous.get("/api/chat/status").json()
    assert status["ready"] is False and "start hij net op" in status["detail"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"message": "   "}, "leeg"),
        ({"message": "x" * 2001}, "te lang"),
        ({"message": "hallo", "session_id": "../../etc"}, "niet meer geldig"),
    ],
)
def test_bad_chat_input_is_refused_before_rasa_sees_it(chat, body, expected):
    response = chat.post("/api/chat", json=body)
    assert response.status_code == 422
    assert expected in response.json()["detail"]
    assert FakeRasa.received == []


def test_a_malformed_request_gets_a_dutch_answer(chat):
    response = chat.post("/api/chat", content=b"geen json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "ingevuld" in response.json()["detail"]
