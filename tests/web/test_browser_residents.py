"""Resident pages in headless Chromium: the widget when the assistant is down, keyboard use, small screens,
accessibility (axe-core), and deleting a contribution with the personal code."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from samenspraak.contributions import save_contribution
from samenspraak.store import Response
from tests.conftest import fresh_analysis
from tests.web.conftest import SLUG, axe_violations, screenshot

pytestmark = pytest.mark.browser
CODE = "K7PQR-M3XWD"


def test_the_widget_opens_by_keyboard_and_says_when_the_assistant_is_down(open_page):
    page = open_page("/")
    page.keyboard.press("Tab")  # skip link first
    launcher = page.locator(".ssp-launcher")
    launcher.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "ssp-input"
    page.wait_for_function("() => document.querySelector('.ssp-status').textContent.includes('niet bereikbaar')")
    assert page.get_attribute(".ssp-log", "aria-live") == "polite"
    assert axe_violations(page) == []
    screenshot(page, "chat-widget-assistant-down", full_page=False)
    # What the resident typed stays in the box when sending fails.
    page.fill("#ssp-input", "Meer groen graag")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('.ssp-status').textContent.includes('niet bereikbaar')")
    assert page.input_value("#ssp-input") == "Meer groen graag"
    page.keyboard.press("Escape")
    assert page.locator(".ssp-panel").is_hidden()
    assert page.evaluate("() => document.activeElement.className") == "ssp-launcher"


@pytest.mark.parametrize("path", ["/", "/chat", "/mijn-bijdrage", "/inloggen"])
def test_resident_pages_pass_axe_and_fit_a_320_pixel_screen(open_page, path):
    page = open_page(path, width=320)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    assert axe_violations(page) == []
    name = {"/": "home", "/chat": "chat", "/mijn-bijdrage": "my-contribution", "/inloggen": "login"}[path]
    screenshot(page, f"{name}-320px", full_page=path != "/chat")


def test_a_resident_deletes_their_contribution_with_the_code(open_page, store):
    for text in ("Meer bomen in Oosterheem.", "<script>alert('x')</script> en een heel erg lang woord " + "a" * 300):
        save_contribution(
            consultation=SLUG,
            channel="straat",
            text=text,
            personal_code=CODE,
            analysis=fresh_analysis(text),
            store=store,
        )
    page = open_page("/mijn-bijdrage", width=390)
    page.fill("#code", CODE.lower().replace("-", " "))
    page.click("main button[type=submit]")
    page.wait_for_selector(".contribution-list")
    assert page.locator(".contribution").count() == 2
    assert "<script>alert('x')</script>" in page.text_content(".contribution-list")  # shown as text
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    screenshot(page, "my-contribution")
    page.click("text=Verwijder mijn bijdrage")
    page.wait_for_selector("text=Uw bijdrage is verwijderd")
    with store.session() as session:
        assert session.scalar(select(func.count(Response.id))) == 0
