"""Personal-data redaction: typed placeholders, applied before anything is analysed or shown."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.tokens import Doc

from nlp.lexicon import load_lexicon
from nlp.names import find_names
from nlp.patterns import PRIORITY, find_structured
from nlp.loader import load_pipeline, word_forms

LABELS = PRIORITY
PLACEHOLDER = re.compile(r"\[(?:" + "|".join(re.escape(label) for label in LABELS) + r")\]")
PIPE_BATCH_SIZE = 64


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str
    text: str


def _resolve(text: str, matches: Iterable[tuple[int, int, str]]) -> list[Span]:
    """Non-overlapping spans: higher-priority labels first, then longer spans."""
    chosen: list[tuple[int, int, str]] = []
    ordered = sorted(matches, key=lambda m: (PRIORITY.index(m[2]), -(m[1] - m[0]), m[0]))
    for start, end, label in ordered:
        if end > start and all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, label))
    chosen.sort()
    merged: list[tuple[int, int, str]] = []
    for start, end, label in chosen:
        # "Dorpsstraat 12, 2711 AB" is one address
        if merged and merged[-1][2] == label == "ADRES" and not text[merged[-1][1] : start].strip(" ,"):
            merged[-1] = (merged[-1][0], end, label)
        else:
            merged.append((start, end, label))
    return [Span(s, e, label, text[s:e]) for s, e, label in merged]


def _spans(text: str, doc: Doc) -> list[Span]:
    placeholders = [m.span() for m in PLACEHOLDER.finditer(text)]
    structured = [
        m for m in find_structured(text) if all(m[1] <= s or m[0] >= e for s, e in placeholders)
    ]
    blocked = placeholders + [(s, e) for s, e, _ in structured]
    names = [(s, e, "NAAM") for s, e in find_names(doc, load_lexicon(), blocked, word_forms())]
    return _resolve(text, structured + names)


def find_personal_data(text: str) -> list[Span]:
    """Personal data in `text`, as character spans with their label."""
    if not text.strip():
        return []
    return _spans(text, load_pipeline()(text))


def _apply(text: str, spans: list[Span]) -> str:
    parts, position = [], 0
    for span in spans:
        parts += [text[position : span.start], f"[{span.label}]"]
        position = span.end
    parts.append(text[position:])
    return "".join(parts)


def redact_docs(texts: list[str]) -> list[tuple[str, Doc]]:
    """Redacted texts with the parsed doc of each redacted text.

    Redaction repeats until nothing more is found, so redacting again changes nothing
    (placeholders are never matched, so every round shrinks the text that is left).
    """
    nlp = load_pipeline()
    current = list(texts)
    docs: list[Doc | None] = [None] * len(texts)
    pending = list(range(len(texts)))
    while pending:
        still_pending = []
        batch = nlp.pipe((current[i] for i in pending), batch_size=PIPE_BATCH_SIZE)
        for i, doc in zip(pending, batch):
            spans = _spans(current[i], doc) if current[i].strip() else []
            if spans:
                current[i] = _apply(current[i], spans)
                still_pending.append(i)
            else:
                docs[i] = doc
        pending = still_pending
    return list(zip(current, docs))  # type: ignore[arg-type]


def redact(text: str) -> str:
    """`text` with personal data replaced by [NAAM], [E-MAIL], [TELEFOON], [ADRES], [BSN],
    [IBAN], [KENTEKEN] or [URL]. Idempotent; '' for ''."""
    if not text:
        return ""
    return redact_docs([text])[0][0]
