"""The encoder tuned on staff review: it learns, it is stored and reused, and fit and assign read it."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

import topics
import topics.fitting
import topics.tuning
from samenspraak.store import EmbeddingCache, TopicRun
from tests.topics import corpus
from tests.topics.conftest import CONSULTATION, add_responses
from tests.topics.test_fit import EXPECTED_THEME, fitted, keys_of, main_theme_share, snapshot, theme_ids  # noqa: F401
from topics.embeddings import Embedder, cached_embeddings
from topics.tuning import TunedEmbedder, TuningSettings, forget_vectors_without_file

QUICK = TuningSettings(steps=12, batch_size=16)


@pytest.fixture
def tuned_folder(tmp_path, monkeypatch):
    folder = tmp_path / "tuned"
    monkeypatch.setattr(topics.tuning, "tuned_folder", lambda: folder)
    return folder


def _examples() -> list[tuple[str, frozenset[int]]]:
    rows = [row for row in corpus.responses() if row["topic"] in ("fiets", "groen", "wonen")]
    classes = {"fiets": 0, "groen": 1, "wonen": 2}
    return [(row["text"], frozenset({classes[row["topic"]]})) for row in rows]


def _separation(vectors: np.ndarray, classes: list[int]) -> float:
    """Mean cosine within a class minus mean cosine between classes."""
    similarity = vectors @ vectors.T
    same = np.equal.outer(classes, classes)
    np.fill_diagonal(same, False)
    other = ~np.equal.outer(classes, classes)
    return float(similarity[same].mean() - similarity[other].mean())


def test_tuning_pulls_a_themes_texts_together_and_is_stored_for_reuse(embedder, tuned_folder, monkeypatch):
    examples = _examples()
    texts, classes = [t for t, _ in examples], [min(c) for _, c in examples]
    tuned = TunedEmbedder(embedder, examples, QUICK)
    assert _separation(tuned.encode(texts), classes) > _separation(embedder.encode(texts), classes) + 0.05
    assert [p.name for p in tuned_folder.iterdir()] == [f"{tuned.name.rsplit('@', 1)[1]}.safetensors"]
    assert "+tuned@" in tuned.name and embedder.name in tuned.name

    def refuse(*_args):
        raise AssertionError("a stored tuned model must be loaded, not trained again")

    monkeypatch.setattr(topics.tuning, "fine_tune", refuse)
    again = TunedEmbedder(Embedder(embedder.model_ref), examples, QUICK)
    assert again.name == tuned.name
    np.testing.assert_allclose(again.encode(texts[:5]), tuned.encode(texts[:5]), atol=1e-6)
    # Other examples or settings are another model (another name, another cache key).
    assert TunedEmbedder(embedder, examples[:-1], QUICK).name != tuned.name
    assert TunedEmbedder(embedder, examples, TuningSettings(steps=13, batch_size=16)).name != tuned.name


def test_only_the_newest_tuned_models_are_kept(embedder, tuned_folder):
    examples = _examples()
    names = []
    for n in range(topics.tuning.TUNED_KEPT + 1):
        tuned = TunedEmbedder(embedder, examples[n:], TuningSettings(steps=1, batch_size=4))
        tuned.encode(["x"])
        names.append(tuned.path.name)
    assert sorted(p.name for p in tuned_folder.iterdir()) == sorted(names[1:])


def test_cached_vectors_of_a_tuned_encoder_go_with_its_weights_file(store, embedder, tuned_folder):
    texts = [text for text, _ in _examples()[:3]]
    tuned = TunedEmbedder(embedder, _examples(), TuningSettings(steps=1, batch_size=4))
    cached_embeddings(store, texts, tuned)
    cached_embeddings(store, texts, embedder)

    def rows(name: str) -> int:
        with store.session() as session:
            return len(session.scalars(select(EmbeddingCache.text_hash).where(EmbeddingCache.model_name.startswith(name))).all())

    assert forget_vectors_without_file(store, embedder) == 0 and rows(tuned.name) == 3
    tuned.path.unlink()  # pruned, or the store is shared with a machine that never trained it
    assert forget_vectors_without_file(store, embedder) == 1
    assert rows(tuned.name) == 0 and rows(f"{embedder.name}#") == 3  # the base model's vectors stay


def test_staff_review_tunes_the_classifier_that_fit_and_assign_use(fitted, tuned_folder, monkeypatch):
    store, by_topic, _, _ = fitted
    monkeypatch.setattr(topics.fitting, "TuningSettings", lambda: QUICK)  # what fit and assign_new use
    themes = theme_ids(store)
    placed = by_topic["fiets"] + by_topic["groen"]  # more than the 30 a trained classifier needs
    for response_id in placed:
        target = themes[EXPECTED_THEME["fiets" if response_id in by_topic["fiets"] else "groen"]]
        topics.move_response(response_id, None, target, store=store)
    run_id = topics.fit(CONSULTATION, store=store)
    with store.session() as session:
        metrics = session.get(TopicRun, run_id).metrics
    assert metrics["classifier"] == "trained" and "+tuned@" in metrics["classifier_embeddings"]
    assert len(list(tuned_folder.iterdir())) == 1
    assert main_theme_share(store, by_topic) >= 0.8
    assert all(EXPECTED_THEME["fiets"] in keys_of(store, i) for i in by_topic["fiets"])

    # A re-fit and an assign with the same review load the stored model instead of training again.
    def refuse(*_args):
        raise AssertionError("the review did not change: the tuned model must be reused")

    monkeypatch.setattr(topics.tuning, "fine_tune", refuse)
    before = snapshot(store)
    topics.fit(CONSULTATION, store=store)
    assert snapshot(store) == before
    new_ids = add_responses(store, [{"text": t, "channel": "web"} for t in corpus.NEW_CYCLING])
    assert topics.assign_new(CONSULTATION, store=store) == len(new_ids)
    assert all("regiostad" in keys_of(store, i) for i in new_ids)
    with store.session() as session:
        last = session.scalars(select(TopicRun).order_by(TopicRun.id.desc())).first()
        assert last.metrics["classifier"] == "trained"

