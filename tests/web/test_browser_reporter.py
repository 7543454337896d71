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


def queue_text(page) -> str:
    return page.text_content("#queue-count")


def test_the_form_keeps_to_the_limits_of_the_server(open_page, store):
    page = reporter_page(open_page)
    for _ in range(19):
        page.click("#add-statement")
    assert page.locator(".statement").count() == 20
    assert page.is_hidden("#add-statement") and page.is_visible("#statements-full")
    page.click(".statement:last-child [data-role=remove]")
    assert page.is_visible("#add-statement") and page.is_hidden("#statements-full")

    page.fill("#statement-1", "Meer bankjes.")
    for typo in ("2052-10-10T10:00", "1999-12-31T10:00"):
        page.fill("#held-at", typo)
        page.click("#interview-form button[type=submit]")
        assert "Deze datum klopt niet" in page.text_content("#form-error")
    assert queue_text(page) == "Alles is verstuurd." and counts(store) == (0, 0)
    assert page.get_attribute("#held-at", "min") == "2000-01-01T00:00" and page.get_attribute("#held-at", "max")


def test_a_refused_entry_can_be_put_back_into_the_form(open_page, store, accounts):
    page = reporter_page(open_page)
    refusal = '{"detail": "Onbekend thema \'oud-thema\'."}'
    page.route(
        "**/api/reporter/interviews",
        lambda route: route.fulfill(status=422, content_type="application/json", body=refusal),
    )
    fill_interview(page, "Meer bankjes in het park.", "De bus moet vaker rijden.")
    page.click("#interview-form button[type=submit]")
    page.wait_for_selector("text=Niet opgeslagen: Onbekend thema 'oud-thema'.")
    page.unroute("**/api/reporter/interviews")
    # The entry remembers who entered it, and for which consultation.
    queued = page.evaluate("() => JSON.parse(localStorage.getItem('samenspraak-reporter-queue'))[0]")
    assert (queued["account"], queued["consultation"]) == (accounts["reporter"], "zoetermeer-2040")

    # Deleting asks first; saying no keeps it.
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.click("text=Weghalen uit de wachtrij")
    assert "Weghalen?" in dialogs[0] and "Nog niet verstuurd: 1" in queue_text(page)

    page.click("text=Terugzetten in het formulier")
    assert page.input_value("#statement-1") == "Meer bankjes in het park."
    assert page.input_value("#statement-2") == "De bus moet vaker rijden."
    assert page.input_value("#place") == "Stadshart, bij de bieb" and page.input_value("#wijk") == "Meerzicht"
    assert "Onbekend thema" in page.text_content("#form-error")
    assert queue_text(page) == "Alles is verstuurd."
    page.click("#interview-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('queue-count').textContent === 'Alles is verstuurd.'")
    assert counts(store) == (1, 2)


def test_entries_of_another_account_are_not_sent(open_page, store, accounts):
    page = reporter_page(open_page)
    entry = {
        "id": "0123456789abcdef0123",
        "place": "Stadshart",
        "held_at": "2024-10-10T09:30:00.000Z",
        "wijk": "",
        "age_group": "",
        "statements": [{"text": "Van een andere reporter.", "theme": ""}],
        "account": accounts["staff"],
    }
    page.evaluate("entry => localStorage.setItem('samenspraak-reporter-queue', JSON.stringify([entry]))", entry)
    page.reload()
    page.click("#sync-now")
    page.wait_for_selector("text=Ingevoerd onder een ander account.")
    assert "Nog niet verstuurd: 1" in queue_text(page) and counts(store) == (0, 0)


def test_a_page_kept_from_another_account_enters_under_the_account_logged_in_now(open_page, store, accounts):
    page = reporter_page(open_page)

    def stale_page(route):
        # As the service worker's copy of the page from when test-staff was logged in on this phone.
        response = route.fetch()
        mine, theirs = f'data-account="{accounts["reporter"]}"', f'data-account="{accounts["staff"]}"'
        route.fulfill(response=response, body=response.text().replace(mine, theirs))

    page.route("**/reporter/", stale_page)
    with page.expect_response("**/api/reporter/session"):
        page.reload()
    fill_interview(page, "Ingevoerd op een pagina van eerder.")
    page.click("#interview-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('queue-count').textContent === 'Alles is verstuurd.'")
    assert counts(store) == (1, 1)
