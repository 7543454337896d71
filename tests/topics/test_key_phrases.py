"""Key phrases: counted on lemmas from nlp/, shown as words residents wrote (real model and pipeline)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nlp
from tests.topics import corpus
from topics.model import Describer, ModelSettings, document_words

TOPIC_WORDS = {"fiets": "fiets", "groen": ("bomen", "groen", "park", "moestuin"), "wonen": "woning", "ov": ("bus", "trein")}


@pytest.fixture(scope="module")
def described(embedder):
    rows = [r for r in corpus.responses() if r["topic"]]
    texts = [r["text"] for r in rows]
    topics = sorted({r["topic"] for r in rows})
    labels = np.array([topics.index(r["topic"]) for r in rows])
    documents = [document_words(a.lemmas, t) for a, t in zip(nlp.analyse(texts), texts)]
    describer = Describer(lambda words: embedder.encode(words), ModelSettings())
    phrases = describer.key_phrases(documents, texts, embedder.encode(texts), labels, len(topics))
    return {topic: (phrases[i], [t for t, l in zip(texts, labels) if l == i]) for i, topic in enumerate(topics)}


def test_every_key_phrase_is_written_as_such_in_a_response_of_its_theme(described):
    # Whole words only: a lemma stem such as "gezinn" for "gezinnen" fails; only a sentence-initial capital may differ.
    for topic, (phrases, texts) in described.items():
        assert phrases, topic
        for phrase in phrases:
            pattern = re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)", re.IGNORECASE)
            assert any(pattern.search(text) for text in texts), (topic, phrase)


def test_key_phrases_name_the_obvious_theme(described):
    for topic, words in TOPIC_WORDS.items():
        phrases = described[topic][0]
        words = (words,) if isinstance(words, str) else words
        assert any(word in phrase.lower() for phrase in phrases[:3] for word in words), (topic, phrases)
