"""Residents: the demo and chat pages, and viewing or deleting a contribution with the personal code."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, func, select, text

import bot.tracker
from samenspraak.contributions import consultation_by_slug, save_contribution
from samenspraak.store import Response, Theme, ThemeAssignment
from tests.conftest import fresh_analysis
from tests.web.conftest import SLUG, page_token

CODE = "K7PQR-M3XWD"
SESSION = "chat-sessie-van-de-inwoner-0001"
OTHER_SESSION = "chat-sessie-van-iemand-anders-02"


@pytest.fixture
def tracker(tmp_path, monkeypatch) -> str:
    """Rasa's tracker store as Rasa lays it out: one row per event, by sender_id."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv(bot.tracker.TRACKER_URL_ENV, url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, timestamp REAL, "
                "intent_name TEXT, action_name TEXT, data TEXT)"
            )
        )
        for sender, kind, said in (
            (SESSION, "user", "Ik ben Jan, bel 06-12345678"),
            (SESSION, "bot", "Dank je wel!"),
            (OTHER_SESSION, "user", "Ik ben Piet"),
        ):
            connection.execute(
                text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, :k, 1700000000.0, :d)"),
                {"s": sender, "k": kind, "d": json.dumps({"event": kind, "text": said})},
            )
    engine.dispose()
    return url


@pytest.fixture
def contribution(store) -> list[int]:
    """Two chat answers under one personal code, one with a theme assignment; plus someone else's answer."""
    ids = []
    for number, (value, code, session) in enumerate(
        [
            ("Meer groen in de wijk.", CODE, SESSION),
            ("En meer bankjes.", CODE, SESSION),
            ("Iets anders.", None, OTHER_SESSION),
        ]
    ):
        saved = save_contribution(
            consultation=SLUG,
            channel="chat",
            text=value,
            personal_code=code,
            chat_session_id=session,
            idempotency_key=f"test-{number}",
            analysis=fresh_analysis(value),
            store=store,
        )
        ids.append(saved.response_id)
    with store.session() as session:
        consultation = consultation_by_slug(session, SLUG)
        theme = session.scalar(
            select(Theme).where(Theme.consultation_id == consultation.id, Theme.key == "duurzame-stad")
        )
        session.add(ThemeAssignment(response_id=ids[0], theme_id=theme.id, source="model", confidence=0.8))
    return ids


def events(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        senders = [row[0] for row in connection.execute(text("SELECT sender_id FROM events ORDER BY id"))]
    engine.dispose()
    return senders


def test_the_demo_page_embeds_the_widget_with_one_script_tag(anonymous):
    page = anonymous.get("/").text
    assert page.count('src="/static/chat/widget.js?v=') == 1
    assert "Zoetermeer 2040" in page and "Zoetermeer is mijn thuis" in page
    assert "set-cookie" not in anonymous.get("/").headers  # no form, no session


def test_the_chat_page_has_a_place_for_the_widget(anonymous):
    page = anonymous.get("/chat").text
    assert 'id="samenspraak-chat"' in page and "/static/chat/widget.js" in page


@pytest.mark.parametrize("typed", [CODE, CODE.lower(), " k7pqr m3xwd ", "K7PQRM3XWD"])
def test_a_resident_sees_their_contribution_with_the_code(anonymous, contribution, typed):
    page = anonymous.post("/mijn-bijdrage", data={"code": typed, "csrf_token": page_token(anonymous, "/mijn-bijdrage")})
    assert page.status_code == 200
    assert "Meer groen in de wijk." in page.text and "En meer bankjes." in page.text
    assert "Iets anders." not in page.text
    assert "Verwijder mijn bijdrage" in page.text


@pytest.mark.parametrize(
    ("typed", "status", "message"), [("12", 400, "10 tekens"), ("AAAAA-BBBBB", 404, "geen bijdrage")]
)
def test_wrong_codes_get_a_clear_answer(anonymous, contribution, typed, status, message):
    page = anonymous.post("/mijn-bijdrage", data={"code": typed, "csrf_token": page_token(anonymous, "/mijn-bijdrage")})
    assert page.status_code == status and message in page.text


def test_deleting_removes_responses_assignments_and_the_conversation(anonymous, contribution, tracker, store):
    token = page_token(anonymous, "/mijn-bijdrage")
    page = anonymous.post("/mijn-bijdrage/verwijderen", data={"code": CODE, "csrf_token": token})
    assert page.status_code == 200 and "Uw bijdrage is verwijderd" in page.text and "2 reacties" in page.text
    with store.session() as session:
        assert session.scalar(select(func.count(Response.id))) == 1
        assert session.get(Response, contribution[2]) is not None
        assert session.scalar(select(func.count(ThemeAssignment.id))) == 0
    assert events(tracker) == [OTHER_SESSION]
    again = anonymous.post("/mijn-bijdrage", data={"code": CODE, "csrf_token": token})
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("needed", "path", "message"),
    [
        ("forget_conversation", "/mijn-bijdrage/verwijderen", "nog niets verwijderd"),
        ("transcript", "/mijn-bijdrage/downloaden", "gegevens klaar te zetten"),
    ],
)
def test_when_the_conversation_store_is_down_the_resident_is_told(
    anonymous, contribution, store, monkeypatch, needed, path, message
):
    def broken(sender_id, url=None):
        raise OSError("tracker store down")

    monkeypatch.setattr(bot.tracker, needed, broken)
    token = page_token(anonymous, "/mijn-bijdrage")
    page = anonymous.post(path, data={"code": CODE, "csrf_token": token})
    assert page.status_code == 503 and message in page.text
    with store.session() as session:
        assert session.scalar(select(func.count(Response.id))) == 3


def test_a_resident_downloads_everything_held_under_their_code(anonymous, contribution, tracker):
    token = page_token(anonymous, "/mijn-bijdrage")
    page = anonymous.post("/mijn-bijdrage", data={"code": CODE, "csrf_token": token})
    assert 'action="/mijn-bijdrage/downloaden"' in page.text
    download = anonymous.post("/mijn-bijdrage/downloaden", data={"code": CODE.lower(), "csrf_token": token})
    assert download.status_code == 200
    assert download.headers["content-disposition"] == f'attachment; filename="mijn-bijdrage-{CODE}.json"'
    held = download.json()
    assert [item["tekst"] for item in held["bijdragen"]] == ["Meer groen in de wijk.", "En meer bankjes."]
    assert held["bijdragen"][0]["themas"][0]["ingedeeld_door"] == "computer"
    # The resident gets their own conversation back, nobody else's.
    assert [[(line["wie"], line["tekst"]) for line in chat] for chat in held["gesprekken"]] == [
        [("inwoner", "Ik ben Jan, bel 06-12345678"), ("assistent", "Dank je wel!")]
    ]
    assert "Iets anders." not in download.text and "Piet" not in download.text
    unknown = anonymous.post("/mijn-bijdrage/downloaden", data={"code": "AAAAA-BBBBB", "csrf_token": token})
    assert unknown.status_code == 404 and "geen bijdrage" in unknown.text

