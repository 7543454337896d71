"""Staff edits against a re-fit, without a model: a stand-in model result goes through the same write and
replay as `fit` (`_write_fit` + `replay_edits`), so each case runs in milliseconds on both stores."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import delete, select

import topics
from samenspraak.contributions import consultation_by_slug
from samenspraak.store import Response, Theme, ThemeAssignment
from tests.topics.conftest import CONSULTATION, add_responses
from topics.edits import replay_edits
from topics.fitting import _definition, _write_fit
from topics.model import ModelResult, Prediction, Subtopic, anchors_for

KEYS = [anchor.key for anchor in anchors_for(_definition(CONSULTATION))]
GROEN, REGIO = KEYS.index("duurzame-stad"), KEYS.index("regiostad")


def refit(store, ids, classes, subtopics=()):
    """Write a model result (one class per response; subtopics as (class, positions)) and replay the edits."""
    labels = [[(c, 0.9)] for c in classes]
    subtopic_of = np.full(len(ids), -1)
    for j, (_, members) in enumerate(subtopics):
        subtopic_of[members] = j
    result = ModelResult(
        Prediction(np.zeros((len(ids), len(KEYS))), labels, np.zeros(len(ids), bool)),
        [[] for _ in KEYS],
        [Subtopic(c, np.array(members), [f"onderwerp {j}"]) for j, (c, members) in enumerate(subtopics)],
        subtopic_of,
        np.zeros((len(ids), 2)),
        "clustered",
        "prototypes",
    )
    vectors = np.random.default_rng(0).normal(size=(len(ids), 8)).astype(np.float32)
    with store.session() as session:
        consultation_id = consultation_by_slug(session, CONSULTATION).id
        _write_fit(session, consultation_id, ids, ["tekst"] * len(ids), vectors, result, KEYS)
        replay_edits(session, consultation_id)


def themes_of(store, response_id) -> set[int]:
    with store.session() as session:
        return set(session.scalars(select(ThemeAssignment.theme_id).where(ThemeAssignment.response_id == response_id)))


def subthemes(store) -> dict[str, Theme]:
    with store.session() as session:
        return {t.model_label or t.name: t for t in session.scalars(select(Theme).where(Theme.kind == "subtheme"))}


def main_themes(store) -> dict[str, int]:
    with store.session() as session:
        return {t.key: t.id for t in session.scalars(select(Theme).where(Theme.kind == "vision"))}


@pytest.fixture
def responses(store):
    return store, add_responses(store, [{"text": f"Reactie {n} over groen.", "channel": "web"} for n in range(40)])


def test_merged_model_subthemes_stay_merged_after_a_refit(responses):
    store, ids = responses
    groups = [(GROEN, list(range(10))), (GROEN, list(range(10, 20)))]
    refit(store, ids, [GROEN] * 40, groups)
    source, target = subthemes(store)["onderwerp 0"], subthemes(store)["onderwerp 1"]
    topics.merge_themes(source.id, target.id, store=store)
    refit(store, ids, [GROEN] * 40, groups)  # the model still finds the two groups apart
    active = [t for t in subthemes(store).values() if t.active]
    assert [t.id for t in active] == [target.id]
    assert all(target.id in themes_of(store, i) for i in ids[:20])


def test_a_subtheme_merged_into_its_main_theme_does_not_come_back(responses):
    store, ids = responses
    refit(store, ids, [GROEN] * 40, [(GROEN, list(range(10)))])
    topics.merge_themes(subthemes(store)["onderwerp 0"].id, main_themes(store)["duurzame-stad"], store=store)
    refit(store, ids, [GROEN] * 40, [(GROEN, list(range(10)))])
    assert not any(t.active for t in subthemes(store).values())
    assert themes_of(store, ids[0]) == {main_themes(store)["duurzame-stad"]}


def test_a_merge_into_another_main_theme_moves_the_responses_there(responses):
    store, ids = responses
    groups = [(GROEN, list(range(10))), (REGIO, list(range(20, 30)))]
    classes = [GROEN] * 20 + [REGIO] * 20
    refit(store, ids, classes, groups)
    source, target = subthemes(store)["onderwerp 0"], subthemes(store)["onderwerp 1"]
    topics.merge_themes(source.id, target.id, store=store)
    moved = {target.id, main_themes(store)["regiostad"]}
    assert themes_of(store, ids[0]) == moved  # no longer in groen
    refit(store, ids, classes, groups)
    assert themes_of(store, ids[0]) == moved


def test_a_response_taken_back_in_keeps_the_themes_of_the_refit(responses):
    store, ids = responses
    refit(store, ids, [GROEN] * 40)
    topics.exclude_response(ids[0], True, store=store)
    topics.exclude_response(ids[0], False, store=store)
    refit(store, ids, [GROEN] * 40)
    assert themes_of(store, ids[0]) == {main_themes(store)["duurzame-stad"]}
    topics.exclude_response(ids[1], True, store=store)
    refit(store, ids, [GROEN] * 40)
    assert themes_of(store, ids[1]) == set()


def test_a_merge_target_stays_reviewed_after_an_older_unreview(responses):
    store, ids = responses
    groups = [(GROEN, list(range(10))), (GROEN, list(range(10, 20)))]
    refit(store, ids, [GROEN] * 40, groups)
    source, target = subthemes(store)["onderwerp 0"], subthemes(store)["onderwerp 1"]
    topics.mark_reviewed(target.id, False, store=store)
    topics.merge_themes(source.id, target.id, store=store)
    refit(store, ids, [GROEN] * 40, groups)
    assert subthemes(store)["onderwerp 1"].reviewed


def test_a_response_placed_in_an_unreviewed_subtheme_keeps_it_when_the_model_no_longer_finds_it(responses):
    store, ids = responses
    refit(store, ids, [GROEN] * 40, [(GROEN, list(range(10)))])
    found = subthemes(store)["onderwerp 0"]
    topics.move_response(ids[20], None, found.id, store=store)
    refit(store, ids, [GROEN] * 40)
    assert found.id in themes_of(store, ids[20])
    assert subthemes(store)["onderwerp 0"].active


def test_a_response_deleted_during_a_fit_is_skipped_not_a_failed_fit(responses):
    store, ids = responses
    with store.session() as session:
        session.execute(delete(Response).where(Response.id == ids[5]))
    refit(store, ids, [GROEN] * 40)
    assert themes_of(store, ids[6]) == {main_themes(store)["duurzame-stad"]}


def test_unnamed_subthemes_are_numbered_within_their_main_theme(responses):
    store, ids = responses
    labels = [[(GROEN, 0.9)]] * 20 + [[(REGIO, 0.9)]] * 20
    result = ModelResult(
        Prediction(np.zeros((40, len(KEYS))), labels, np.zeros(40, bool)),
        [[] for _ in KEYS],
        [Subtopic(GROEN, np.arange(10)), Subtopic(REGIO, np.arange(20, 30))],
        np.r_[np.zeros(10), np.full(10, -1), np.ones(10), np.full(10, -1)].astype(int),
        np.zeros((40, 2)),
        "clustered",
        "prototypes",
    )
    with store.session() as session:
        consultation_id = consultation_by_slug(session, CONSULTATION).id
        _write_fit(session, consultation_id, ids, ["tekst"] * 40, np.eye(40, 8, dtype=np.float32), result, KEYS)
    names = sorted(t.name for t in subthemes(store).values())
    assert [name.rsplit(": ", 1)[1] for name in names] == ["subthema 1", "subthema 1"]
