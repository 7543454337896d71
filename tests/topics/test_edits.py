"""Staff edits without a model: every edit is logged, impossible edits are refused in Dutch."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import topics
from samenspraak.store import AuditLog, Theme, ThemeAssignment
from tests.topics.conftest import add_responses
from topics.edits import replay_edits


@pytest.fixture
def setup(store):
    ids = add_responses(store, [{"text": f"Reactie nummer {n} over groen.", "channel": "web"} for n in range(4)])
    with store.session() as session:
        themes = {t.key: t.id for t in session.scalars(select(Theme))}
    for response_id in ids:
        topics.move_response(response_id, None, themes["duurzame-stad"], store=store)
    return store, ids, themes


def themes_of(store, response_id) -> set[int]:
    with store.session() as session:
        return set(session.scalars(select(ThemeAssignment.theme_id).where(ThemeAssignment.response_id == response_id)))


def actions(store) -> list[str]:
    with store.session() as session:
        return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_every_edit_writes_one_audit_row(setup):
    store, ids, themes = setup
    groen = themes["duurzame-stad"]
    topics.rename_theme(groen, "Groen en duurzaam", store=store)
    new = topics.split_theme(groen, ids[:2], "Bomen", store=store)
    topics.move_response(ids[2], groen, themes["regiostad"], store=store)
    topics.mark_quote(ids[0], new, store=store)
    topics.set_follow_up(new, "We planten bomen.", store=store)
    topics.exclude_response(ids[3], store=store)
    assert actions(store)[-6:] == [
        "theme.rename", "theme.split", "response.move", "response.quote", "theme.follow_up", "response.exclude",
    ]
    assert themes_of(store, ids[0]) == {groen, new}  # a subtheme's response is also in its parent
    assert themes_of(store, ids[2]) == {themes["regiostad"]}
    assert themes_of(store, ids[3]) == set()


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t, ids, s: topics.merge_themes(t["duurzame-stad"], t["duurzame-stad"], store=s), "met zichzelf"),
        (lambda t, ids, s: topics.merge_themes(t["duurzame-stad"], t["regiostad"], store=s), "hoofdthema"),
        (lambda t, ids, s: topics.rename_theme(999_999, "X", store=s), "bestaat niet"),
        (lambda t, ids, s: topics.rename_theme(t["regiostad"], "   ", store=s), "naam"),
        (lambda t, ids, s: topics.move_response(ids[0], t["regiostad"], t["mijn-thuis"], store=s), "hoort niet bij"),
        (lambda t, ids, s: topics.move_response(999_999, None, t["regiostad"], store=s), "bestaat niet"),
        (lambda t, ids, s: topics.split_theme(t["duurzame-stad"], [], "Leeg", store=s), "minstens één reactie"),
        (lambda t, ids, s: topics.mark_quote(ids[0], t["regiostad"], store=s), "hoort niet bij"),
        (lambda t, ids, s: topics.set_follow_up(t["regiostad"], "x", account_id=424242, store=s), "Account"),
    ],
)
def test_impossible_edits_are_refused_and_not_logged(setup, edit, message):
    store, ids, themes = setup
    before = actions(store)
    with pytest.raises(topics.EditError, match=message):
        edit(themes, ids, store)
    assert actions(store) == before


def test_merge_moves_responses_and_replays_idempotently(setup):
    store, ids, themes = setup
    groen = themes["duurzame-stad"]
    bomen = topics.split_theme(groen, ids[:2], "Bomen", store=store)
    parken = topics.split_theme(groen, [ids[2]], "Parken", store=store)
    topics.merge_themes(parken, bomen, store=store)
    with store.session() as session:
        merged = session.get(Theme, parken)
        assert (merged.active, merged.merged_into_id) == (False, bomen)
    assert themes_of(store, ids[2]) == {groen, bomen}
    with store.session() as session:
        consultation_id = session.get(Theme, groen).consultation_id
        replay_edits(session, consultation_id)
        replay_edits(session, consultation_id)
    assert [themes_of(store, i) for i in ids[:3]] == [{groen, bomen}] * 3
