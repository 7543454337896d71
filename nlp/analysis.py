"""Batch analysis of responses: redaction first, then everything else on the redacted text."""

from __future__ import annotations

from dataclasses import dataclass

from nlp.preprocess import detect_language, is_non_answer, key_phrases, lemmas, normalize
from nlp.redaction import redact_docs


@dataclass(frozen=True)
class Analysis:
    redacted: str  # normalised and redacted: what may be analysed, shown and printed
    language: str  # ISO 639-1 code or 'und'
    lemmas: list[str]  # content lemmas, no stop words or placeholders
    key_phrases: list[str]
    is_non_answer: bool  # counted, but not themed
    normalized: str  # normalised text, still with personal data: keep it out of views and exports


def analyse(texts: list[str]) -> list[Analysis]:
    """Analyse many responses at once (nlp.pipe batches; the pipeline loads once per process)."""
    normalized = [normalize(t) for t in texts]
    results = []
    for norm, (redacted, doc) in zip(normalized, redact_docs(normalized)):
        results.append(
            Analysis(
                redacted=redacted,
                language=detect_language(redacted),
                lemmas=lemmas(doc),
                key_phrases=key_phrases(doc),
                is_non_answer=is_non_answer(redacted),
                normalized=norm,
            )
        )
    return results
