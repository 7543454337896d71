"""Fitting and assigning against a real store and the real (rebuilt) embedding model, on a small corpus."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

import topics
import topics.fitting
from samenspraak.store import Response, Theme, ThemeAssignment, TopicRun
from tests.topics import corpus
from tests.topics.conftest import CONSULTATION, add_responses

EXPECTED_THEME = {"fiets": "regiostad", "ov": "regiostad", "groen": "duurzame-stad", "wonen": "palet-van-wijken",
                  "leren": "ontplooiingskansen", "overig": "overig"}


def snapshot(store) -> set[tuple]:
    with store.session() as session:
        rows = session.execute(
            select(ThemeAssignment.response_id, Theme.key, ThemeAssignment.source, ThemeAssignment.confidence,
                   ThemeAssignment.is_quote).join(Theme, Theme.id == ThemeAssignment.theme_id)
        )
        return {tuple(row) for row in rows}


def theme_ids(store) -> dict[str, int]:
    with store.session() as session:
        return {t.key: t.id for t in session.scalars(select(Theme))}


def keys_of(store, response_id) -> set[str]:
    with store.session() as session:
        return set(
            session.scalars(
                select(Theme.key).join(ThemeAssignment, ThemeAssignment.theme_id == Theme.id)
                .where(ThemeAssignment.response_id == response_id)
            )
        )


def main_theme_share(store, ids_by_topic: dict[str, list[int]]) -> float:
    hits = total = 0
    for topic, ids in ids_by_topic.items():
        for response_id in ids:
            total += 1
            hits += EXPECTED_THEME[topic] in keys_of(store, response_id)
    return hits / total


@pytest.fixture
def fitted(warm_store):
    store = warm_store
    rows = corpus.responses()
    ids = add_responses(store, rows)
    by_topic: dict[str, list[int]] = {}
    for row, response_id in zip(rows, ids):
        if row["topic"]:
            by_topic.setdefault(row["topic"], []).append(response_id)
    run_id = topics.fit(CONSULTATION, store=store)
    return store, by_topic, [i for r, i in zip(rows, ids) if r["non_answer"]], run_id


def test_an_empty_consultation_gives_a_clear_message(store):
    with pytest.raises(topics.TopicsError, match="nog geen reacties"):
        topics.fit(CONSULTATION, store=store)
    add_responses(store, [{"text": "weet niet", "channel": "chat", "non_answer": True}])
    with pytest.raises(topics.TopicsError, match="1 reacties zonder inhoud"):
        topics.fit(CONSULTATION, store=store)


def test_small_data_is_assigned_by_similarity_to_the_vision(warm_store):
    store = warm_store
    rows = corpus.responses(per_template=2)  # 28 responses: far below the small-data limit
    ids = add_responses(store, rows)
    run_id = topics.fit(CONSULTATION, store=store)
    with store.session() as session:
        run = session.get(TopicRun, run_id)
        assert (run.status, run.metrics["mode"]) == ("done", "small-data")
        assert session.scalar(select(Theme).where(Theme.kind == "subtheme")) is None
        confidences = session.scalars(select(ThemeAssignment.confidence)).all()
    assert confidences and all(0 < c <= 1 for c in confidences)
    themed = [(r, i) for r, i in zip(rows, ids) if r["topic"]]
    assert all(keys_of(store, i) for _, i in themed)  # no outlier blob: every response has a theme
    by_topic: dict[str, list[int]] = {}
    for row, response_id in themed:
        by_topic.setdefault(row["topic"], []).append(response_id)
    assert main_theme_share(store, by_topic) >= 0.8


def test_non_answers_are_counted_not_themed(fitted):
    store, _, non_answers, run_id = fitted
    assert all(keys_of(store, i) == set() for i in non_answers)
    assert topics.non_answer_count(CONSULTATION, store=store) == len(non_answers)
    with store.session() as session:
        assert session.get(TopicRun, run_id).metrics["non_answers"] == len(non_answers)


def test_a_fit_anchors_responses_in_the_vision_and_finds_subthemes(fitted):
    store, by_topic, _, run_id = fitted
    assert main_theme_share(store, by_topic) >= 0.8
    with store.session() as session:
        run = session.get(TopicRun, run_id)
        assert run.metrics["mode"] == "clustered" and run.metrics["outlier_share"] <= 0.10
        subthemes = session.scalars(select(Theme).where(Theme.kind == "subtheme", Theme.active.is_(True))).all()
    assert subthemes and all(s.parent_id is not None and s.key_phrases for s in subthemes)


def test_two_fits_give_the_same_result(fitted):
    store, *_ = fitted
    first, first_map = snapshot(store), topics.theme_map(CONSULTATION, store=store)
    topics.fit(CONSULTATION, store=store)
    assert snapshot(store) == first
    assert topics.theme_map(CONSULTATION, store=store) == first_map


def test_a_refit_does_not_embed_again(fitted, embedder, monkeypatch):
    store, *_ = fitted

    def refuse(*_args, **_kwargs):
        raise AssertionError("everything should come from the embedding cache")

    monkeypatch.setattr(embedder, "encode", refuse)
    topics.fit(CONSULTATION, store=store)


def test_staff_edits_survive_a_refit(fitted):
    store, by_topic, _, _ = fitted
    themes = theme_ids(store)
    regio, groen = themes["regiostad"], themes["duurzame-stad"]
    topics.rename_theme(regio, "Bereikbaarheid", store=store)
    fietspaden = topics.split_theme(regio, by_topic["fiets"][:3], "Fietspaden", store=store)
    snelwegen = topics.split_theme(regio, by_topic["fiets"][3:5], "Snelle fietsroutes", store=store)
    topics.merge_themes(snelwegen, fietspaden, store=store)
    moved = by_topic["ov"][0]
    topics.move_response(moved, regio, themes["mijn-thuis"], store=store)
    excluded = by_topic["groen"][0]
    topics.exclude_response(excluded, store=store)
    quoted = by_topic["groen"][1]
    topics.mark_quote(quoted, groen, store=store)
    topics.set_follow_up(groen, "We planten meer bomen.", store=store)
    staff_made = {i: keys_of(store, i) for i in by_topic["fiets"][:5] + [moved]}

    topics.fit(CONSULTATION, store=store)

    with store.session() as session:
        assert session.get(Theme, regio).name == "Bereikbaarheid"
        assert session.get(Theme, groen).follow_up == "We planten meer bomen."
        merged = session.get(Theme, snelwegen)
        assert (merged.active, merged.merged_into_id) == (False, fietspaden)
        assert session.get(Response, excluded).excluded
        assert session.scalar(
            select(ThemeAssignment.is_quote).where(ThemeAssignment.response_id == quoted, ThemeAssignment.theme_id == groen)
        )
    assert {i: keys_of(store, i) for i in staff_made} == staff_made
    assert keys_of(store, moved) == {"mijn-thuis"}
    assert keys_of(store, excluded) == set()
    assert all(fietspaden in theme_ids_of(store, i) for i in by_topic["fiets"][:5])


def theme_ids_of(store, response_id) -> set[int]:
    with store.session() as session:
        return set(session.scalars(select(ThemeAssignment.theme_id).where(ThemeAssignment.response_id == response_id)))


def test_new_responses_land_in_reviewed_themes_without_a_refit(fitted):
    store, by_topic, _, _ = fitted
    regio = theme_ids(store)["regiostad"]
    fietsroutes = topics.split_theme(regio, by_topic["fiets"], "Fietsroutes", store=store)
    new = add_responses(store, [{"text": t, "channel": "web"} for t in corpus.NEW_CYCLING])
    assert topics.assign_new(CONSULTATION, store=store) == len(new)
    assert topics.assign_new(CONSULTATION, store=store) == 0
    for response_id in new:
        assert {regio, fietsroutes} <= theme_ids_of(store, response_id)
    with store.session() as session:
        kinds = Counter(session.scalars(select(TopicRun.kind).where(TopicRun.status == "done")))
    assert kinds == {"fit": 1, "assign": 1}
    placed = {row[0] for row in topics.theme_map(CONSULTATION, store=store)}
    assert set(new) <= placed


def test_an_interrupted_fit_leaves_the_previous_result(fitted, monkeypatch):
    store, *_ = fitted
    before = snapshot(store)

    def interrupt(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(topics.fitting, "replay_edits", interrupt)  # inside the writing transaction
    with pytest.raises(KeyboardInterrupt):
        topics.fit(CONSULTATION, store=store)
    assert snapshot(store) == before
    with store.session() as session:
        last = session.scalars(select(TopicRun).order_by(TopicRun.id.desc())).first()
        assert last.status == "interrupted"


def test_the_overview_lists_vision_themes_then_overig(fitted):
    store, *_ = fitted
    overview = topics.theme_overview(CONSULTATION, store=store)
    assert overview[-1].key == "overig"
    assert [t.key for t in overview[:-1]] == ["mijn-thuis", "duurzame-stad", "palet-van-wijken", "ontplooiingskansen",
                                               "toegepaste-innovatie", "regiostad"]
    for theme in overview:
        assert sum(theme.counts_by_channel.values()) == theme.count == sum(theme.counts_by_date.values())
        assert len(theme.quotes) <= 5
        members = {r.response_id for r in topics.theme_responses(theme.theme_id, store=store)}
        assert {q.response_id for q in theme.quotes} <= members and len(members) == theme.count
        for sub in theme.subthemes:
            assert sub.parent_id == theme.theme_id and sub.count <= theme.count
    regio = next(t for t in overview if t.key == "regiostad")
    assert regio.count > 0 and regio.summary and regio.key_phrases
    straat = topics.theme_responses(regio.theme_id, channel="straat", store=store)
    assert straat and all(r.channel == "straat" for r in straat)


def main_theme(store, response_id) -> str:
    with store.session() as session:
        return session.execute(
            select(Theme.key).join(ThemeAssignment, ThemeAssignment.theme_id == Theme.id)
            .where(ThemeAssignment.response_id == response_id).order_by(ThemeAssignment.confidence.desc())
        ).scalars().first()


def test_the_theme_a_resident_picked_is_a_prior_not_a_verdict(warm_store):
    store = warm_store
    vague = "Daar zou de gemeente meer aan moeten doen."  # no theme stands out (none reaches 0.25)
    clear = "De bus naar Den Haag rijdt 's avonds veel te weinig."
    ids = add_responses(store, [
        {"text": vague, "channel": "chat", "theme_hint": "duurzame-stad"},
        {"text": vague, "channel": "chat", "theme_hint": "regiostad"},
        {"text": clear, "channel": "chat", "theme_hint": "duurzame-stad"},
    ])
    topics.fit(CONSULTATION, store=store)
    assert [main_theme(store, i) for i in ids] == ["duurzame-stad", "regiostad", "regiostad"]
    assert "duurzame-stad" not in keys_of(store, ids[2])
