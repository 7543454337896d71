"""Shared fixtures: a migrated store per test, on SQLite and (when configured) on PostgreSQL.

Set SAMENSPRAAK_TEST_POSTGRES_URL (e.g. postgresql://user@127.0.0.1:5433/postgres) to run every test that uses
`store` against PostgreSQL as well; each test gets a database of its own.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from samenspraak import config
from samenspraak.store import Store, db

POSTGRES_URL = os.environ.get("SAMENSPRAAK_TEST_POSTGRES_URL")
# `make test` sets this: there every prerequisite is installed, so a skipped test means something is missing.
STRICT = os.environ.get("SAMENSPRAAK_TEST_STRICT") == "1"
_skipped: list[str] = []
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def run_coroutine(coroutine):
    """asyncio.run in a thread of its own: Playwright's sync API keeps an event loop running in the main thread
    once a browser test has run, and asyncio.run refuses to start there."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def fresh_analysis(text: str) -> dict:
    """What nlp would give for a plain text; for tests that are about the store, not about nlp."""
    return {"text_redacted": text, "language": "nl", "lemmas": text.lower().split(), "key_phrases": [], "is_non_answer": False}


def fail_response_inserts(store) -> None:
    """Make the database refuse every new response, as a full disk or a broken server would."""
    with store.engine.begin() as connection:
        if store.url.startswith("sqlite"):
            connection.exec_driver_sql(
                "CREATE TRIGGER fail_insert BEFORE INSERT ON response BEGIN SELECT RAISE(ABORT, 'schijf vol'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION fail_insert() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'schijf vol'; END $$ "
                "LANGUAGE plpgsql"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER fail_insert BEFORE INSERT ON response FOR EACH ROW EXECUTE FUNCTION fail_insert()"
            )


def _use_database(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    # Code that calls get_store() without arguments must reach this test's database.
    monkeypatch.setenv("DATABASE_URL", url)
    config.get_settings.cache_clear()
    db._store_for.cache_clear()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'samenspraak.db'}"
        _use_database(monkeypatch, url)
        yield url
        return
    admin = create_engine(db._normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    _use_database(monkeypatch, url)
    try:
        yield url
    finally:
        db._store_for.cache_clear()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = db.get_store(database_url)
    store.migrate()
    yield store
    store.dispose()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if STRICT and _skipped and exitstatus == 0:
        print(f"\nSAMENSPRAAK_TEST_STRICT: {len(_skipped)} test(s) skipped, which counts as a failure here:")
        for nodeid in _skipped:
            print(f"  {nodeid}")
        session.exitstatus = 1
