"""The action server's logs hold no personal data, not even when saving fails with a database error."""

from __future__ import annotations

import logging

from bot.actions.flow import ActionSaveContribution
from samenspraak import contributions
from samenspraak.contributions import new_personal_code
from tests.bot.conftest import responses
from tests.bot.test_actions import confirmed_slots
from tests.conftest import fail_response_inserts, fresh_analysis, run_coroutine


def test_a_failed_save_logs_no_personal_data(bot_store, tracker, dispatcher, domain, monkeypatch, caplog):
    # Unredacted on purpose: whatever reaches the database must not reach the log either.
    monkeypatch.setattr(contributions, "analyse_texts", lambda texts: [fresh_analysis(text) for text in texts])
    fail_response_inserts(bot_store)
    caplog.set_level(logging.DEBUG)
    slots = confirmed_slots(new_personal_code())
    run_coroutine(ActionSaveContribution().run(dispatcher, tracker(slots, "affirm", "ja"), domain))
    assert responses(dispatcher) == ["utter_save_failed"]
    failures = [record for record in caplog.records if record.exc_info]
    assert failures, "the failure itself must be logged"
    logged = "\n".join(
        record.getMessage() + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        for record in caplog.records
    )
    assert "schijf vol" in logged
    for personal in ("jan.jansen@example.nl", "06-12345678", "Meer moestuinen", slots["personal_code"]):
        assert personal not in logged
