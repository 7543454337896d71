"""The staff dashboard: counts per channel, day and wijk, and the under-covered vision themes."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ElementTree
from datetime import datetime, timezone

from sqlalchemy import select

import topics
from samenspraak.contributions import save_contribution, theme_response_counts
from samenspraak.store import Theme
from samenspraak.web.staff import under_covered
from tests.conftest import fresh_analysis
from tests.web.conftest import SLUG

# (theme hint, how many); 'regiostad' gets far fewer than the average.
HINTS = [
    ("mijn-thuis", 6),
    ("duurzame-stad", 6),
    ("palet-van-wijken", 5),
    ("ontplooiingskansen", 5),
    ("toegepaste-innovatie", 4),
    ("regiostad", 1),
]


def fill(store) -> None:
    number = 0
    for key, count in HINTS:
        for _ in range(count):
            number += 1
            text = f"Reactie {number} over {key}"
            save_contribution(
                consultation=SLUG,
                channel="straat" if number % 3 else "chat",
                text=text,
                theme_key=key,
                wijk="Meerzicht" if number % 2 else None,
                created_at=datetime(2024, 10, 1 + number % 3, 12, tzinfo=timezone.utc),
                analysis=fresh_analysis(text),
                store=store,
            )


def svg_images(page: str) -> list[ElementTree.Element]:
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    return [ElementTree.fromstring(base64.b64decode(image)) for image in images]


def test_under_covered_means_less_than_half_the_average():
    assert under_covered({"a": 10, "b": 10, "c": 3, "d": 7}) == {"c"}  # average 7.5
    assert under_covered({"a": 0, "b": 0}) == set()
    assert under_covered({}) == set()


def test_the_dashboard_counts_and_highlights(staff, store):
    fill(store)
    page = staff.get("/beheer").text
    assert '<span class="stat__value">27</span><span class="stat__label">reacties</span>' in page
    assert '<span class="stat__value">1</span><span class="stat__label">thema\'s met weinig reacties' in page
    low_row = re.search(r'<tr class="is-low">\s*<th scope="row">([^<]+)</th>\s*<td class="number">(\d+)</td>', page)
    assert low_row.groups() == ("Zoetermeer regiostad", "1")
    assert 'Straatinterviews (razende reporters)</th><td class="number">18</td>' in page
    assert 'Meerzicht</th><td class="number">14</td>' in page and 'Onbekend</th><td class="number">13</td>' in page
    assert '1 oktober 2024</th><td class="number">9</td>' in page
    charts = svg_images(page)
    assert len(charts) == 4 and all(chart.tag.endswith("svg") for chart in charts)
    assert "Zoetermeer regiostad: 1 (weinig)." in page  # the chart's alt text


def test_an_empty_consultation_still_shows_a_dashboard(staff):
    page = staff.get("/beheer")
    assert page.status_code == 200
    assert "Nog geen reacties." in page.text and "nog niet in thema" in page.text


def coverage_row(page: str, name: str) -> str:
    return re.search(rf'<th scope="row">{name}</th>\s*<td class="number">(\d+)</td>', page).group(1)


def test_excluded_responses_leave_the_coverage(staff, store):
    text = "Meer bomen in de straat."
    saved = save_contribution(
        consultation=SLUG, channel="chat", text=text, theme_key="duurzame-stad", analysis=fresh_analysis(text), store=store
    )
    assert theme_response_counts(SLUG, store=store)["duurzame-stad"] == 1
    topics.exclude_response(saved.response_id, True, store=store)
    assert theme_response_counts(SLUG, store=store)["duurzame-stad"] == 0
    assert coverage_row(staff.get("/beheer").text, "Duurzame stad in en tussen de parken") == "0"


def test_the_dashboard_shows_renamed_themes(staff, store):
    fill(store)
    with store.session() as session:
        theme_id = session.scalar(select(Theme.id).where(Theme.key == "regiostad"))
    topics.rename_theme(theme_id, "Stad in de regio", store=store)
    page = staff.get("/beheer").text
    assert coverage_row(page, "Stad in de regio") == "1" and "Zoetermeer regiostad" not in page
    assert "Stad in de regio: 1 (weinig)." in page
