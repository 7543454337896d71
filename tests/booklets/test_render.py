"""Booklets from a small themed consultation: content, safety, structure, and clear errors."""

from __future__ import annotations

import re
import zlib

import pytest

import topics
from samenspraak.booklets import AUDIENCES, BookletError, render
from samenspraak.booklets.model import collect
from tests.booklets.conftest import (
    FOLLOW_UP,
    LONG_TAIL,
    PLANTED_EMAIL,
    PLANTED_PHONE,
    SLUG,
    UNMARKED,
    add_response,
    new_store,
    pdf_info,
    theme_ids,
)

HEADINGS = {
    "intern": ["Inhoud", "In het kort", "Zoetermeer is mijn thuis", "Wat we hoorden", "Wat mensen zeiden",
               "Wat doen we ermee?", "Zo hebben we het gedaan", "Colofon"],
    "partners": ["Inhoud", "In het kort", "Palet van wijken en buurten", "Wat doen we ermee?",
                 "Zo hebben we het gedaan", "Colofon"],
    "inwoners": ["Dit hoorden we van u", "In dit artikel", "Zoetermeer is mijn thuis", "Wat doen we ermee?",
                 "Hoe nu verder?", "De samenspraak in cijfers", "Zo hebben we het gedaan", "Colofon"],
    "samenvatting": ["Inhoud", "De rode draad", "Wat steeds terugkwam", "Per thema in het kort",
                     "Zo hebben we het gedaan", "Colofon"],
}


def flat(text: str) -> str:
    """PDF text with line breaks and hyphenation undone, for phrase searches."""
    return re.sub(r"\s+", " ", re.sub(r"[-\u2010\u00ad]\n\s*", "", text))


@pytest.mark.parametrize("audience", AUDIENCES)
def test_pdf_has_pages_headings_and_chosen_quotes(sample, audience):
    pdf = sample.get(audience, "pdf")
    assert pdf.startswith(b"%PDF-")
    assert int(pdf_info(pdf)["Pages"]) > 1
    text = flat(sample.pdf_text(audience))
    for heading in HEADINGS[audience]:
        assert heading in text, heading
    # The quote chosen for the first theme (own channel or not) is in every booklet.
    assert "Ik voel me hier thuis omdat mijn buren altijd klaarstaan" in text
    assert FOLLOW_UP[:60] in text


@pytest.mark.parametrize("audience", AUDIENCES)
def test_only_marked_quotes_and_no_personal_data(sample, audience):
    for content in (sample.html(audience), flat(sample.pdf_text(audience))):
        assert UNMARKED not in content
        assert PLANTED_EMAIL not in content
        assert PLANTED_PHONE not in content
        assert "12345678" not in content


def test_planted_personal_data_is_replaced_by_placeholders(sample):
    text = flat(sample.pdf_text("intern"))
    assert "ik wil meehelpen met de buurtmoestuin" in text
    assert "[E-MAIL]" in text and "[TELEFOON]" in text


@pytest.mark.parametrize("audience", AUDIENCES)
def test_html_is_dutch_escaped_and_script_free(sample, audience):
    html = sample.html(audience)
    assert re.search(r'<html lang="nl">', html)
    assert "<script" not in html.lower()
    images = re.findall(r"<img [^>]*>", html)
    assert images
    for image in images:
        alt = re.search(r'alt="([^"]*)"', image)
        assert alt and len(alt.group(1)) > 20, image


def test_script_in_a_quote_is_shown_as_text(sample):
    html = sample.html("intern")
    assert "Meer bomen in de straat tegen de hitte. &lt;script&gt;alert(&#39;boekje&#39;)&lt;/script&gt;" in html
    assert "alert('boekje')" in flat(sample.pdf_text("intern"))


@pytest.mark.parametrize("audience", ["intern", "inwoners"])
def test_long_quote_is_trimmed_with_ellipsis(sample, audience):
    quotes = re.findall(r"<blockquote><p>([^<]*)</p>", sample.html(audience))
    quote = next(quote for quote in quotes if quote.startswith("Ik woon al dertig jaar in Palenstein"))
    assert quote.endswith("…")
    assert len(quote) <= 420
    assert LONG_TAIL not in quote


def test_missing_follow_up_and_quotes_are_visible_placeholders(sample):
    html = sample.html("intern")
    # Only "mijn thuis" has a follow-up; the other themes with responses show the placeholder.
    assert html.count("Nog niet ingevuld.") == 5
    assert "Voor dit thema zijn nog geen citaten gekozen." in html  # regiostad, overig
    assert "Concept." in html


def test_empty_theme_says_so(sample):
    html = sample.html("intern")
    section = html.split('<h2 class="theme-title">Doorlopende ontplooiingskansen voor iedereen</h2>')[1]
    assert "Over dit thema kwamen nog geen reacties binnen." in section.split("</article>")[0]


def test_method_section_numbers_and_agreement_not_invented(sample):
    text = flat(sample.pdf_text("intern"))
    assert "In die tijd kregen we 19 reacties" in text
    assert "1 reactie gaf geen inhoudelijk antwoord" in text
    assert "dit is geen peiling" in text
    assert "nog niet gemeten" in text


@pytest.mark.parametrize("audience", AUDIENCES)
def test_pdf_is_tagged_pdf_ua_with_title(sample, audience):
    info = pdf_info(sample.get(audience, "pdf"))
    assert info["Tagged"] == "yes"
    assert "pdfuaid:part" in info["xmp"]
    assert info["Title"] == f"{AUDIENCES[audience].title}: Zoetermeer 2040"
    assert info["Author"] == "Gemeente Zoetermeer"
    assert b"/Lang (nl)" in pdf_objects(sample.get(audience, "pdf"))


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF with its compressed streams unpacked, to look for dictionary entries."""
    parts = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            continue
    return b"".join(parts)


def test_unknown_audience_format_and_consultation_are_clear(sample):
    with pytest.raises(BookletError, match="Onbekend publiek 'pers'. Kies uit: intern, partners"):
        render(SLUG, "pers", "pdf", store=sample.store)
    with pytest.raises(BookletError, match="Onbekend formaat 'docx'"):
        render(SLUG, "inwoners", "docx", store=sample.store)
    with pytest.raises(BookletError, match="onbekende consultatie 'nergens'"):
        render("nergens", "inwoners", "html", store=sample.store)


def test_empty_consultation_gives_a_clear_message(tmp_path):
    store = new_store(tmp_path / "empty.db")
    with pytest.raises(BookletError, match="nog geen reacties binnen"):
        render(SLUG, "inwoners", "pdf", store=store)


def test_responses_without_themes_give_a_clear_message(tmp_path):
    store = new_store(tmp_path / "unthemed.db")
    add_response(store, "Meer groen in de wijk graag.", "chat")
    with pytest.raises(BookletError, match="nog niet in thema's ingedeeld"):
        render(SLUG, "intern", "html", store=store)


def test_only_known_wijken_are_printed_and_the_rest_still_counts(var_dir):
    """Reporters and imports store the wijk as typed; an address or a name there must not reach the booklet."""
    typed = "Dorpsstraat 12, Jan de Vries"
    store = new_store(var_dir / "wijken.db")
    theme_id = theme_ids(store)["mijn-thuis"]
    for text, channel, wijk in [
        ("Ik ken mijn buren hier allemaal bij naam.", "straat", typed),
        ("In mijn wijk groet iedereen elkaar.", "chat", "Meerzicht"),
        ("Ik werk hier maar woon in Delft.", "chat", "buiten Zoetermeer"),
        ("Het is hier rustig wonen.", "web", None),
    ]:
        response_id = add_response(store, text, channel, wijk)
        topics.move_response(response_id, None, theme_id, store=store)
        topics.mark_quote(response_id, theme_id, store=store)
    try:
        booklet = collect(SLUG, "intern", store=store)
        assert booklet.by_wijk == [("Meerzicht", 1), ("buiten Zoetermeer", 1), ("Andere of onbekende wijk", 2)]
        assert sum(count for _, count in booklet.by_wijk) == booklet.total == 4
        assert {quote.wijk for quote in booklet.themes[0].quotes} == {"Meerzicht", "buiten Zoetermeer", None}
        html = render(SLUG, "intern", "html", store=store).decode("utf-8")
        assert "Jan de Vries" not in html and "Dorpsstraat 12" not in html
        assert "Andere of onbekende wijk" in html
        assert "Straatinterviews (razende reporters)</figcaption>" in html
        assert "Chat op de website, Meerzicht</figcaption>" in html
    finally:
        store.dispose()
