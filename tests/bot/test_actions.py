"""Actions around the form: what is stored, with which provenance, and what is never stored or is deleted."""

from __future__ import annotations

import asyncio
import time

import pytest
from rasa_sdk.executor import ActionExecutor
from sqlalchemy import select

from bot.actions import flow
from bot.actions.common import SKIPPED
from bot.actions.flow import (
    ActionContinue,
    ActionDeleteContributions,
    ActionFinish,
    ActionGoBack,
    ActionNewTheme,
    ActionRestart,
    ActionSaveContribution,
    ActionSummarise,
    ActionReferToService,
    ActionTakeOpinion,
    contribution_text,
)
from samenspraak import config
from samenspraak.consultations import load_places
from samenspraak.contributions import contributions_for_code, new_personal_code
from samenspraak.store import Response
from tests.bot.conftest import responses, slot_events
from tests.conftest import fresh_analysis, run_coroutine


@pytest.fixture
def nlp_ready():
    """Redaction is done by nlp/ with its spaCy pipeline; without the pipeline these tests cannot say anything."""
    import nlp

    try:
        nlp.load_pipeline()
    except nlp.PipelineNotFound as exc:
        pytest.skip(f"nlp pipeline not available: {exc}")


def confirmed_slots(code: str, **overrides) -> dict:
    slots = {
        "consent": True,
        "theme": "duurzame-stad",
        "opinion": "Meer moestuinen in het park. Mail mij op jan.jansen@example.nl of bel 06-12345678.",
        "reason": "Dan leren kinderen waar groente vandaan komt.",
        "own_idea": SKIPPED,
        "wijk": "meerzigt",
        "age_group": "35-54",
        "personal_code": code,
        "confirming": "contribution",
    }
    return slots | overrides


def fresh_batch(texts: list[str]) -> list[dict]:
    return [fresh_analysis(text) for text in texts]


def stored_rows(store) -> list[Response]:
    with store.session() as session:
        return list(session.scalars(select(Response)))


def test_confirmed_contribution_is_stored_redacted_with_provenance(bot_store, nlp_ready, tracker, dispatcher, domain):
    code = new_personal_code()
    confirmed = tracker(confirmed_slots(code), "affirm", "ja")
    events = run_coroutine(ActionSaveContribution().run(dispatcher, confirmed, domain))

    [row] = stored_rows(bot_store)
    assert row.channel == "chat"
    assert row.chat_session_id == "gesprek-1"
    assert row.consent is True
    assert row.theme_hint == "duurzame-stad"
    assert row.wijk == "Meerzicht"  # typed variant stored as the official name
    assert row.age_group == "35-54"
    assert "jan.jansen@example.nl" not in row.text_redacted
    assert "06-12345678" not in row.text_redacted
    assert "Waarom: Dan leren kinderen" in row.text_redacted
    assert "Zelf doen" not in row.text_redacted  # a skipped question is left out
    assert row.text_original is None  # default policy: keep only the redacted text
    assert [r.id for r in contributions_for_code(code, store=bot_store)] == [row.id]
    slots = slot_events(events)
    assert slots["has_saved"] is True and slots["confirming"] == "another_theme"
    assert slots["opinion"] is None and slots["theme"] is None  # ready for another theme
    assert responses(dispatcher)[:2] == ["utter_saved", "utter_choose_another_theme"]
    assert dispatcher.messages[0]["code"] == code


def test_original_text_kept_when_policy_says_so(bot_store, tracker, dispatcher, domain, monkeypatch):
    monkeypatch.setenv("SAMENSPRAAK_KEEP_ORIGINAL", "true")
    config.get_settings.cache_clear()
    monkeypatch.setattr("samenspraak.contributions.analyse_texts", fresh_batch)
    slots = confirmed_slots(new_personal_code())
    run_coroutine(ActionSaveContribution().run(dispatcher, tracker(slots, "affirm", "ja"), domain))

    [row] = stored_rows(bot_store)
    assert row.text_original == contribution_text(slots["opinion"], slots["reason"], slots["own_idea"])


def test_confirming_twice_stores_once(bot_store, tracker, dispatcher, domain, monkeypatch):
    monkeypatch.setattr("samenspraak.contributions.analyse_texts", fresh_batch)
    slots = confirmed_slots(new_personal_code())
    run_coroutine(ActionSaveContribution().run(dispatcher, tracker(slots, "affirm", "ja"), domain))
    run_coroutine(ActionSaveContribution().run(dispatcher, tracker(slots, "affirm", "ja"), domain))

    assert len(stored_rows(bot_store)) == 1


def test_store_failure_keeps_the_answer_for_another_try(tracker, dispatcher, domain, monkeypatch):
    def broken(**_):
        raise RuntimeError("database is down")

    monkeypatch.setattr(flow, "save_contribution", broken)
    slots = confirmed_slots("ABCDE-FGHJK")
    events = run_coroutine(ActionSaveContribution().run(dispatcher, tracker(slots, "affirm", "ja"), domain))

    assert responses(dispatcher) == ["utter_save_failed"]
    changed = slot_events(events)
    assert changed["confirming"] == "contribution"  # "ja" tries again
    assert "opinion" not in changed and "has_saved" not in changed


def test_a_slow_save_does_not_hold_up_another_conversation(tracker, domain, monkeypatch):
    """rasa-sdk runs every action on one event loop: while one resident's contribution is redacted and
    written, another resident's action must still be answered."""
    monkeypatch.setattr(flow, "save_contribution", lambda **_: time.sleep(1.0))
    executor = ActionExecutor()
    executor.register_action(ActionSaveContribution())
    executor.register_action(ActionContinue())

    def action_call(action: str, sender: str, slots: dict) -> dict:
        state = tracker(slots, sender_id=sender).current_state()
        return {"next_action": action, "sender_id": sender, "tracker": state, "domain": domain}

    async def both() -> list[str]:
        finished = []

        async def run(call: dict) -> None:
            await executor.run(call)
            finished.append(call["next_action"])

        await asyncio.gather(
            run(action_call("action_save_contribution", "gesprek-1", confirmed_slots("ABCDE-FGHJK"))),
            run(action_call("action_continue", "gesprek-2", {})),
        )
        return finished

    assert run_coroutine(both()) == ["action_continue", "action_save_contribution"]


def test_invalid_contribution_gets_the_stores_dutch_message(bot_store, tracker, dispatcher, domain, monkeypatch):
    monkeypatch.setattr("samenspraak.contributions.analyse_texts", fresh_batch)
    slots = confirmed_slots(new_personal_code(), age_group="twaalf")
    events = run_coroutine(ActionSaveContribution().run(dispatcher, tracker(slots, "affirm", "ja"), domain))

    assert "leeftijdsgroep" in responses(dispatcher)[0]
    assert slot_events(events)["confirming"] == "contribution"
    assert stored_rows(bot_store) == []


def test_delete_removes_what_was_saved_and_forgets_the_conversation(bot_store, tracker, dispatcher, domain, monkeypatch):
    monkeypatch.setattr("samenspraak.contributions.analyse_texts", fresh_batch)
    forgotten = []
    monkeypatch.setattr(flow, "forget_in_background", lambda sender, action, since: forgotten.append((sender, action)))
    code = new_personal_code()
    run_coroutine(ActionSaveContribution().run(dispatcher, tracker(confirmed_slots(code), "affirm", "ja"), domain))
    assert len(stored_rows(bot_store)) == 1

    slots = {"has_saved": True, "personal_code": code, "confirming": "delete"}
    events = run_coroutine(ActionDeleteContributions().run(dispatcher, tracker(slots, "affirm", "ja"), domain))

    assert stored_rows(bot_store) == []
    assert forgotten == [("gesprek-1", "action_delete_contributions")]
    changed = slot_events(events)
    assert changed["has_saved"] is False and changed["personal_code"] is None
    assert responses(dispatcher)[-1] == "utter_deleted"


def test_delete_with_nothing_saved_says_so(bot_store, tracker, dispatcher, domain):
    run_coroutine(ActionDeleteContributions().run(dispatcher, tracker({"confirming": "delete"}, "affirm", "ja"), domain))
    assert responses(dispatcher) == ["utter_nothing_saved"]


def test_insult_typed_as_opinion_is_not_kept(tracker, dispatcher, domain):
    events = ActionTakeOpinion().run(dispatcher, tracker({}, "give_opinion", "die wethouder is een idioot"), domain)

    assert "opinion" not in slot_events(events)
    assert responses(dispatcher) == ["utter_insult_not_stored"]


def test_opinion_typed_first_is_kept_with_its_theme(tracker, dispatcher, domain):
    entities = [{"entity": "theme", "value": "duurzame-stad"}]
    message = "er is veel te weinig groen in mijn straat"
    events = ActionTakeOpinion().run(dispatcher, tracker({}, "give_opinion", message, entities), domain)

    assert slot_events(events) == {
        "theme": "duurzame-stad",
        "opinion": message,
        "reason": None,
        "own_idea": None,
        "confirming": None,
    }


def test_opinion_typed_at_the_summary_is_added_to_the_waiting_answer(tracker, dispatcher, domain):
    slots = {"confirming": "contribution", "theme": "regiostad", "opinion": "Meer bussen.", "reason": "Te druk."}
    events = ActionTakeOpinion().run(dispatcher, tracker(slots, "give_opinion", "En ook meer bankjes graag."), domain)

    assert slot_events(events) == {"opinion": "Meer bussen. En ook meer bankjes graag.", "confirming": None}
    assert responses(dispatcher) == ["utter_added_to_answer"]


def test_a_service_request_is_sent_to_the_municipalitys_own_channels(tracker, dispatcher, domain):
    ActionReferToService().run(dispatcher, tracker({}, "service_request", "de lantaarnpaal is kapot"), domain)

    [message] = dispatcher.messages
    assert message["response"] == "utter_service"
    assert message["service_contact"] == load_places().service_contact
    assert "14 079" in message["service_contact"]  # Zoetermeer's number, from data/places/zoetermeer.yaml


def test_summary_without_consent_keeps_nothing(tracker, dispatcher, domain):
    slots = {"consent": False, "opinion": "meer bomen"}
    events = ActionSummarise().run(dispatcher, tracker(slots, "deny", "nee"), domain)

    assert responses(dispatcher) == ["utter_no_consent"]
    changed = slot_events(events)
    assert changed["consent"] is None and changed["opinion"] is None


def test_summary_of_a_skipped_opinion_offers_another_theme(tracker, dispatcher, domain):
    slots = {"consent": True, "theme": "regiostad", "opinion": SKIPPED, "reason": SKIPPED, "own_idea": SKIPPED}
    events = ActionSummarise().run(dispatcher, tracker(slots, "dont_know", "geen mening"), domain)

    assert responses(dispatcher) == ["utter_nothing_to_save", "utter_choose_another_theme"]
    assert slot_events(events)["confirming"] == "another_theme"


def test_summary_shows_the_answers_and_prepares_a_code(tracker, dispatcher, domain):
    slots = {"consent": True, "theme": "regiostad", "opinion": "Sneller naar Leiden", "reason": SKIPPED, "own_idea": "fietsen", "wijk": SKIPPED}
    events = ActionSummarise().run(dispatcher, tracker(slots, "dont_know", "weet niet"), domain)

    [message] = dispatcher.messages
    assert message["response"] == "utter_summary"
    assert message["theme_name"] == "Zoetermeer regiostad"
    assert message["reason"] == "niet ingevuld" and message["age_group"] == "niet ingevuld"
    changed = slot_events(events)
    assert changed["confirming"] == "contribution"
    assert len(changed["personal_code"]) == 11


def test_finish_gives_the_code_only_when_something_was_saved(tracker, dispatcher, domain):
    ActionFinish().run(dispatcher, tracker({"has_saved": True, "personal_code": "ABCDE-FGHJK"}, "deny", "nee"), domain)
    assert dispatcher.messages[0]["code"] == "ABCDE-FGHJK"
    assert responses(dispatcher) == ["utter_personal_code", "utter_goodbye"]

    dispatcher.messages.clear()
    ActionFinish().run(dispatcher, tracker({"personal_code": "ABCDE-FGHJK"}, "deny", "nee"), domain)
    assert responses(dispatcher) == ["utter_goodbye"]


def test_restart_keeps_consent_profile_and_code(tracker, dispatcher, domain):
    slots = {"consent": True, "theme": "regiostad", "opinion": "x", "wijk": "Dorp", "personal_code": "ABCDE-FGHJK", "has_saved": True}
    changed = slot_events(ActionRestart().run(dispatcher, tracker(slots, "restart", "opnieuw"), domain))

    assert changed["theme"] is None and changed["opinion"] is None
    assert not {"consent", "wijk", "personal_code", "has_saved"} & changed.keys()


def test_new_theme_from_a_button_or_from_text(tracker, dispatcher, domain):
    button = [{"entity": "theme", "value": "mijn-thuis"}]
    assert slot_events(ActionNewTheme().run(dispatcher, tracker({}, "choose_theme", "", button), domain))["theme"] == "mijn-thuis"
    other_consultation = [{"entity": "theme", "value": "innovatie"}]
    typed = ActionNewTheme().run(dispatcher, tracker({}, "choose_theme", "", other_consultation), domain)
    assert slot_events(typed)["theme"] == "toegepaste-innovatie"


@pytest.mark.parametrize(
    ("requested", "cleared"),
    [("reason", "opinion"), ("opinion", "theme"), ("age_group", "wijk"), (None, "own_idea")],
)
def test_go_back_clears_the_previous_answer(tracker, dispatcher, domain, requested, cleared):
    slots = {
        "requested_slot": requested,
        "theme": "regiostad",
        "opinion": "a",
        "reason": "b",
        "own_idea": "c",
        "wijk": "Dorp",
        "age_group": "18-34",
    }
    changed = slot_events(ActionGoBack().run(dispatcher, tracker(slots, "go_back", "terug"), domain))
    assert [name for name, value in changed.items() if value is None and name != "confirming"] == [cleared]


def test_go_back_at_the_first_question(tracker, dispatcher, domain):
    events = ActionGoBack().run(dispatcher, tracker({"requested_slot": "theme", "consent": True}, "go_back", "terug"), domain)
    assert responses(dispatcher) == ["utter_go_back_at_start"]
    assert "consent" not in slot_events(events)
