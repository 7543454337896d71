"""The theme model's pieces on hand-made vectors: no embedding model needed."""

from __future__ import annotations

import numpy as np

from topics.model import (
    OTHER_KEY,
    Anchor,
    ModelSettings,
    ThemeClassifier,
    _exact_neighbours,
    central_and_diverse,
    document_words,
    extractive_summary,
    min_df_for,
    phrases,
    readable,
    surface_forms,
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


def test_a_response_placed_in_two_themes_counts_once_towards_the_minimum():
    rng = np.random.default_rng(0)
    examples = np.vstack([unit(*rng.normal(size=4)) for _ in range(20)])
    base = classifier(min_staff_examples=30)
    # 20 responses, each placed in two themes: 40 rows, still too few responses to train on.
    assert base.learn(np.vstack([examples, examples]), [0] * 20 + [1] * 20) is base


def test_placed_responses_outweigh_the_vision_phrases_they_contradict():
    # The vision files debts under wonen (20 phrases on the fourth axis); staff place debt answers in groen.
    debts = unit(0, 0.3, 0, 1)
    anchors = [Anchor("groen", (("g",),)), Anchor("wonen", (tuple(f"w{i}" for i in range(21)),)), Anchor(OTHER_KEY, (("o",),))]
    vectors = [unit(1, 0, 0, 0)[None], np.vstack([unit(0, 1, 0, 0)] + [debts] * 20), unit(0, 0, 1, 0)[None]]
    rng = np.random.default_rng(0)

    def near(vector, count):
        return [unit(*(vector + rng.normal(scale=0.05, size=4))) for _ in range(count)]

    placed = np.vstack(near(unit(1, 0, 0, 0), 20) + near(debts, 10) + near(unit(0, 1, 0, 0), 20))
    classes = [0] * 30 + [1] * 20
    for anchor_weight, expected in ((ModelSettings().anchor_weight, 0), (1.0, 1)):
        trained = ThemeClassifier(anchors, vectors, ModelSettings(anchor_weight=anchor_weight)).learn(placed, classes)
        assert trained.predict(debts[None]).labels[0][0][0] == expected


def test_a_hint_decides_an_ambiguous_response():
    between = unit(1, 1.05, 0, 0)[None]  # as close to groen as to wonen
    for hint, expected in (("groen", 0), ("wonen", 1)):
        [labels] = classifier().predict(between, [hint]).labels
        assert labels[0][0] == expected


def test_a_hint_does_not_override_a_clear_answer():
    clearly_wonen = np.vstack([unit(1, 1.2, 0, 0), unit(1, 1.2, 0, 0)])  # cosine lead of 0.09 over groen
    prediction = classifier().predict(clearly_wonen, ["groen", None])
    assert [{c for c, _ in labels} for labels in prediction.labels] == [{1}, {1}]
    assert prediction.labels[0][0][1] < prediction.labels[1][0][1]  # the hint does cost some confidence
    assert classifier().predict(unit(0, 0, 1, 0)[None], ["wonen"]).labels[0][0][0] == 2  # off-topic stays overig


def test_adapting_moves_theme_prototypes_towards_their_responses_only_with_enough_data():
    # Residents talk about groen in words the anchors lack (the third axis); 'overig' owns that axis too.
    responses = np.vstack([unit(1, 0, 0.9, 0)] * 6 + [unit(0, 1, 0, 0)] * 6)
    probe = unit(0.8, 0, 1, 0)[None]
    base = classifier(small_data=10, adaptation=0.3)
    assert base.predict(probe).labels[0][0][0] == 2
    adapted = base.adapt(responses)
    assert adapted.predict(probe).labels[0][0][0] == 0
    assert np.array_equal(adapted.prototypes[2], base.prototypes[2])  # 'overig' has no single centre to move
    assert base.adapt(responses[:5]) is base  # below small_data: nothing to learn from
    fixed = classifier(small_data=10, adaptation=1.0)
    assert fixed.adapt(responses) is fixed


def test_key_phrases_show_the_words_residents_wrote():
    texts = ["De bomen worden gekapt.", "Te veel bomen gekapt", "Gezinnen met kinderen, bomen", "Plekken voor jongeren",
             "In Buytenwegh zodat ouderen blijven", "Naar Den Haag", "Ik fiets naar Den Haag. Haag is ver"]
    lemmas = [["boom", "kappen"], ["veel", "boom", "kappen"], ["gezinn", "kind", "boom"], ["plekk", "jong"],
              ["buytenwegh", "oud", "blijven"], ["haag"], ["fietsen", "haag", "haag", "ver"]]
    forms = surface_forms([document_words(l, t) for l, t in zip(lemmas, texts)], texts)
    assert readable("boom", forms) == "bomen"
    assert readable("gezinn", forms) == "gezinnen"  # the capital only marked the start of the response
    assert readable("plekk jong", forms) == "plekken voor jongeren"
    assert readable("haag", forms) == "Haag"  # a name keeps its capital
    assert readable("boom kappen", forms) == "bomen gekapt"  # "worden" does not join a phrase
    assert readable("kind boom", forms) is None  # a comma lies between
    assert readable("buytenwegh oud", forms) is None  # so does a conjunction
    assert readable("fiets", forms) is None
    cut = ["Veilige fietspaden", "veilige fietspaden naar school"]
    forms = surface_forms([document_words(["veilig", "fietspad"], cut[0]), "veilig fietspad school"], cut)
    assert readable("veilig fietspad", forms) == "veilige fietspaden"
    assert readable("veilig", forms) is None  # only ever an adjective cut off from its noun


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


def test_exact_neighbours_are_listed_as_umap_lists_its_own():
    vectors = np.random.default_rng(3).normal(size=(40, 8)).astype(np.float32)
    indices, distances, index = _exact_neighbours(vectors, 5)
    unit_rows = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cosine_distance = 1 - unit_rows @ unit_rows.T
    np.fill_diagonal(cosine_distance, np.inf)
    assert index is None and indices.shape == distances.shape == (40, 5)
    assert (indices[:, 0] == np.arange(40)).all() and (distances[:, 0] == 0).all()
    assert (indices[:, 1:] == np.argsort(cosine_distance, axis=1)[:, :4]).all()
    assert np.allclose(distances[:, 1:], np.sort(cosine_distance, axis=1)[:, :4], atol=1e-5)
