"""Staff pages in headless Chromium: split, merge and rename a theme, re-fit from the analysis page (a separate
process), and find the edits still there; then export as XLSX; axe-core on the dashboard and theme pages.
One test, because each fit takes a minute or two on a busy two-core machine.

Needs the embedding model that `make embedding-model` builds into var/models/ (skipped without it).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import topics
from samenspraak.config import DATA_DIR, REPO_ROOT
from samenspraak.contributions import save_contribution
from samenspraak.store import Theme, ThemeAssignment
from tests.conftest import fresh_analysis
from tests.web.conftest import SLUG, axe_violations, browser_login, screenshot

pytestmark = pytest.mark.browser
EMBEDDING_MODEL = REPO_ROOT / "var" / "models" / "multilingual-e5-small"
DEMO_RESPONSES = 40  # small data: the fit takes seconds, not minutes
REFIT_TIMEOUT_MS = 300_000


@pytest.fixture
def fitted(store, monkeypatch) -> int:
    """Demo responses of the 2040 consultation, fitted once. Returns the number of responses."""
    if not (EMBEDDING_MODEL / "modules.json").exists():
        pytest.skip("embedding model not built: make embedding-model")
    monkeypatch.setenv("SAMENSPRAAK_EMBEDDING_MODEL", str(EMBEDDING_MODEL))
    with (DATA_DIR / "demo" / "responses.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["consultation"] == SLUG][:DEMO_RESPONSES]
    for row in rows:
        save_contribution(
            consultation=SLUG,
            channel=row["channel"],
            text=row["text"],
            wijk=row["wijk"] or None,
            age_group=row["age_group"] or None,
            created_at=datetime.fromisoformat(row["created_at"]),
            analysis=fresh_analysis(row["text"]),
            store=store,
        )
    topics.fit(SLUG, store=store)
    return len(rows)


def largest_vision_theme(store) -> Theme:
    overview = topics.theme_overview(SLUG, store=store)
    summary = max((s for s in overview if s.kind == "vision"), key=lambda s: s.count)
    with store.session() as session:
        return session.get(Theme, summary.theme_id)


def split(page, names: list[int], new_name: str) -> None:
    for response_id in names:
        page.check(f"#pick-{response_id}")
    page.fill("#split-name", new_name)
    page.click("#split-form button[type=submit]")
    page.wait_for_selector(f"h1:has-text('{new_name}')")


def test_edits_made_in_the_browser_survive_a_refit_and_export(open_page, store, fitted):
    page = open_page("/inloggen")
    browser_login(page, "test-staff")
    assert axe_violations(page) == []
    screenshot(page, "staff-dashboard")

    page.goto("/beheer/themas")
    assert axe_violations(page) == []
    screenshot(page, "staff-themes")

    vision = largest_vision_theme(store)
    page.goto(f"/beheer/themas/{vision.id}")
    ids = [
        int(value) for value in page.locator("input[name=response_ids]").evaluate_all("els => els.map(e => e.value)")
    ]
    assert len(ids) >= 4
    split(page, ids[:2], "Bomen en schaduw")
    page.goto(f"/beheer/themas/{vision.id}")
    split(page, ids[2:3], "Parken")
    page.on("dialog", lambda dialog: dialog.accept())  # "Weet u zeker dat u … wilt samenvoegen?"
    page.select_option("#target", label="– Bomen en schaduw")
    page.click("button:has-text('Voeg samen')")
    page.wait_for_selector("h1:has-text('Bomen en schaduw')")
    assert page.locator(".response").count() == 3
    page.goto(f"/beheer/themas/{vision.id}")
    page.fill("#name", "Groen, water en duurzaamheid")
    page.click("button:has-text('Hernoem')")
    page.wait_for_selector("h1:has-text('Groen, water en duurzaamheid')")
    assert axe_violations(page) == []
    screenshot(page, "staff-theme-detail")

    page.goto("/beheer/analyse")
    page.click("button:has-text('Alles opnieuw analyseren')")
    page.wait_for_selector("#job-text:has-text('Bezig: Alles opnieuw analyseren')")
    screenshot(page, "staff-analysis-running")
    page.wait_for_selector("#job-text:has-text('Klaar')", timeout=REFIT_TIMEOUT_MS)
    assert page.locator("tbody tr").count() == 2  # the first fit and the re-fit
    assert "klaar" in page.locator("tbody tr").first.text_content()

    page.goto("/beheer/themas")
    themes = page.text_content(".theme-list")
    assert "Groen, water en duurzaamheid" in themes and "Bomen en schaduw" in themes and "Parken" not in themes
    with store.session() as session:
        bomen = session.scalar(select(Theme).where(Theme.name == "Bomen en schaduw", Theme.active.is_(True)))
        members = set(session.scalars(select(ThemeAssignment.response_id).where(ThemeAssignment.theme_id == bomen.id)))
    assert members == set(ids[:3])

    # The export opens as a workbook with one row per response, each with its themes.
    page.goto("/beheer/export")
    with page.expect_download() as download:
        page.click("text=Reacties als Excel (XLSX)")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "id" and len(rows) == fitted + 1
    assert all(row[6] for row in rows[1:])
