"""The chat widget in headless Chromium with a stand-in for Rasa: greeting, buttons, typed answers."""

from __future__ import annotations

import dataclasses

import pytest

from samenspraak.web.app import create_app
from tests.web.conftest import FakeRasa, axe_violations, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def app(settings, store, fake_nlp, rasa):
    return create_app(dataclasses.replace(settings, rasa_url=rasa), store, rate_limits=False)


def test_a_conversation_through_the_widget(open_page):
    page = open_page("/chat", width=390)
    page.wait_for_selector(".ssp-choice")
    assert FakeRasa.received[0]["message"] == "/greet"
    assert page.locator(".ssp-msg--bot").first.text_content() == "Assistent: Hallo! Waar wilt u over praten?"
    page.click(".ssp-choice >> text=Groen")
    page.wait_for_function("() => document.querySelectorAll('.ssp-msg--bot').length === 4")
    assert FakeRasa.received[1]["message"] == '/choose_theme{"theme":"duurzame-stad"}'
    assert page.locator(".ssp-msg--user").text_content() == "U: Groen"
    # Earlier choices cannot be clicked again; the newest ones can.
    assert page.locator(".ssp-choice").first.is_disabled()
    assert page.locator(".ssp-choice").last.is_enabled()
    page.fill("#ssp-input", "<b>Meer</b> bomen")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('.ssp-msg--bot').length === 6")
    assert page.locator(".ssp-msg--user").last.text_content() == "U: <b>Meer</b> bomen"
    assert FakeRasa.received[2]["sender"] == FakeRasa.received[0]["sender"]
    assert axe_violations(page) == []
    screenshot(page, "chat-page-conversation", full_page=False)
    # A reload keeps the conversation (same session id).
    page.reload()
    page.wait_for_selector(".ssp-msg--user")
    assert page.locator(".ssp-msg--user").count() == 2


def test_text_typed_while_the_assistant_answers_is_kept(open_page):
    page = open_page("/chat")
    page.wait_for_selector(".ssp-choice")
    FakeRasa.delay = 1.5
    page.fill("#ssp-input", "eerste bericht")
    page.keyboard.press("Enter")
    page.fill("#ssp-input", "tweede bericht, te vroeg")
    page.keyboard.press("Enter")  # ignored while the assistant is still busy
    page.wait_for_function("() => document.querySelector('.ssp-status').textContent === ''")
    assert page.input_value("#ssp-input") == "tweede bericht, te vroeg"
    assert [message["message"] for message in FakeRasa.received] == ["/greet", "eerste bericht"]


def test_starting_over_while_the_assistant_answers_starts_a_new_conversation(open_page):
    page = open_page("/chat")
    page.wait_for_selector(".ssp-choice")
    FakeRasa.delay = 1.0
    page.fill("#ssp-input", "een bericht in het oude gesprek")
    page.keyboard.press("Enter")
    page.click("text=Opnieuw beginnen")  # while the assistant is still answering
    page.wait_for_function("() => document.querySelectorAll('.ssp-msg--bot').length === 2")
    page.wait_for_timeout(1500)  # the old answer has arrived by now, and must have been ignored
    assert page.locator(".ssp-msg--user").count() == 0 and page.locator(".ssp-msg--bot").count() == 2
    old, new = FakeRasa.received[0]["sender"], FakeRasa.received[2]["sender"]
    assert [m["message"] for m in FakeRasa.received] == ["/greet", "een bericht in het oude gesprek", "/greet"]
    assert new != old
    FakeRasa.delay = 0.0
    page.fill("#ssp-input", "verder in het nieuwe gesprek")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('.ssp-msg--bot').length === 4")
    assert FakeRasa.received[3]["sender"] == new
