"""The response store: migrations, round trips, idempotency, delete-by-code and concurrent writers."""

from __future__ import annotations

import multiprocessing

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from samenspraak.contributions import (
    ContributionError,
    consultation_by_slug,
    contributions_for_code,
    create_interview,
    delete_by_code,
    save_contribution,
    text_hash,
    theme_response_counts,
)
from samenspraak.store import Base, Consultation, EmbeddingCache, Response, Theme, ThemeAssignment, get_store
from tests.conftest import BACKENDS, fresh_analysis

CONSULTATION = "zoetermeer-2040"


def test_migrations_create_every_table_and_match_the_models(store):
    tables = set(inspect(store.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == [], "models changed without an Alembic migration"


def test_migrate_twice_is_harmless(store):
    store.migrate()
    store.migrate()
    assert "response" in inspect(store.engine).get_table_names()


def test_round_trip_keeps_provenance_and_only_redacted_text(store):
    saved = save_contribution(
        consultation=CONSULTATION,
        channel="chat",
        text="Meer bankjes in het park, mail me op a@b.nl",
        theme_key="duurzame-stad",
        wijk="meerzicht",
        age_group="35-54",
        chat_session_id="sessie-1",
        issue_personal_code=True,
        analysis=fresh_analysis("Meer bankjes in het park, mail me op [E-MAIL]") | {"language": "nl"},
        store=store,
    )
    assert saved.personal_code and not saved.duplicate
    with store.session() as session:
        response = session.get(Response, saved.response_id)
        assert response.text_redacted.endswith("[E-MAIL]")
        assert response.text_original is None  # default policy: keep only the redacted text
        assert (response.channel, response.wijk, response.age_group) == ("chat", "Meerzicht", "35-54")
        assert response.chat_session_id == "sessie-1"
        assert response.personal_code_hash and saved.personal_code not in response.personal_code_hash
    assert [r.id for r in contributions_for_code(saved.personal_code.lower(), store=store)] == [saved.response_id]
    assert theme_response_counts(CONSULTATION, store=store)["duurzame-stad"] == 1


def test_keep_original_policy(store, monkeypatch):
    from samenspraak import config

    monkeypatch.setenv("SAMENSPRAAK_KEEP_ORIGINAL", "true")
    config.get_settings.cache_clear()
    saved = save_contribution(
        consultation=CONSULTATION, channel="web", text="Bel 0612345678", analysis=fresh_analysis("Bel [TELEFOON]"), store=store
    )
    with store.session() as session:
        assert session.get(Response, saved.response_id).text_original == "Bel 0612345678"


def test_idempotency_key_stores_once(store):
    first = save_contribution(
        consultation=CONSULTATION, channel="straat", text="Meer fietspaden", idempotency_key="k-1",
        analysis=fresh_analysis("Meer fietspaden"), store=store,
    )
    again = save_contribution(
        consultation=CONSULTATION, channel="straat", text="Meer fietspaden", idempotency_key="k-1",
        analysis=fresh_analysis("Meer fietspaden"), store=store,
    )
    assert again.duplicate and again.response_id == first.response_id
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "   "}, "leeg"),
        ({"text": "x" * 20_001}, "te lang"),
        ({"text": "nul\x00teken"}, "niet kunnen opslaan"),
        ({"text": "half emoji \ud83d"}, "niet kunnen opslaan"),
        ({"text": "ok", "channel": "fax"}, "Onbekend kanaal"),
        ({"text": "ok", "age_group": "oud"}, "leeftijdsgroep"),
        ({"text": "ok", "theme_key": "bestaat-niet"}, "Onbekend thema"),
        ({"text": "ok", "consent": False}, "toestemming"),
    ],
)
def test_bad_input_gives_a_dutch_message_and_stores_nothing(store, kwargs, message):
    arguments = {"consultation": CONSULTATION, "channel": "chat", "analysis": fresh_analysis("ok")} | kwargs
    with pytest.raises(ContributionError, match=message):
        save_contribution(store=store, **arguments)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 0


def test_plain_age_is_placed_in_its_group(store):
    saved = save_contribution(
        consultation=CONSULTATION, channel="web", text="ok", age_group="45", analysis=fresh_analysis("ok"), store=store
    )
    with store.session() as session:
        assert session.get(Response, saved.response_id).age_group == "35-54"


def test_delete_by_code_removes_response_assignments_and_embeddings(store):
    text = "Het Westerpark mag groener"
    saved = save_contribution(
        consultation=CONSULTATION, channel="chat", text=text, chat_session_id="s-9",
        issue_personal_code=True, analysis=fresh_analysis(text), store=store,
    )
    other = save_contribution(
        consultation=CONSULTATION, channel="chat", text="Iets anders", analysis=fresh_analysis("Iets anders"), store=store
    )
    with store.session() as session:
        theme = session.scalar(select(Theme).where(Theme.key == "duurzame-stad"))
        session.add(ThemeAssignment(response_id=saved.response_id, theme_id=theme.id, confidence=0.9))
        session.add(EmbeddingCache(text_hash=text_hash(text), model_name="m", dimensions=1, vector=b"\0\0\0\0"))
    assert delete_by_code(saved.personal_code, store=store) == ["s-9"]
    assert delete_by_code(saved.personal_code, store=store) == []
    with store.session() as session:
        assert session.get(Response, saved.response_id) is None
        assert session.get(Response, other.response_id) is not None
        assert session.scalar(select(func.count()).select_from(ThemeAssignment)) == 0
        assert session.scalar(select(func.count()).select_from(EmbeddingCache)) == 0


def test_interview_groups_statements_and_is_idempotent(store):
    interview_id, created = create_interview(
        consultation=CONSULTATION, reporter_id=None, place="Stadshart, bij de bieb", held_at=None,
        wijk=None, age_group="18-34", idempotency_key="int-1", store=store,
    )
    again, created_again = create_interview(
        consultation=CONSULTATION, reporter_id=None, place="Stadshart", held_at=None,
        wijk=None, age_group=None, idempotency_key="int-1", store=store,
    )
    assert created and not created_again and again == interview_id


def _write_many(url: str, worker: int, count: int, queue) -> None:  # noqa: ANN001 - multiprocessing queue
    from samenspraak.contributions import save_contribution as save

    store = get_store(url)
    ids = []
    for index in range(count):
        text = f"Bijdrage {worker}-{index}"
        ids.append(save(consultation=CONSULTATION, channel="straat", text=text,
                        idempotency_key=f"w{worker}-{index}", analysis=fresh_analysis(text), store=store).response_id)
        # Every worker also re-sends one shared key, as an offline queue that syncs twice would.
        save(consultation=CONSULTATION, channel="straat", text="gedeeld", idempotency_key="shared",
             analysis=fresh_analysis("gedeeld"), store=store)
    queue.put(ids)


def test_concurrent_writers_in_several_processes_lose_nothing(store, database_url):
    workers, per_worker = 4, 25
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=_write_many, args=(database_url, w, per_worker, queue)) for w in range(workers)]
    for process in processes:
        process.start()
    confirmed = [response_id for _ in processes for response_id in queue.get(timeout=180)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    with store.session() as session:
        stored = set(session.scalars(select(Response.id).where(Response.idempotency_key != "shared")))
        shared = session.scalar(select(func.count()).where(Response.idempotency_key == "shared"))
    assert len(confirmed) == workers * per_worker
    assert set(confirmed) == stored
    assert shared == 1


def test_sqlite_runs_in_wal_mode(tmp_path):
    store = get_store(f"sqlite:///{tmp_path / 'wal.db'}")
    store.migrate()
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0


# PostgreSQL only: SQLite lets one writer in at a time, so this interleaving cannot be staged in one thread.
@pytest.mark.parametrize("database_url", [b for b in BACKENDS if b != "sqlite"], indirect=True)
def test_two_requests_learning_the_same_consultation_at_once_both_get_it(store):
    """A store that never ran `init`: a dashboard view and a chat save both create the consultation row."""
    from sqlalchemy import event

    winner_ids: list[int] = []

    def another_request_wins_first(session, _context, _instances):
        # Runs once the loser has decided to insert, before it writes: the other request commits first.
        if winner_ids:
            return
        with store.session() as other:
            winner_ids.append(consultation_by_slug(other, "zoetermeer-2040").id)

    with store.session() as session:
        event.listen(session, "before_flush", another_request_wins_first)
        loser = consultation_by_slug(session, "zoetermeer-2040")
        assert winner_ids and loser.id == winner_ids[0]
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Consultation)) == 1
