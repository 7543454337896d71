"""Fixtures for topics/: the rebuilt embedding model (reused from var/ when current) and a warm cache.

`store` comes from tests/conftest.py (SQLite, and PostgreSQL when configured). Embeddings of the test
corpus are computed once per session and copied into `warm_store`, so each test pays only for its fits.
"""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from samenspraak.contributions import save_contribution
from samenspraak.store import EmbeddingCache, Store
from tests.topics import corpus
from topics import embeddings
from topics.embedding_model import build, default_target, is_current

CONSULTATION = "zoetermeer-2040"


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    target = default_target()
    if is_current(target):
        return target
    return build(tmp_path_factory.mktemp("model") / "multilingual-e5-small")


@pytest.fixture(scope="session")
def embedder(model_dir):
    patch = pytest.MonkeyPatch()
    patch.setenv(embeddings.ENV_MODEL, str(model_dir))
    embeddings.get_embedder.cache_clear()
    yield embeddings.get_embedder()
    embeddings.get_embedder.cache_clear()
    patch.undo()


def add_responses(store: Store, rows: list[dict]) -> list[int]:
    ids = []
    for row in rows:
        saved = save_contribution(
            consultation=CONSULTATION,
            channel=row["channel"],
            text=row["text"],
            wijk=row.get("wijk"),
            created_at=row.get("created_at"),
            theme_key=row.get("theme_hint"),
            analysis={
                "text_redacted": row["text"],
                "language": "nl",
                "lemmas": None,
                "key_phrases": [],
                "is_non_answer": row.get("non_answer", False),
            },
            store=store,
        )
        ids.append(saved.response_id)
    return ids


@pytest.fixture(scope="session")
def warm_cache(tmp_path_factory, embedder):
    """Every vector a fit of the test corpus needs (responses, anchors, key-phrase words)."""
    from topics.fitting import fit

    store = Store(f"sqlite:///{tmp_path_factory.mktemp('warm') / 'warm.db'}")
    store.migrate()
    add_responses(store, corpus.responses())
    fit(CONSULTATION, store=store)
    add_responses(store, [{"text": t, "channel": "web"} for t in corpus.NEW_CYCLING])
    with store.session() as session:
        rows = [
            {c.name: getattr(row, c.name) for c in EmbeddingCache.__table__.columns}
            for row in session.scalars(select(EmbeddingCache))
        ]
    store.dispose()
    return rows


@pytest.fixture
def warm_store(store, warm_cache):
    """The shared `store` (tests/conftest.py) with the embedding cache of the test corpus filled in."""
    with store.session() as session:
        session.execute(insert(EmbeddingCache), warm_cache)
    return store
