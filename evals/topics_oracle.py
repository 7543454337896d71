"""How hard is the resident set, apart from the vision's anchors? Supervised ceilings from the gold labels alone.

- e5 + logistic regression, 5-fold: what ~267 labelled answers teach the same embeddings (no anchors).
- word and character TF-IDF + logistic regression, 5-fold: the same without e5 (a lexical view).
- leave-one-out k-NN on e5 cosine: how often an answer's nearest neighbours carry its main label.
Non-answers (`geen`) are left out; scores are top-1 accuracy on the main label and micro-F1 of the top-1 label
against all gold labels (the eval's F1, bootstrap 95% CI). Uses the embedding cache of evals/topics_eval.py.
Run: `python -m evals.topics_oracle`.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_union

from evals.topics_eval import NON_ANSWER, SEED, bootstrap_ci, micro_f1, resident_dataset
from samenspraak.config import get_settings
from samenspraak.store import Store
from topics.embeddings import Embedder, cached_embeddings
from topics.model import ModelSettings

FOLDS = 5


def cross_validated(features, labels: np.ndarray, order: np.ndarray, c: float) -> np.ndarray:
    """Top-1 class per row; `features(train, test)` returns the two feature matrices of a fold."""
    predicted = np.zeros(len(labels), dtype=int)
    for fold in range(FOLDS):
        test = order[fold::FOLDS]
        train = np.setdiff1d(order, test)
        train_x, test_x = features(train, test)
        predicted[test] = LogisticRegression(C=c, max_iter=5000).fit(train_x, labels[train]).predict(test_x)
    return predicted


def main() -> int:
    dataset = resident_dataset()
    rows = [i for i, gold in enumerate(dataset.gold) if NON_ANSWER not in gold]
    texts = [dataset.texts[i] for i in rows]
    gold = [dataset.gold[i] for i in rows]
    keys = sorted({dataset.first[i] for i in rows})
    labels = np.array([keys.index(dataset.first[i]) for i in rows])
    store = Store(f"sqlite:///{get_settings().var_dir / 'evals' / 'embeddings.db'}")
    store.migrate()
    vectors = cached_embeddings(store, texts, Embedder())
    order = np.random.default_rng(SEED).permutation(len(rows))

    def lexical(train, test):
        vectorizer = make_union(TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2),
                                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True))
        return vectorizer.fit_transform([texts[i] for i in train]), vectorizer.transform([texts[i] for i in test])

    c = ModelSettings().logistic_c
    runs = {
        f"e5 + logistic regression (C={c:g}), {FOLDS}-fold":
            cross_validated(lambda train, test: (vectors[train], vectors[test]), labels, order, c),
        f"TF-IDF (char 3-5 + word 1-2) + logistic regression (C=10), {FOLDS}-fold":
            cross_validated(lexical, labels, order, 10.0),
    }
    print(f"{len(rows)} antwoorden (zonder 'geen'), {len(keys)} klassen")
    for name, predicted in runs.items():
        top1 = [frozenset({keys[p]}) for p in predicted]
        low, high = bootstrap_ci(top1, gold)
        accuracy = np.mean(predicted == labels)
        print(f"{name}: top-1 {accuracy:.3f}, micro-F1 {micro_f1(top1, gold):.3f} ({low:.3f}–{high:.3f})")
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    for k in (1, 5, 10):
        neighbours = np.argsort(-similarity, axis=1)[:, :k]
        votes = np.array([np.bincount(labels[n], minlength=len(keys)).argmax() for n in neighbours])
        print(f"leave-one-out {k}-NN (e5 cosine): top-1 {np.mean(votes == labels):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
