"""Loading the Dutch spaCy pipeline: once per process, from the repository by default."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language

import nlp.components  # noqa: F401  (registers the shipped pipeline's own component)

PACKAGE_DIR = Path(__file__).resolve().parent
SHIPPED_PIPELINE = PACKAGE_DIR / "pipeline" / "nl_samenspraak"
MODEL_ENV = "SAMENSPRAAK_SPACY_MODEL"


class PipelineNotFound(RuntimeError):
    """The configured spaCy pipeline is not installed or not a pipeline folder."""


def pipeline_name() -> str:
    """What `load_pipeline` loads: the env setting, or the pipeline shipped in the repository."""
    return os.environ.get(MODEL_ENV, "").strip() or str(SHIPPED_PIPELINE)


@lru_cache(maxsize=4)
def _load(name: str) -> Language:
    try:
        return spacy.load(name)
    except OSError as error:
        raise PipelineNotFound(
            f"spaCy pipeline {name!r} could not be loaded. Install it (pip install {name}) or "
            f"unset {MODEL_ENV} to use the pipeline shipped in {SHIPPED_PIPELINE}."
        ) from error


def load_pipeline() -> Language:
    """The pipeline named by SAMENSPRAAK_SPACY_MODEL (any installed spaCy pipeline or folder),
    else the shipped `nl_samenspraak`. Cached: loading happens once per process and name."""
    return _load(pipeline_name())


@lru_cache(maxsize=4)
def _word_forms(name: str) -> frozenset[str]:
    pipeline = _load(name)
    if "lemma_lookup_fallback" not in pipeline.pipe_names:
        return frozenset()
    table = pipeline.get_pipe("lemma_lookup_fallback").table
    return frozenset(w.lower() for w in (*table.keys(), *table.values()))


def word_forms() -> frozenset[str]:
    """Lower-case Dutch word forms and lemmas known to the shipped pipeline's lookup table
    (empty for other pipelines): tells ordinary words ("Sport", "Docent") from names."""
    return _word_forms(pipeline_name())
