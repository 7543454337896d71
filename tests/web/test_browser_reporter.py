"""The reporter form in headless Chromium: online entry, and offline → reload → sync without duplicates."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from samenspraak.store import Interview, Response
from tests.web.conftest import axe_violations, browser_login, screenshot

pytestmark = pytest.mark.browser
MOBILE = 390


def counts(store) -> tuple[int, int]:
    with store.session() as session:
        return session.scalar(select(func.count(Interview.id))), session.scalar(select(func.count(Response.id)))


def fill_interview(page, *statements: str, place: str = "Stadshart, bij de bieb") -> None:
    page.fill("#place", place)
    page.select_option("#wijk", "Meerzicht")
    page.select_option("#age-group", "35-54")
    for number, text in enumerate(statements, start=1):
        if number > 1:
            page.click("#add-statement")
        page.fill(f"#statement-{number}", text)
    page.select_option("#statement-theme-1", "duurzame-stad")


def reporter_page(open_page):
    page = open_page("/inloggen", width=MOBILE)
    browser_login(page, "test-reporter")
    page.wait_for_url("**/reporter/")
    return page


def test_an_interview_is_entered_and_sent_online(open_page, store):
    page = reporter_page(open_page)
    assert axe_violations(page) == []
    fill_interview(page, "Meer bankjes in het park.", "De bus moet vaker rijden.")
    screenshot(page, "reporter-form")
    page.click("#interview-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('queue-count').textContent === 'Alles is verstuurd.'")
    assert counts(store) == (1, 2)
    # The place is remembered for the next interview; the statements are empty again.
    assert page.input_value("#place") == "Stadshart, bij de bieb"
    assert page.input_value("#statement-1") == ""
    assert page.locator(".statement").count() == 1


def test_offline_entries_survive_a_reload_and_sync_once(open_page, store):
    page = reporter_page(open_page)
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # from now on the service worker controls the page
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")
    context = page.context

    context.set_offline(True)
    fill_interview(page, "Zonder internet ingevoerd.")
    page.click("#interview-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('queue-count').textContent.includes('Nog niet verstuurd: 1')")
    page.fill("#statement-1", "Half getypt, nog niet opgeslagen")
    page.reload()  # offline: the service worker serves the page
    assert "Nog niet verstuurd: 1" in page.text_content("#queue-count")
    assert page.input_value("#statement-1") == "Half getypt, nog niet opgeslagen"
    screenshot(page, "reporter-offline")
    assert counts(store) == (0, 0)

    # Back online, but the answer gets lost on the way: the server stored it, the phone does not know.
    lost = []

    def lose_answer(route):
        route.fetch()
        lost.append(route.request.url)
        route.abort()

    page.route("**/api/reporter/interviews", lose_answer)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("() => document.getElementById('connection').textContent.startsWith('Geen verbinding')")
    assert lost and counts(store) == (1, 1)
    assert "Nog niet verstuurd: 1" in page.text_content("#queue-count")

    # The next sync sends the same entry again: nothing is stored twice.
    page.unroute("**/api/reporter/interviews")
    page.click("#sync-now")
    page.wait_for_function("() => document.getElementById('queue-count').textContent === 'Alles is verstuurd.'")
    assert counts(store) == (1, 1)
    with store.session() as session:
        assert session.scalar(select(Response.text_redacted)) == "Zonder internet ingevoerd."
