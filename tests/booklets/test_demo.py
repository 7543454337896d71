"""Every audience's booklet from the demo data, end to end: import (nlp redaction) → topics fit → staff choices → PDF."""

from __future__ import annotations

import csv
import re

import pytest
from sqlalchemy import select

import topics
from samenspraak.booklets import AUDIENCES, render
from samenspraak.config import DATA_DIR
from samenspraak.importer import import_responses
from samenspraak.store import Response, ThemeAssignment
from tests.booklets.conftest import SLUG, new_store, pdf_info, pdf_text
from tests.booklets.test_render import flat

DEMO = DATA_DIR / "demo" / "responses.csv"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(r"(?:\+31|0)[\s-]?(?:\d[\s-]?){9}")


def planted_personal_data() -> list[str]:
    """The e-mail addresses and phone numbers written into the demo responses of this consultation."""
    with DEMO.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle) if row["consultation"] == SLUG]
    found = [match.group() for text in texts for pattern in (EMAIL, PHONE) for match in pattern.finditer(text)]
    assert len(found) >= 5, "the demo data should hold planted e-mail addresses and phone numbers"
    return found


@pytest.fixture(scope="module")
def demo(var_dir):
    store = new_store(var_dir / "demo.db")
    # Only this consultation's rows: the other's would be analysed by nlp for nothing.
    with DEMO.open(encoding="utf-8", newline="") as source, (var_dir / "demo.csv").open("w", encoding="utf-8", newline="") as target:
        reader = csv.DictReader(source)
        writer = csv.DictWriter(target, reader.fieldnames)
        writer.writeheader()
        writer.writerows(row for row in reader if row["consultation"] == SLUG)
    report = import_responses(var_dir / "demo.csv", consultation=SLUG, store=store)
    assert report.added > 250 and not report.errors
    topics.fit(SLUG, store=store)
    chosen = []
    for position, theme in enumerate(topics.theme_overview(SLUG, store=store)):
        # Staff pick two of the representative quotes per theme and answer every other theme.
        for quote in theme.quotes[:2]:
            topics.mark_quote(quote.response_id, theme.theme_id, store=store)
            chosen.append(quote.text)
        if position % 2 == 0:
            topics.set_follow_up(theme.theme_id, f"Wat we met '{theme.name}' doen, staat in het uitvoeringsprogramma.",
                                 store=store)
    # Staff also mark every response that held personal data, so the last check before printing is put to work.
    with store.session() as session:
        risky = session.execute(
            select(ThemeAssignment.response_id, ThemeAssignment.theme_id).join(Response)
            .where(Response.text_redacted.contains("[E-MAIL]") | Response.text_redacted.contains("[TELEFOON]"))
        ).all()
    for response_id, theme_id in risky:
        topics.mark_quote(response_id, theme_id, store=store)
    yield store, chosen
    store.dispose()


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_audience_from_demo_data(demo, audience):
    store, chosen = demo
    pdf = render(SLUG, audience, "pdf", store=store)
    html = render(SLUG, audience, "html", store=store).decode("utf-8")
    assert int(pdf_info(pdf)["Pages"]) > 1
    text = flat(pdf_text(pdf))
    for heading in ("Zo hebben we het gedaan", "Colofon", "Wat doen we ermee?"):
        assert heading in text
    # At least one chosen quote is printed (each audience prints a different number per theme).
    assert any(flat(quote)[:50] in text for quote in chosen)
    for planted in planted_personal_data():
        assert planted not in text
        assert planted not in html
