"""The embedding cache: keyed by text hash and model, so a re-run never embeds a text twice."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from samenspraak.store import EmbeddingCache
from topics import embeddings
from topics.embeddings import EmbeddingModelMissing, Embedder, cached_embeddings, stored_vectors


class Counting:
    """Wraps an embedder and counts the texts it was asked to embed."""

    def __init__(self, embedder: Embedder, name: str | None = None):
        self.embedder = embedder
        self.name = name or embedder.name
        self.texts: list[str] = []

    def cache_name(self, prompt):
        return Embedder.cache_name(self, prompt)

    def encode(self, texts, prompt="query"):
        self.texts += list(texts)
        return self.embedder.encode(texts, prompt=prompt)


def test_a_second_run_reads_the_cache(store, embedder):
    counting = Counting(embedder)
    texts = ["Meer groen in de wijk.", "Meer groen in de wijk.", "De bus is te laat."]
    first = cached_embeddings(store, texts, counting)
    assert sorted(counting.texts) == ["De bus is te laat.", "Meer groen in de wijk."]  # duplicates embedded once
    again = cached_embeddings(store, texts + ["Nieuw: een bankje."], counting)
    assert counting.texts[2:] == ["Nieuw: een bankje."]
    assert np.array_equal(again[:3], first)
    with store.session() as session:
        assert set(stored_vectors(session, embedder.name, texts)) == set(texts)


def test_the_cache_is_per_model_and_prompt(store, embedder):
    cached_embeddings(store, ["Een fietspad."], Counting(embedder))
    other = Counting(embedder, name="een-ander-model")
    cached_embeddings(store, ["Een fietspad."], other)
    cached_embeddings(store, ["Een fietspad."], other, prompt="passage")
    assert len(other.texts) == 2
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(EmbeddingCache)) == 3


def test_vectors_come_back_in_the_order_of_the_texts(store, embedder):
    """Texts are embedded sorted by length (less padding); each vector must still belong to its own text."""
    texts = [
        "Een veel langere reactie over de bussen die 's avonds niet meer naar Oosterheem rijden, en dat is jammer.",
        "Bankjes.",
        "Meer speelplekken voor kinderen in Rokkeveen.",
        "Bankjes.",
        "Fiets.",
    ]
    vectors = cached_embeddings(store, texts, embedder)
    for text, vector in zip(texts, vectors):
        assert float(vector @ embedder.encode([text])[0]) > 0.9999


def test_a_vector_cached_meanwhile_by_another_process_is_kept(store, embedder, monkeypatch):
    """Two fits at once may both find a text missing; the second insert must not fail or overwrite."""
    first = cached_embeddings(store, ["Een fietspad."], embedder)
    monkeypatch.setattr(embeddings, "_lookup", lambda *_args: {})  # as if the row was written after the look-up
    again = cached_embeddings(store, ["Een fietspad.", "Een bankje."], embedder)
    assert np.allclose(again[0], first[0], atol=1e-5)
    monkeypatch.undo()
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(EmbeddingCache)) == 2
        assert np.array_equal(stored_vectors(session, embedder.name, ["Een fietspad."])["Een fietspad."], first[0])


def test_a_missing_model_gives_a_clear_message(tmp_path):
    with pytest.raises(EmbeddingModelMissing, match="kan niet geladen worden"):
        Embedder(str(tmp_path / "bestaat-niet")).encode(["x"])


def test_no_prompt_means_no_prompt(embedder):
    """prompt=None is cached under '#': sentence-transformers must not add the folder's default prompt ("passage: ")."""
    texts = ["Meer bomen in de wijk.", "De bus rijdt 's avonds te weinig."]
    bare = embedder.encode(texts, prompt=None)
    passage = embedder.encode(texts, prompt="passage")
    assert np.abs(bare - passage).max() > 1e-3
    sentence_transformers_default = embedder.model.encode(texts, normalize_embeddings=True)
    assert np.allclose(passage, sentence_transformers_default, atol=1e-5)  # the default it would have added
