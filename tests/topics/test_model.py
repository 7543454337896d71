"""The theme model's pieces on hand-made vectors: no embedding model needed."""

from __future__ import annotations

import numpy as np

from topics.model import (
    OTHER_KEY,
    Anchor,
    ModelSettings,
    ThemeClassifier,
    central_and_diverse,
    document_words,
    extractive_summary,
    min_df_for,
    phrases,
)


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


ANCHORS = [Anchor("groen", (("a", "b"),)), Anchor("wonen", (("c",),)), Anchor(OTHER_KEY, (("d",), ("e",)))]
VECTORS = [
    np.vstack([unit(1, 0, 0, 0), unit(1, 0.1, 0, 0)]),
    np.vstack([unit(0, 1, 0, 0)]),
    np.vstack([unit(0, 0, 1, 0), unit(0, 0, 0, 1)]),  # two kinds of off-topic: two prototypes
]


def classifier(**changes) -> ThemeClassifier:
    return ThemeClassifier(ANCHORS, VECTORS, ModelSettings(**changes))


def test_a_clear_response_gets_one_theme_with_high_confidence():
    [labels] = classifier().predict(unit(1, 0.05, 0, 0)[None]).labels
    assert len(labels) == 1 and labels[0][0] == 0 and labels[0][1] > 0.9


def test_a_response_between_two_themes_gets_both():
    [labels] = classifier().predict(unit(1, 1.05, 0, 0)[None]).labels
    assert {c for c, _ in labels} == {0, 1}


def test_off_topic_goes_to_overig_through_either_prototype():
    prediction = classifier().predict(np.vstack([unit(0, 0, 1, 0), unit(0, 0, 0, 1)]))
    assert [labels[0][0] for labels in prediction.labels] == [2, 2]
    assert not prediction.outlier.any()


def test_an_unclear_response_is_an_outlier_in_overig_not_forced_into_a_theme():
    # Equally far from everything: no class reaches the confidence threshold.
    prediction = classifier(min_confidence=0.5).predict(unit(0.95125, 1, 1, 1)[None])
    assert prediction.outlier.tolist() == [True]
    assert prediction.labels[0][0][0] == 2


def test_confirmed_responses_train_a_classifier_only_when_there_are_enough():
    rng = np.random.default_rng(0)
    examples = np.vstack([unit(*(rng.normal(size=4) + [0, 0, 3, 3])) for _ in range(40)])
    base = classifier(min_staff_examples=30)
    assert base.learn(examples[:10], [1] * 10) is base
    trained = base.learn(examples, [1] * 20 + [0] * 20)
    assert trained.mode == "trained" and base.mode == "prototypes"
    assert trained.predict(examples[:1]).probabilities.shape == (1, 3)


def test_central_and_diverse_starts_central_and_skips_near_duplicates():
    vectors = np.vstack([unit(1, 0.1, 0), unit(1, 0.1, 0.001), unit(0.6, 0.8, 0), unit(0.7, 0, 0.7)])
    chosen = central_and_diverse(vectors, unit(1, 0, 0), 3)
    assert chosen[0] in (0, 1) and {0, 1} - set(chosen)  # the twin of the first pick is left out


def test_phrases_pair_only_real_neighbours():
    document = document_words(None, "Bijhoudt de website, publiceer groen groen!")
    grams = phrases(document)
    assert "bijhoudt publiceer" not in grams and "groen groen" not in grams
    assert {"website", "groen", "publiceer groen"} <= set(grams)


def test_document_words_prefers_lemmas():
    assert document_words(["boom", "kappen"], "De bomen worden gekapt") == "boom kappen"


def test_min_df_grows_with_the_corpus():
    sizes = [10, 300, 1500, 5000, 20000]
    assert [min_df_for(n) for n in sizes] == sorted(min_df_for(n) for n in sizes)
    assert min_df_for(50) == 1


def test_extractive_summary_takes_first_sentences():
    summary = extractive_summary(["Meer bomen. Ook bankjes.", "Betaalbare huizen voor jongeren", "x" * 300])
    assert summary.startswith("Meer bomen. Betaalbare huizen voor jongeren.")
    assert summary.endswith("…") and len(summary) < 300
