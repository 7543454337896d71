"""Batch analysis of responses: redaction first, then everything else on the redacted text."""

from __future__ import annotations

from dataclasses import dataclass

from joblib import cpu_count
from joblib.externals.loky import get_reusable_executor

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


# A second process first imports spaCy and loads the pipeline (a few seconds): worth it only for big batches.
PARALLEL_FROM_TEXTS = 2000


def analyse(texts: list[str], *, processes: int | None = None) -> list[Analysis]:
    """Analyse many responses at once (nlp.pipe batches; the pipeline loads once per process).

    A big batch (an import, a benchmark) is split over the machine's cores, at most two processes by default;
    every text is analysed on its own, so the result does not depend on the split.
    """
    if processes is None:
        processes = min(2, cpu_count()) if len(texts) >= PARALLEL_FROM_TEXTS else 1  # cores this process may use
    processes = max(1, min(processes, len(texts)))
    if processes == 1:
        return _analyse(texts)
    size = -(-len(texts) // processes)
    parts = [texts[start : start + size] for start in range(0, len(texts), size)]
    # loky starts fresh interpreters (safe beside a web server or torch threads) and, unlike multiprocessing's
    # spawn, does not re-run the caller's script. This process analyses the first part meanwhile.
    executor = get_reusable_executor(max_workers=len(parts) - 1)
    try:
        others = [executor.submit(_analyse, part) for part in parts[1:]]
        results = _analyse(parts[0])
        for other in others:
            results += other.result()
    finally:
        executor.shutdown(wait=True)  # each worker holds its own pipeline: give that memory back now
    return results


def _analyse(texts: list[str]) -> list[Analysis]:
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
