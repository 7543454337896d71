"""Privacy: delete-by-code leaves no trace, retention purges old texts and conversations, and a resident can get
everything held under their code. On SQLite and PostgreSQL, with Rasa's tracker table in the same database."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, func, select, update
from typer.testing import CliRunner

from bot import tracker as tracker_store
from samenspraak import config
from samenspraak.cli import app
from samenspraak.consultations import load_consultation
from samenspraak.contributions import consultation_by_slug, delete_by_code, export_for_code, save_contribution, text_hash
from samenspraak.store import EmbeddingCache, Response, Theme, ThemeAssignment, db
from tests.conftest import fresh_analysis

CONSULTATION = "zoetermeer-2040"
CODE = "K7PQR-M3XWD"
OTHER_CODE = "ABCDE-FGHJK"
DAY = 24 * 60 * 60

# Rasa's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent), so the tests run against its layout.
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


@pytest.fixture
def tracker(database_url, monkeypatch) -> str:
    """Rasa's tracker store in the test's database (SQLite file or PostgreSQL database)."""
    monkeypatch.setenv(tracker_store.TRACKER_URL_ENV, database_url)
    engine = create_engine(db._normalise_url(database_url))
    EVENTS.create(engine)
    engine.dispose()
    return database_url


def add_events(url: str, sender: str, lines: list[tuple[str, str | None, float]]) -> None:
    engine = create_engine(db._normalise_url(url))
    with engine.begin() as connection:
        for type_name, text, timestamp in lines:
            data = {"event": type_name, "timestamp": timestamp} | ({"text": text} if text is not None else {})
            connection.execute(
                EVENTS.insert().values(sender_id=sender, type_name=type_name, timestamp=timestamp, data=json.dumps(data))
            )
    engine.dispose()


def events_of(url: str) -> list[tuple[str, str]]:
    engine = create_engine(db._normalise_url(url))
    with engine.connect() as connection:
        rows = connection.execute(select(EVENTS.c.sender_id, EVENTS.c.type_name).order_by(EVENTS.c.id)).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def save(store, text: str, code: str | None = None, **fields) -> int:
    return save_contribution(
        consultation=CONSULTATION, channel="chat", text=text, personal_code=code, analysis=fresh_analysis(text),
        store=store, **fields,
    ).response_id


def cache(store, text: str) -> None:
    with store.session() as session:
        session.add(EmbeddingCache(text_hash=text_hash(text), model_name="m", dimensions=1, vector=b"\0\0\0\0"))


def cached(store) -> set[str]:
    with store.session() as session:
        return set(session.scalars(select(EmbeddingCache.text_hash)))


# ------------------------------------------------------------------------------------------ delete by code


def test_delete_keeps_an_embedding_that_another_response_still_uses(store):
    shared, own = "Meer groen.", "Een speeltuin bij de Dobbe."
    save(store, shared, CODE)
    save(store, own, CODE)
    someone_else = save(store, shared, OTHER_CODE)
    cache(store, shared)
    cache(store, own)
    delete_by_code(CODE, store=store)
    assert cached(store) == {text_hash(shared)}
    with store.session() as session:
        assert list(session.scalars(select(Response.id))) == [someone_else]
    delete_by_code(OTHER_CODE, store=store)
    assert cached(store) == set()


# ---------------------------------------------------------------------------------------------- retention


def test_purge_forgets_old_original_texts_and_old_conversations(store, tracker, monkeypatch):
    monkeypatch.setenv("SAMENSPRAAK_KEEP_ORIGINAL", "true")
    config.get_settings.cache_clear()
    old, new = save(store, "Bel Jan op 0612345678"), save(store, "Mail Piet op p@example.nl")
    with store.session() as session:
        session.execute(
            update(Response).where(Response.id == old).values(stored_at=datetime.now(timezone.utc) - timedelta(days=40))
        )
    now = time.time()
    add_events(tracker, "oud-gesprek", [("user", "Ik ben Jan", now - 40 * DAY), ("bot", "Dank je", now - 40 * DAY)])
    add_events(tracker, "lopend-gesprek", [("user", "Ik ben Piet", now - 60), ("bot", "Dank je", now - 50)])

    monkeypatch.setenv("SAMENSPRAAK_RETENTION_DAYS", "30")
    config.get_settings.cache_clear()
    result = CliRunner().invoke(app, ["purge"])
    assert result.exit_code == 0, result.output
    assert "Originele tekst gewist bij 1 reacties" in result.output and "2 gebeurtenissen" in result.output
    with store.session() as session:
        originals = dict(session.execute(select(Response.id, Response.text_original)).all())
    assert originals == {old: None, new: "Mail Piet op p@example.nl"}
    assert events_of(tracker) == [("lopend-gesprek", "user"), ("lopend-gesprek", "bot")]


@pytest.mark.parametrize(("arguments", "message"), [([], "geen bewaartermijn"), (["--days", "0"], "minstens 1 dag")])
def test_purge_needs_a_sensible_retention_period(store, monkeypatch, arguments, message):
    monkeypatch.delenv("SAMENSPRAAK_RETENTION_DAYS", raising=False)
    config.get_settings.cache_clear()
    result = CliRunner().invoke(app, ["purge", *arguments])
    assert result.exit_code == 1 and message in result.output


def test_a_retention_setting_that_is_not_a_number_is_explained(monkeypatch):
    monkeypatch.setenv("SAMENSPRAAK_RETENTION_DAYS", "drie maanden")
    config.get_settings.cache_clear()
    with pytest.raises(ValueError, match="SAMENSPRAAK_RETENTION_DAYS"):
        config.get_settings()
    config.get_settings.cache_clear()


def test_purging_without_a_tracker_store_yet(tmp_path):
    url = f"sqlite:///{tmp_path / 'nog-geen-rasa.db'}"
    assert tracker_store.purge_events_before(datetime.now(timezone.utc), url) == 0


# ------------------------------------------------------------------------------ everything held about a code


@pytest.fixture
def held(store, tracker) -> dict:
    """One resident: two answers in one chat, one of them themed; and someone else's answer and chat."""
    first = save(store, "Meer groen in de wijk.", CODE, chat_session_id="gesprek-van-de-inwoner", wijk="meerzicht",
                 age_group="35-54", theme_key="duurzame-stad")
    save(store, "En meer bankjes.", CODE, chat_session_id="gesprek-van-de-inwoner")
    save(store, "Iets van iemand anders.", OTHER_CODE, chat_session_id="gesprek-van-een-ander")
    with store.session() as session:
        consultation = consultation_by_slug(session, CONSULTATION)
        theme = session.scalar(select(Theme).where(Theme.consultation_id == consultation.id, Theme.key == "duurzame-stad"))
        session.add(ThemeAssignment(response_id=first, theme_id=theme.id, source="staff", confidence=1.0, is_quote=True))
    now = time.time()
    add_events(tracker, "gesprek-van-de-inwoner", [
        ("action", None, now - 30), ("user", "Ik wil meer groen", now - 20), ("bot", "Waarom?", now - 10),
    ])
    add_events(tracker, "gesprek-van-een-ander", [("user", "Geheim van een ander", now)])
    return export_for_code(CODE, store=store)


def test_export_holds_responses_themes_profile_and_the_chat(held):
    assert held["code"] == CODE
    first, second = held["bijdragen"]
    assert first["tekst"] == "Meer groen in de wijk." and second["tekst"] == "En meer bankjes."
    assert (first["wijk"], first["leeftijdsgroep"], first["toestemming"]) == ("Meerzicht", "35-54", True)
    assert first["gekozen_thema"] == "duurzame-stad" and first["kanaal"] == "Chat op de website"
    theme = next(theme for theme in load_consultation(CONSULTATION).themes if theme.key == "duurzame-stad")
    assert first["themas"] == [
        {"thema": theme.name, "ingedeeld_door": "medewerker", "zekerheid": 1.0, "citaat_in_boekje": True}
    ]
    assert second["themas"] == [] and first["originele_tekst"] is None
    assert [[(line["wie"], line["tekst"]) for line in chat] for chat in held["gesprekken"]] == [
        [("inwoner", "Ik wil meer groen"), ("assistent", "Waarom?")]
    ]
    assert "Iets van iemand anders." not in json.dumps(held) and "Geheim van een ander" not in json.dumps(held)


def test_export_of_an_unknown_code_is_empty(store, tracker):
    assert export_for_code(OTHER_CODE, store=store) == {"code": OTHER_CODE, "bijdragen": [], "gesprekken": []}


def test_cli_exports_everything_about_a_code(held, tmp_path):
    runner = CliRunner()
    out = tmp_path / "inwoner.json"
    result = runner.invoke(app, ["export-code", CODE.lower().replace("-", " "), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8")) == held
    printed = runner.invoke(app, ["export-code", CODE])
    assert json.loads(printed.stdout) == held
    for code, message in (("ZZZZZ-ZZZZZ", "geen bijdrage"), ("12", "10 tekens")):
        result = runner.invoke(app, ["export-code", code])
        assert result.exit_code == 1 and message in result.output


def test_the_tracker_store_holds_one_conversation_less_after_a_delete(store, tracker):
    save(store, "Meer groen.", CODE, chat_session_id="gesprek-1")
    add_events(tracker, "gesprek-1", [("user", "Ik ben Jan", time.time())])
    add_events(tracker, "gesprek-2", [("user", "Ik ben Piet", time.time())])
    for session_id in delete_by_code(CODE, store=store):
        tracker_store.forget_conversation(session_id)
    assert events_of(tracker) == [("gesprek-2", "user")]
    with store.session() as session:
        assert session.scalar(select(func.count(Response.id))) == 0
