"""Staff theme pages and edits. Themes are given responses through topics' own edit API (no model fit here);
every edit made through the web must land in topics' audit log."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

import topics
from samenspraak.contributions import consultation_by_slug, save_contribution
from samenspraak.store import AuditLog, Response, Theme, ThemeAssignment
from tests.conftest import fresh_analysis
from tests.web.conftest import SLUG, page_token

NASTY = "<script>alert('thema')</script> Meer groen <b>nu</b>"
LONG_WORD = "Groenvoorziening" * 200


@dataclass
class Sample:
    themes: dict[str, int]  # key -> theme id
    responses: list[int]  # all in 'duurzame-stad'; the last two also in 'regiostad'


@pytest.fixture
def sample(store) -> Sample:
    texts = [
        ("Meer bomen in de straat tegen de hitte.", "chat", "Meerzicht"),
        ("Zonnepanelen op alle scholen.", "straat", "Oosterheem"),
        (NASTY, "web", None),
        (LONG_WORD, "chat", "Dorp"),
        ("De parken verbinden met fietspaden.", "straat", "Meerzicht"),
        ("Vaker de tram naar Den Haag.", "straat", None),
    ]
    with store.session() as session:
        consultation = consultation_by_slug(session, SLUG)
        themes = {t.key: t.id for t in session.scalars(select(Theme).where(Theme.consultation_id == consultation.id))}
    ids = []
    for text, channel, wijk in texts:
        saved = save_contribution(
            consultation=SLUG, channel=channel, text=text, wijk=wijk, analysis=fresh_analysis(text), store=store
        )
        ids.append(saved.response_id)
        topics.move_response(saved.response_id, None, themes["duurzame-stad"], store=store)
    for response_id in ids[-2:]:
        topics.move_response(response_id, None, themes["regiostad"], store=store)
    return Sample(themes, ids)


def post(client, path: str, data: dict, back: str):
    return client.post(path, data=data | {"csrf_token": page_token(client, back)}, follow_redirects=False)


def theme_url(sample: Sample, key: str) -> str:
    return f"/beheer/themas/{sample.themes[key]}"


def audit(store) -> list[tuple[str, int | None]]:
    """Audit rows made by a logged-in person (the sample's own set-up runs without an account)."""
    with store.session() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.account_id.is_not(None)).order_by(AuditLog.id))
        return [(a.action, a.account_id) for a in rows]


def test_the_theme_list_shows_counts_and_links(staff, sample):
    page = staff.get("/beheer/themas").text
    assert f'<a href="{theme_url(sample, "duurzame-stad")}">Duurzame stad in en tussen de parken</a>' in page
    assert "6 reacties" in page and "2 reacties" in page
    assert "Er is nog geen kaart" in page  # no fit yet, so no map


def test_the_theme_page_escapes_resident_text(staff, sample):
    page = staff.get(theme_url(sample, "duurzame-stad")).text
    assert "<script>alert('thema')</script>" not in page and "<b>nu</b>" not in page
    assert "&lt;script&gt;alert(&#39;thema&#39;)&lt;/script&gt;" in page
    assert LONG_WORD in page
    assert page.count('class="response"') == 6


def quotes_section(page: str) -> str:
    return page[page.index('id="quotes-title"') : page.index('id="responses-title"')]


def test_the_theme_page_filters_by_channel_and_wijk(staff, sample):
    url = theme_url(sample, "duurzame-stad")
    straat = staff.get(url, params={"kanaal": "straat"}).text
    assert straat.count('class="response"') == 3
    quotes = quotes_section(straat)  # the theme's representative quotes, those from this channel
    assert quotes.count("<blockquote") == quotes.count("Straatinterviews (razende reporters)") >= 1
    assert staff.get(url, params={"wijk": "Meerzicht"}).text.count('class="response"') == 2
    assert staff.get(url, params={"kanaal": "chat", "wijk": "Meerzicht"}).text.count('class="response"') == 1


@pytest.mark.parametrize("params", [{"wijk": "\x00"}, {"kanaal": "chat\x00"}])
def test_a_filter_that_cannot_be_stored_is_refused(staff, sample, params):
    # PostgreSQL refuses a NUL even in a comparison: a clear 422 instead of a 500.
    response = staff.get(theme_url(sample, "duurzame-stad"), params=params)
    assert response.status_code == 422 and "Niet goed ingevuld" in response.text


def test_rename_and_follow_up_go_through_topics(staff, sample, store, accounts):
    url = theme_url(sample, "duurzame-stad")
    assert post(staff, f"{url}/naam", {"name": "Groen en duurzaam"}, url).headers["location"] == url
    post(staff, f"{url}/vervolg", {"text": "We planten 500 bomen. Zonnepanelen op scholen kan niet: geen geld."}, url)
    page = staff.get(url).text
    assert "<h1>Groen en duurzaam" in page and "We planten 500 bomen." in page
    assert "De naam is aangepast." not in page  # the flash was shown once, on the redirect target
    assert audit(store) == [("theme.rename", accounts["staff"]), ("theme.follow_up", accounts["staff"])]


def test_split_then_merge_subthemes(staff, sample, store):
    url = theme_url(sample, "duurzame-stad")
    first = post(staff, f"{url}/splitsen", {"name": "Bomen", "response_ids": sample.responses[:2]}, url)
    bomen = int(first.headers["location"].rsplit("/", 1)[1])
    second = post(staff, f"{url}/splitsen", {"name": "Parken", "response_ids": [sample.responses[4]]}, url)
    parken = int(second.headers["location"].rsplit("/", 1)[1])
    parent_page = staff.get(url).text
    assert f'<a href="/beheer/themas/{bomen}">Bomen</a>' in parent_page
    merged = post(staff, f"/beheer/themas/{parken}/samenvoegen", {"target_id": bomen}, url)
    assert merged.headers["location"] == f"/beheer/themas/{bomen}"
    assert staff.get(f"/beheer/themas/{parken}").status_code == 404
    assert staff.get(f"/beheer/themas/{bomen}").text.count('class="response"') == 3
    assert [action for action, _ in audit(store)] == ["theme.split", "theme.split", "theme.merge"]


def test_impossible_edits_are_explained_not_crashed(staff, sample, store):
    url = theme_url(sample, "duurzame-stad")
    refused = post(staff, f"{url}/samenvoegen", {"target_id": sample.themes["regiostad"]}, url)
    assert refused.status_code == 303 and refused.headers["location"] == url
    assert "hoofdthema" in staff.get(url).text
    empty_split = post(staff, f"{url}/splitsen", {"name": "Leeg"}, url)
    assert empty_split.headers["location"] == url
    assert "minstens één reactie" in staff.get(url).text
    assert audit(store) == []


def test_move_exclude_and_quote_keep_the_filter(staff, sample, store):
    url = theme_url(sample, "duurzame-stad")
    back = {"theme_id": sample.themes["duurzame-stad"], "kanaal": "straat", "wijk": ""}
    first, second, third = sample.responses[1], sample.responses[4], sample.responses[0]
    moved = post(
        staff, f"/beheer/reacties/{first}/verplaatsen", back | {"to_theme_id": sample.themes["mijn-thuis"]}, url
    )
    assert moved.headers["location"] == f"{url}?kanaal=straat"
    post(staff, f"/beheer/reacties/{second}/citaat", back | {"is_quote": "true"}, url)
    post(staff, f"/beheer/reacties/{third}/uitsluiten", back, url)
    with store.session() as session:
        themes_of_first = set(
            session.scalars(select(ThemeAssignment.theme_id).where(ThemeAssignment.response_id == first))
        )
        assert themes_of_first == {sample.themes["mijn-thuis"]}
        assert session.scalar(
            select(ThemeAssignment.is_quote).where(
                ThemeAssignment.response_id == second, ThemeAssignment.theme_id == sample.themes["duurzame-stad"]
            )
        )
        assert session.get(Response, third).excluded
    assert [action for action, _ in audit(store)] == ["response.move", "response.quote", "response.exclude"]
    page = staff.get(url).text
    assert "Citaat voor het boekje</span>" in page and page.count('class="response"') == 4


def test_excluded_responses_can_be_taken_back(staff, sample, store):
    url = theme_url(sample, "duurzame-stad")
    excluded = sample.responses[0]
    post(staff, f"/beheer/reacties/{excluded}/uitsluiten", {"theme_id": sample.themes["duurzame-stad"]}, url)
    page = staff.get("/beheer/uitgesloten").text
    assert "Meer bomen in de straat" in page
    assert "1 uitgesloten reactie" in staff.get("/beheer/themas").text
    back = post(staff, f"/beheer/reacties/{excluded}/meetellen", {}, "/beheer/uitgesloten")
    assert back.headers["location"] == "/beheer/uitgesloten"
    with store.session() as session:
        assert not session.get(Response, excluded).excluded


def test_marking_a_theme_reviewed(staff, sample, store):
    url = theme_url(sample, "regiostad")
    post(staff, f"{url}/beoordeeld", {"reviewed": "true"}, url)
    assert "Beoordeeld</span>" in staff.get(url).text
    with store.session() as session:
        assert session.get(Theme, sample.themes["regiostad"]).reviewed


def test_an_unknown_theme_is_a_dutch_404(staff, sample):
    response = staff.get("/beheer/themas/999999")
    assert response.status_code == 404 and "bestaat niet" in response.text


def test_booklets_are_offered_and_delivered(staff, sample, store):
    page = staff.get("/beheer/boekjes").text
    for audience in ("intern", "partners", "inwoners", "samenvatting"):
        assert f'href="/beheer/boekjes/{audience}.pdf"' in page
    html = staff.get("/beheer/boekjes/intern.html")
    assert html.status_code == 200, html.text[:500]
    assert (
        "sandbox" in html.headers["content-security-policy"]
        and "script-src" not in html.headers["content-security-policy"]
    )
    assert "<script>alert('thema')</script>" not in html.text
    pdf = staff.get("/beheer/boekjes/inwoners.pdf")
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]
    assert staff.get("/beheer/boekjes/iedereen.pdf").status_code == 404
    assert [action for action, _ in audit(store)] == ["booklet.download", "booklet.download"]
