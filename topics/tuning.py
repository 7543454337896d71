"""The embedding model fine-tuned on what staff confirmed, for the top-level classifier only.

Once staff have placed enough responses by hand, a logistic regression learns from them (topics.model);
on frozen e5 vectors that stops short of what the labels can teach. Here the encoder itself learns first:
a few steps of supervised contrastive training (SetFit-style, Khosla et al. 2020) on the consultation's
anchor texts and the staff-placed responses pull texts of one theme together and push themes apart.
Measured in evals/topics_eval.py. Subthemes, the map, quotes and key phrases keep the base vectors: they
describe what residents said, not the review.

Only the transformer layers learn (the 96M-parameter word table stays frozen), so a tuned model is stored
as the changed weights only (~85 MB) in var/models/tuned/, named by a hash of everything that shaped it:
the same base model, examples and settings give the same name (and the same embedding cache rows), and a
missing file is simply trained again. Cached vectors live as long as their file (`forget_vectors_without_file`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import delete, select

from samenspraak.store import EmbeddingCache, Store
from topics.embeddings import DOCUMENT_PROMPT, Embedder

# Frozen: the word table is most of the model and barely moves in a few steps.
FROZEN_PARAMETERS = "word_embeddings"
# Tuned models kept on disk (newest first); an older one is trained again if it is ever needed.
TUNED_KEPT = 3


@dataclass(frozen=True)
class TuningSettings:
    """`steps` by cross-validation inside the dev half of the resident-style set (evals/topics_eval.py
    --tune-steps; docs/topics.md); the rest are common SetFit/SupCon values, not tuned here."""

    steps: int = 30
    batch_size: int = 32
    learning_rate: float = 2e-5
    temperature: float = 0.05
    seed: int = 42


def tuned_folder() -> Path:
    from samenspraak.config import get_settings

    return get_settings().var_dir / "models" / "tuned"


def _name_prefix(base: Embedder) -> str:
    """A tuned encoder's name is this plus its digest (also the start of its embedding-cache key)."""
    return f"{base.name}+tuned@"


def _weights_file(digest: str) -> Path:
    return tuned_folder() / f"{digest}.safetensors"


class TunedEmbedder(Embedder):
    """The base model plus weights learned from `examples`: (text, theme classes) pairs."""

    def __init__(self, base: Embedder, examples: Sequence[tuple[str, frozenset[int]]], settings: TuningSettings):
        self.base = base
        self.examples = [(text, frozenset(classes)) for text, classes in examples]
        self.settings = settings
        recipe = {
            "base": base.name,
            "settings": settings.__dict__,
            "examples": [[text, sorted(classes)] for text, classes in self.examples],
        }
        digest = hashlib.sha256(json.dumps(recipe, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]
        self.model_ref, self.is_local = base.model_ref, base.is_local
        self.name = _name_prefix(base) + digest
        self.path = _weights_file(digest)
        self._model = None

    @property
    def model(self):
        if self._model is None:
            from safetensors.torch import load_file

            model = _copy_sharing_frozen(self.base.model)
            if self.path.is_file():
                model.load_state_dict(load_file(str(self.path)), strict=False)
                self.path.touch()  # recently used: kept by the pruning below
            else:
                fine_tune(model, self.examples, self.settings)
                _save_trained(model, self.path)
            model.eval()
            self._model = model
        return self._model


def forget_vectors_without_file(store: Store, base: Embedder) -> int:
    """Delete the cached vectors of tuned encoders (of `base`) whose weights file is gone; returns how many
    encoders. Such a file was pruned, or trained on another machine: trained again, it gives a close encoder,
    not necessarily the same one, and its vectors must not be read beside the old ones. Also frees the space."""
    prefix = _name_prefix(base)
    with store.session() as session:
        names = session.scalars(
            select(EmbeddingCache.model_name).where(EmbeddingCache.model_name.startswith(prefix, autoescape=True)).distinct()
        ).all()
        gone = [name for name in names
                if not _weights_file(name[len(prefix):].split("#", 1)[0]).is_file()]
        if gone:
            session.execute(delete(EmbeddingCache).where(EmbeddingCache.model_name.in_(gone)))
    return len(gone)


def _copy_sharing_frozen(model):
    """A trainable copy of the loaded base model, sharing its frozen word table (no second load from disk)."""
    import copy

    frozen = {id(p): p for name, p in model.named_parameters() if FROZEN_PARAMETERS in name}
    return copy.deepcopy(model, memo=dict(frozen))


def fine_tune(model, examples: Sequence[tuple[str, frozenset[int]]], settings: TuningSettings) -> None:
    """Supervised contrastive loss over random batches; texts sharing a class are each other's positives
    (a response staff placed in two themes is close to both)."""
    import torch

    texts = [text for text, _ in examples]
    classes = [classes for _, classes in examples]
    if len(texts) < 2:
        return
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    prompt = (model.prompts or {}).get(DOCUMENT_PROMPT, "")
    for name, parameter in model.named_parameters():
        parameter.requires_grad = FROZEN_PARAMETERS not in name
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate)
    size = min(settings.batch_size, len(texts))
    # Recomputing activations in the backward pass: the same weights, ~0.8 GB less peak memory, ~45 % more time.
    encoder = getattr(model[0], "auto_model", None)
    checkpointed = bool(getattr(encoder, "supports_gradient_checkpointing", False))
    if checkpointed:
        encoder.activation_checkpointing_enable({"use_reentrant": False})
    model.train()
    for _ in range(settings.steps):
        batch = rng.choice(len(texts), size, replace=False)
        features = model.preprocess([prompt + texts[i] for i in batch])
        vectors = torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)
        positives = torch.tensor([[float(bool(classes[i] & classes[j]) and i != j) for j in batch] for i in batch])
        itself = torch.eye(size, dtype=torch.bool)
        logits = (vectors @ vectors.T / settings.temperature).masked_fill(itself, -1e9)
        log_probability = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        anchored = positives.sum(dim=1) > 0
        if not anchored.any():
            continue
        loss = -((positives * log_probability).sum(dim=1)[anchored] / positives.sum(dim=1)[anchored]).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    if checkpointed:
        encoder.activation_checkpointing_disable()
    for parameter in model.parameters():
        parameter.requires_grad = False
    model.eval()


def _save_trained(model, path: Path) -> None:
    """Only the weights that learned, written to a temporary file and renamed (never half a file)."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    trained = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()
               if FROZEN_PARAMETERS not in name}
    partial = path.with_suffix(f".{os.getpid()}.partial")
    save_file(trained, str(partial))
    os.replace(partial, path)
    kept = sorted(path.parent.glob("*.safetensors"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[TUNED_KEPT:]:
        old.unlink(missing_ok=True)
