"""Custom spaCy component of the shipped pipeline (registered on import of the `nlp` package)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

TABLE_FILE = "table.json.gz"


@Language.factory("lemma_lookup_fallback")
def make_lemma_lookup_fallback(nlp: Language, name: str) -> LemmaLookupFallback:
    return LemmaLookupFallback()


class LemmaLookupFallback:
    """When the trainable lemmatizer leaves a word unchanged (no edit tree fits, e.g. "werkte"),
    take the lemma from a word-form table instead (spaCy's Dutch lookup table, MIT licence,
    from the spacy-lookups-data package; stored inside the pipeline, so no runtime dependency)."""

    def __init__(self, table: dict[str, str] | None = None):
        self.table = table or {}

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            if token.lemma_ in (token.text, token.lower_, ""):
                lemma = self.table.get(token.text) or self.table.get(token.lower_)
                if lemma:
                    token.lemma_ = lemma
        return doc

    def to_disk(self, path: str | Path, exclude: tuple = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        data = json.dumps(self.table, ensure_ascii=False, sort_keys=True).encode("utf-8")
        (path / TABLE_FILE).write_bytes(gzip.compress(data, mtime=0))  # same bytes on every build

    def from_disk(self, path: str | Path, exclude: tuple = ()) -> LemmaLookupFallback:
        with gzip.open(Path(path) / TABLE_FILE, "rt", encoding="utf-8") as file:
            self.table = json.load(file)
        return self
