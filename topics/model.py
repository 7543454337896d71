"""The theme model, without the store: classify responses into the vision's themes, find subthemes, describe.

1. Top level (zero-shot, anchored in the vision): every vision theme is a class whose prototype is the mean
   embedding of its name, explanation, question, synonyms, seed phrases and actions; 'overig' is a class
   with one prototype per kind of off-topic answer (other_anchors.yaml). A response gets the closest class,
   a second theme when it is nearly as close (multi-label), and a confidence (softmax of the similarities).
   With enough responses, each vision theme's prototype then moves towards the responses it attracts
   (one soft k-means step), so it speaks the residents' words as well as the vision's. The theme
   a resident picked in the chat (`theme_hint`) is a bounded prior on top.
   Once staff have confirmed enough responses, a logistic regression on anchors + confirmed responses
   replaces the prototypes, over an encoder tuned on the same examples (topics.tuning; measured in evals/:
   zero-shot tops out well below what a few dozen confirmed answers per theme give).
2. Subthemes (from `small_data` responses on): BERTopic-style UMAP (fixed random_state) + HDBSCAN within
   each top-level theme, so emergent subthemes nest under the vision; small data skips this (no outlier blob).
3. Description: BERTopic in manual mode (our labels, no re-clustering) for Dutch c-TF-IDF on the nlp lemmas
   (1-2-grams, Dutch stop words, min_df by corpus size) with KeyBERTInspired + MMR representations; each
   lemma phrase is shown as the words residents wrote most often for it ("gezinn" -> "gezinnen").
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

OTHER_KEY = "overig"
OTHER_ANCHORS_FILE = Path(__file__).with_name("other_anchors.yaml")
WORD_PATTERN = re.compile(r"[^\W\d_][\w'-]*[^\W_]|[^\W\d_]", re.UNICODE)
# Words residents use everywhere that say nothing about a theme (on top of spaCy's Dutch stop words).
FILLER_WORDS = {
    "gewoon", "echt", "graag", "vind", "vinden", "denk", "denken", "zeggen", "moeten", "willen", "kunnen",
    "gaan", "komen", "maken", "laten", "staan", "zien", "vooral", "beetje", "best", "eigenlijk", "zo'n",
    "the", "and", "zoetermeer", "gemeente",
}

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ModelSettings:
    """temperature, second_ratio and min_confidence were tuned on the first half of the resident-style set
    (`python -m evals.topics_eval --tune`); logistic_c by its k-fold staff-review simulation; adaptation on
    the same dev half (the grid's best; its neighbours 0.5 and ratio 0.6/0.8 score within 0.02); the
    trained classifier's weights by repeated cross-validation inside the dev half (docs/topics.md)."""

    seed: int = 42
    # Below this many responses: similarity to the vision only, no clustering (BERTopic issue #1018).
    small_data: int = 60
    # Softmax temperature on cosine similarities (e5 similarities lie close together).
    temperature: float = 0.01
    # A second theme when its probability is at least this share of the first one's.
    second_ratio: float = 0.7
    # Below this confidence a response is not forced into a theme: it goes to 'overig' as an outlier.
    min_confidence: float = 0.2
    # Weight of the vision's own prototype when it moves towards the responses it attracts (1 = no move).
    adaptation: float = 0.3
    # The theme a resident picked counts this many times as likely; a clearly different answer still wins
    # (at temperature 0.01, a factor 3 equals a cosine lead of about 0.011).
    hint_prior: float = 3.0
    # Staff-confirmed responses needed before a trained classifier replaces the prototypes.
    min_staff_examples: int = 30
    logistic_c: float = 30.0
    # Once staff placed responses, an anchor text counts as this share of one placed response: where the
    # vision's phrases and the reviewers disagree (social safety, debts), the reviewers win.
    anchor_weight: float = 0.1
    umap_neighbors: int = 15
    umap_components: int = 5
    min_subtheme_size: int = 8
    key_phrases: int = 8


# ------------------------------------------------------------------------------------------- anchors


@dataclass(frozen=True)
class Anchor:
    """One class of the classifier: a vision theme (one group of texts) or 'overig' (a group per kind)."""

    key: str
    groups: tuple[tuple[str, ...], ...]


def theme_anchor_texts(definition) -> tuple[str, ...]:
    """Everything the consultation file says about a theme, as short texts to embed."""
    texts = [definition.name, definition.short_name, definition.explanation, definition.question]
    texts += list(definition.synonyms) + list(definition.seed_phrases) + list(definition.actions)
    return tuple(t.strip() for t in texts if t and t.strip())


@lru_cache(maxsize=1)
def other_anchor(path: Path = OTHER_ANCHORS_FILE) -> Anchor:
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Anchor(OTHER_KEY, tuple(tuple(str(t) for t in texts) for texts in content.values()))


def anchors_for(consultation_definition) -> list[Anchor]:
    """Vision themes in definition order, then 'overig'."""
    themes = [Anchor(t.key, (theme_anchor_texts(t),)) for t in consultation_definition.themes]
    return themes + [other_anchor()]


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def centroid_of(vectors: np.ndarray) -> np.ndarray:
    """Unit-length mean direction of a group of unit vectors."""
    return _normalise(np.asarray(vectors, dtype=np.float32).mean(axis=0)).astype(np.float32)


# ----------------------------------------------------------------------------------------- classifier


@dataclass
class Prediction:
    """Per response: [(class index, confidence)], best first; `outlier` when no class was confident."""

    probabilities: np.ndarray
    labels: list[list[tuple[int, float]]]
    outlier: np.ndarray


class ThemeClassifier:
    """Top-level classes = anchors (vision themes, then 'overig'); see the module docstring."""

    def __init__(self, anchors: Sequence[Anchor], anchor_vectors: Sequence[np.ndarray], settings: ModelSettings):
        """`anchor_vectors[i]` holds the embeddings of all texts of anchor i, group after group."""
        self.keys = [a.key for a in anchors]
        self.settings = settings
        self.other = self.keys.index(OTHER_KEY) if OTHER_KEY in self.keys else None
        self._texts, self._text_classes = [], []
        self.prototypes: list[np.ndarray] = []  # per class: its group prototypes (g x d)
        for index, (anchor, vectors) in enumerate(zip(anchors, anchor_vectors)):
            start, groups = 0, []
            for texts in anchor.groups:
                part = np.asarray(vectors[start : start + len(texts)])
                groups.append(_normalise(part.mean(axis=0)))
                start += len(texts)
            self.prototypes.append(np.vstack(groups))
            self._texts.append(np.asarray(vectors))
            self._text_classes += [index] * len(vectors)
        self.model = None
        self.mode = "prototypes"

    def learn(self, vectors: np.ndarray, classes: Sequence[int]) -> ThemeClassifier:
        """A classifier that also uses staff-confirmed responses (trained once there are enough of them).

        A response placed in two themes comes as two rows with one vector: it counts once towards the minimum."""
        classes = list(classes)
        responses = len(np.unique(np.asarray(vectors), axis=0)) if classes else 0
        if responses < self.settings.min_staff_examples or len(set(classes)) < 2:
            return self
        from sklearn.linear_model import LogisticRegression

        features = np.vstack(self._texts + [np.asarray(vectors)])
        targets = np.array(self._text_classes + classes)
        weights = np.r_[np.full(len(self._text_classes), self.settings.anchor_weight), np.ones(len(classes))]
        # Every theme weighs the same in total, so a theme staff placed few responses in still gets found.
        totals = np.bincount(targets, weights=weights)
        weights = weights * totals.sum() / (np.count_nonzero(totals) * totals[targets])
        trained = copy.copy(self)
        model = LogisticRegression(C=self.settings.logistic_c, max_iter=3000)
        trained.model = model.fit(features, targets, sample_weight=weights)
        trained.mode = "trained"
        return trained

    def adapt(self, vectors: np.ndarray) -> ThemeClassifier:
        """Each vision theme's prototype moved towards the mean of the responses, weighted by how likely
        they belong to it. Not for 'overig' (it has no single centre) and not below `small_data` responses
        (too few to say what a theme sounds like); a trained classifier has no prototypes to move."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.model is not None or len(vectors) < self.settings.small_data or self.settings.adaptation >= 1:
            return self
        proba = self.probabilities(vectors)
        adapted = copy.copy(self)
        adapted.prototypes = list(self.prototypes)
        for index, weights in enumerate(proba.T):
            if index == self.other or weights.sum() <= 0:
                continue
            centre = _normalise((weights[:, None] * vectors).sum(axis=0) / weights.sum())
            share = self.settings.adaptation
            adapted.prototypes[index] = _normalise(share * self.prototypes[index] + (1 - share) * centre)
        return adapted

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.model is not None:
            proba = np.zeros((len(vectors), len(self.keys)))
            proba[:, self.model.classes_] = self.model.predict_proba(vectors)
            return proba
        scores = np.column_stack([(vectors @ groups.T).max(axis=1) for groups in self.prototypes])
        logits = (scores - scores.max(axis=1, keepdims=True)) / self.settings.temperature
        weights = np.exp(logits)
        return weights / weights.sum(axis=1, keepdims=True)

    def predict(self, vectors: np.ndarray, hints: Sequence[str | None] | None = None) -> Prediction:
        """`hints`: per response the theme key the resident picked (or None); see `with_hints`."""
        proba = self.with_hints(self.probabilities(vectors), hints)
        labels, outlier = [], np.zeros(len(proba), dtype=bool)
        for row_index, row in enumerate(proba):
            order = np.argsort(-row, kind="stable")
            best, second = int(order[0]), int(order[1]) if len(order) > 1 else None
            if row[best] < self.settings.min_confidence and self.other is not None:
                labels.append([(self.other, float(row[self.other]))])
                outlier[row_index] = True
                continue
            chosen = [(best, float(row[best]))]
            if (
                second is not None
                and best != self.other
                and second != self.other
                and row[second] >= self.settings.second_ratio * row[best]
            ):
                chosen.append((second, float(row[second])))
            labels.append(chosen)
        return Prediction(proba, labels, outlier)

    def with_hints(self, proba: np.ndarray, hints: Sequence[str | None] | None) -> np.ndarray:
        """Bayes with a prior: the hinted theme's probability times `hint_prior`, then normalised again."""
        if not hints:
            return proba
        proba = proba.copy()
        for row, hint in zip(proba, hints):
            if hint in self.keys and hint != OTHER_KEY:
                row[self.keys.index(hint)] *= self.settings.hint_prior
                row /= row.sum()
        return proba


# ------------------------------------------------------------------------------------------- documents


@lru_cache(maxsize=1)
def dutch_stop_words() -> frozenset[str]:
    from spacy.lang.nl.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS | FILLER_WORDS)


def document_words(lemmas: Sequence[str] | None, text: str) -> str:
    """The text c-TF-IDF sees: nlp's lemmas when present, else the lower-cased words of the redacted text.

    Stop words stay in (so `phrases` knows which words were adjacent); redaction placeholders do not.
    """
    tokens = [str(t).lower() for t in lemmas] if lemmas else WORD_PATTERN.findall(text.lower())
    return " ".join(t for t in tokens if WORD_PATTERN.fullmatch(t))


def phrases(document: str) -> list[str]:
    """CountVectorizer analyzer: content words and pairs of adjacent content words.

    sklearn drops stop words before it forms n-grams, which glues words that were never next to each
    other ("bijhoudt publiceer"); this keeps only real neighbours.
    """
    stop = dutch_stop_words()
    tokens = document.split()
    content = [t for t in tokens if t not in stop and len(t) > 1]
    pairs = [f"{a} {b}" for a, b in zip(tokens, tokens[1:]) if a != b and a not in stop and b not in stop and len(a) > 1 and len(b) > 1]
    return content + pairs


# Between the two words of a shown phrase: no punctuation, and at most two of these little words that keep
# a noun phrase together ("plekken voor jongeren"); anything else ("Buytenwegh zodat ouderen") splits it.
PHRASE_JOINERS = frozenset({"de", "het", "een", "van", "voor", "met", "in", "op", "aan", "bij", "naar", "uit", "over", "tot", "en"})
PHRASE_GAP = 2
PHRASE_BREAK = re.compile(r"[^\w\s-]")


def _same_word(lemma: str, word: str) -> bool:
    """Is `word` (lower case) an inflected form of `lemma`? Same start and mostly the same letters:
    gezinn~gezinnen, boom~bomen, jong~jongeren, kappen~gekapt; irregular verbs (gaan~ging) are missed,
    which only costs a phrase."""
    if lemma == word:
        return True
    stems = (word, word[2:]) if word.startswith("ge") and len(word) > 4 else (word,)
    return any(lemma[:2] == stem[:2] and SequenceMatcher(None, lemma, stem).ratio() >= 0.6 for stem in stems)


def align_words(document: str, text: str) -> list[tuple[int, int] | None]:
    """Per token of `document` (see `document_words`), the (start, end) of the word in `text` it came from.

    Lemmas keep the order of the words, so each is matched to the next word of the text that has its form.
    """
    words = [(m.start(), m.end(), m.group().lower()) for m in WORD_PATTERN.finditer(text)]
    spans: list[tuple[int, int] | None] = []
    position = 0
    for token in document.split():
        found = next((k for k in range(position, len(words)) if _same_word(token, words[k][2])), None)
        if found is None:
            spans.append(None)
            continue
        spans.append(words[found][:2])
        position = found + 1
    return spans


SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)$")


def _as_written(text: str, start: int, end: int) -> str:
    """The stretch as written, with a capital that only marks the start of a sentence made lower case."""
    stretch = text[start:end]
    if SENTENCE_START.search(text[:start]) and stretch[1:2].islower():
        return stretch[:1].lower() + stretch[1:]
    return stretch


def _cut_off(text: str, end: int, next_start: int | None) -> bool:
    """Does the stretch end in an inflected adjective whose noun comes right after ("veilige [fietspaden]")?"""
    return next_start is not None and text[end - 1 : end] == "e" and not text[end:next_start].strip()


def surface_forms(documents: Sequence[str], texts: Sequence[str]) -> dict[str, Counter]:
    """For every unigram and adjacent pair of `phrases`, how often each stretch of real text stands for it."""
    forms: dict[str, Counter] = {}
    for document, text in zip(documents, texts):
        tokens = document.split()
        spans = align_words(document, text)
        # Where the next content word starts, per token (None when it has no word or is the last).
        following = [next((s[0] for s in spans[k + 1 :] if s is not None), None) for k in range(len(spans))]
        for token, span, after in zip(tokens, spans, following):
            if span is not None and not _cut_off(text, span[1], after):
                forms.setdefault(token, Counter())[_as_written(text, *span)] += 1
        for k in range(len(tokens) - 1):
            first, last = spans[k], spans[k + 1]
            if first is None or last is None or _cut_off(text, last[1], following[k + 1]):
                continue
            between = WORD_PATTERN.findall(text[first[1] : last[0]].lower())
            if len(between) <= PHRASE_GAP and set(between) <= PHRASE_JOINERS and not PHRASE_BREAK.search(text[first[0] : last[1]]):
                forms.setdefault(f"{tokens[k]} {tokens[k + 1]}", Counter())[_as_written(text, first[0], last[1])] += 1
    return forms


def readable(phrase: str, forms: dict[str, Counter]) -> str | None:
    """The words residents wrote most often for a lemma phrase, in the case they wrote it most often, or
    None when it never appears as such (then it is no phrase to show)."""
    counts = forms.get(phrase)
    if not counts:
        return None
    by_lower = Counter()
    for form, count in counts.items():
        by_lower[form.lower()] += count
    best = by_lower.most_common(1)[0][0]
    return max((form for form in counts if form.lower() == best), key=lambda form: counts[form])


def min_df_for(n_documents: int) -> int:
    """Rare words make noisy labels in big corpora; small corpora need every word."""
    return 1 if n_documents < 300 else 2 if n_documents < 1500 else 3 if n_documents < 5000 else 5


# --------------------------------------------------------------------------------------------- fitting


@dataclass
class Subtopic:
    parent: int  # class index of the top-level theme it nests under
    members: np.ndarray  # document indices
    key_phrases: list[str] = field(default_factory=list)


@dataclass
class ModelResult:
    prediction: Prediction
    class_key_phrases: list[list[str]]
    subtopics: list[Subtopic]
    subtopic_of: np.ndarray  # per document: index into subtopics or -1
    coordinates: np.ndarray  # 2-D map
    mode: str  # "small-data" or "clustered"
    classifier_mode: str

    @property
    def outlier_share(self) -> float:
        return float(self.prediction.outlier.mean()) if len(self.prediction.outlier) else 0.0


def fit_model(
    embeddings: np.ndarray,
    documents: Sequence[str],
    texts: Sequence[str],
    classifier: ThemeClassifier,
    describer: Describer | None,
    settings: ModelSettings,
    progress: Progress | None = None,
    hints: Sequence[str | None] | None = None,
    class_embeddings: np.ndarray | None = None,
) -> ModelResult:
    """Classify, cluster (unless small data), describe. Deterministic for the same input and settings.

    `documents` are the lemma texts of `document_words`, `texts` the redacted responses they came from,
    `hints` the themes residents picked (or None each), `class_embeddings` what the classifier reads when
    it has its own encoder (tuned on staff review; default: `embeddings`).
    """
    step = progress or (lambda *_: None)
    n = len(embeddings)
    step("Indelen in thema's van de visie", 0, n)
    prediction = classifier.predict(embeddings if class_embeddings is None else class_embeddings, hints)
    primary = np.array([labels[0][0] for labels in prediction.labels], dtype=int)
    step("Indelen in thema's van de visie", n, n)

    subtopics: list[Subtopic] = []
    subtopic_of = np.full(n, -1, dtype=int)
    if n < settings.small_data:
        mode = "small-data"
        coordinates = _pca_map(embeddings, settings.seed)
    else:
        mode = "clustered"
        step("Subthema's zoeken", 0, len(classifier.keys))
        for class_index in range(len(classifier.keys)):
            members = np.flatnonzero((primary == class_index) & ~prediction.outlier)
            for cluster in _subclusters(embeddings[members], settings):
                subtopic_of[members[cluster]] = len(subtopics)
                subtopics.append(Subtopic(class_index, members[cluster]))
            step("Subthema's zoeken", class_index + 1, len(classifier.keys))
        step("Kaart maken", 0, 1)
        coordinates = _umap(embeddings, 2, settings, min_dist=0.1)
        step("Kaart maken", 1, 1)

    class_phrases: list[list[str]] = [[] for _ in classifier.keys]
    if describer is not None and n:
        step("Trefwoorden bepalen", 0, 2)
        class_phrases = describer.key_phrases(documents, texts, embeddings, primary, len(classifier.keys))
        step("Trefwoorden bepalen", 1, 2)
        if subtopics:
            phrases = describer.key_phrases(documents, texts, embeddings, subtopic_of, len(subtopics))
            for subtopic, words in zip(subtopics, phrases):
                subtopic.key_phrases = words
        step("Trefwoorden bepalen", 2, 2)
    return ModelResult(prediction, class_phrases, subtopics, subtopic_of, coordinates, mode, classifier.mode)


# From this many rows on UMAP switches to approximate neighbours (NNDescent), whose numba code compiles for
# ~30 s in every new process; we hand it exact ones instead (one matrix product, ~2 s for 10k responses).
UMAP_APPROXIMATE_FROM = 4096


def _exact_neighbours(vectors: np.ndarray, neighbours: int) -> tuple[np.ndarray, np.ndarray, None]:
    from sklearn import config_context
    from sklearn.neighbors import NearestNeighbors

    with config_context(working_memory=64):  # MB per chunk of the distance matrix (default 1 GB)
        search = NearestNeighbors(n_neighbors=neighbours, metric="cosine", algorithm="brute").fit(vectors)
        distances, indices = search.kneighbors()
    # UMAP's own neighbour lists start with the row itself, at distance 0.
    own = np.arange(len(vectors))[:, None]
    at_zero = np.zeros_like(own, dtype=distances.dtype)
    return np.hstack([own, indices[:, :-1]]), np.hstack([at_zero, distances[:, :-1]]), None


def _umap(vectors: np.ndarray, components: int, settings: ModelSettings, *, min_dist: float) -> np.ndarray:
    import warnings

    from umap import UMAP

    neighbours = max(2, min(settings.umap_neighbors, len(vectors) - 1))
    exact = len(vectors) >= UMAP_APPROXIMATE_FROM
    # random_state makes UMAP deterministic (and single-threaded); n_jobs=1 says so explicitly.
    model = UMAP(
        n_neighbors=neighbours, n_components=components, min_dist=min_dist, metric="cosine",
        random_state=settings.seed, n_jobs=1, low_memory=True,
        precomputed_knn=_exact_neighbours(vectors, neighbours) if exact else (None, None, None),
    )
    with warnings.catch_warnings():
        # Without an NNDescent index UMAP cannot `transform`; we never ask it to.
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
        return model.fit_transform(vectors).astype(np.float32)


def _pca_map(vectors: np.ndarray, seed: int) -> np.ndarray:
    if len(vectors) < 3:
        return np.zeros((len(vectors), 2), dtype=np.float32)
    from sklearn.decomposition import PCA

    return PCA(n_components=2, svd_solver="full", random_state=seed).fit_transform(vectors).astype(np.float32)


def subtheme_min_size(group_size: int, settings: ModelSettings) -> int:
    return max(settings.min_subtheme_size, int(round(group_size ** 0.5)))


def _subclusters(vectors: np.ndarray, settings: ModelSettings) -> list[np.ndarray]:
    """Dense groups within one theme's responses: UMAP of just these responses, then HDBSCAN.

    Reducing per theme keeps the local structure that a reduction of the whole corpus flattens; responses
    in no dense group stay in the theme itself (they are not outliers).
    """
    size = subtheme_min_size(len(vectors), settings)
    if len(vectors) < 2 * size:
        return []
    from hdbscan import HDBSCAN

    reduced = _umap(vectors, settings.umap_components, settings, min_dist=0.0)
    labels = HDBSCAN(min_cluster_size=size, min_samples=max(2, size // 4)).fit_predict(reduced)
    groups = [np.flatnonzero(labels == label) for label in sorted(set(labels) - {-1})]
    # One group covering (nearly) the whole theme is no subtheme.
    return [] if len(groups) == 1 and len(groups[0]) > 0.9 * len(vectors) else groups


# -------------------------------------------------------------------------------------------- describe


def make_backend(embed: Callable[[list[str]], np.ndarray]):
    """A BERTopic embedding backend over `embed` that remembers word vectors (KeyBERT and MMR both ask)."""
    from bertopic.backend import BaseEmbedder

    class Backend(BaseEmbedder):
        def __init__(self):
            super().__init__()
            self.memory: dict[str, np.ndarray] = {}

        def embed(self, documents, verbose=False):
            todo = sorted({d for d in documents if d not in self.memory})
            if todo:
                self.memory.update(zip(todo, embed(todo)))
            return np.vstack([self.memory[d] for d in documents])

    return Backend()


class Describer:
    """c-TF-IDF over lemmas + KeyBERTInspired + MMR, through BERTopic's manual topic modelling."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray], settings: ModelSettings):
        """`embed` turns words and phrases into unit vectors (the store-cached embedder in production)."""
        self.settings = settings
        self.backend = make_backend(embed)

    def key_phrases(self, documents: Sequence[str], texts: Sequence[str], embeddings: np.ndarray, labels: np.ndarray,
                    n_labels: int) -> list[list[str]]:
        """Key phrases per label 0..n_labels-1 (label -1 = not described): counted on the lemmas of
        `documents`, shown as the words of `texts` (the same responses) residents used for them."""
        from bertopic import BERTopic
        from bertopic.cluster import BaseCluster
        from bertopic.dimensionality import BaseDimensionalityReduction
        from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance
        from sklearn.feature_extraction.text import CountVectorizer

        keep = np.flatnonzero((labels >= 0) & np.array([bool(d.strip()) for d in documents]))
        result: list[list[str]] = [[] for _ in range(n_labels)]
        if len(keep) == 0:
            return result
        docs = [documents[i] for i in keep]
        vectorizer = CountVectorizer(analyzer=phrases, min_df=min_df_for(len(docs)))
        model = BERTopic(
            embedding_model=self.backend,
            umap_model=BaseDimensionalityReduction(),
            hdbscan_model=BaseCluster(),
            vectorizer_model=vectorizer,
            representation_model=[
                KeyBERTInspired(top_n_words=self.settings.key_phrases * 2, nr_candidate_words=40, random_state=self.settings.seed),
                MaximalMarginalRelevance(diversity=0.3, top_n_words=self.settings.key_phrases),
            ],
            top_n_words=self.settings.key_phrases * 2,
        )
        try:
            topics, _ = model.fit_transform(docs, embeddings=embeddings[keep], y=labels[keep])
        except ValueError:
            # Every word was a stop word or below min_df: nothing to describe.
            return result
        # BERTopic renumbers topics by size; map our labels to its ids through the documents.
        for label, topic in dict(zip(labels[keep].tolist(), topics)).items():
            members = [i for i in keep if labels[i] == label]
            forms = surface_forms([documents[i] for i in members], [texts[i] for i in members])
            shown: list[str] = []
            for phrase, score in model.get_topic(topic) or []:
                words = readable(phrase, forms) if score > 0 else None
                if words and words not in shown:
                    shown.append(words)
            result[label] = shown[: self.settings.key_phrases]
        return result


# ------------------------------------------------------------------------------------- quotes, summary


def central_and_diverse(vectors: np.ndarray, centroid: np.ndarray, k: int, diversity: float = 0.6) -> list[int]:
    """Maximal marginal relevance: indices of up to k rows close to the centroid and unlike each other."""
    if len(vectors) == 0:
        return []
    relevance = vectors @ centroid
    chosen = [int(np.argmax(relevance))]
    while len(chosen) < min(k, len(vectors)):
        redundancy = (vectors @ vectors[chosen].T).max(axis=1)
        score = (1 - diversity) * relevance - diversity * redundancy
        score[chosen] = -np.inf
        chosen.append(int(np.argmax(score)))
    return chosen


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def extractive_summary(texts: Sequence[str], max_sentences: int = 3, max_chars: int = 220) -> str:
    """The first sentence of each given (central, diverse) response, shortened where needed."""
    sentences = []
    for text in texts[:max_sentences]:
        first = SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip()
        if len(first) > max_chars:
            first = first[: max_chars - 1].rsplit(" ", 1)[0] + "…"
        if first and first[-1] not in ".!?…":
            first += "."
        if first:
            sentences.append(first)
    return " ".join(sentences)
