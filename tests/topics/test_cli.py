"""`samenspraak themes fit | assign | show` through typer's test runner, on a temporary database."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import topics
from tests.topics import corpus
from tests.topics.conftest import CONSULTATION, add_responses
from topics.cli import app
from topics.overview import non_answer_count, theme_map, theme_overview

runner = CliRunner()


# The shared `store` fixture points DATABASE_URL (what the CLI uses) at the test's database.


@pytest.mark.usefixtures("store")
def test_fit_on_an_empty_consultation_fails_with_a_dutch_message():
    result = runner.invoke(app, ["fit", "--consultation", CONSULTATION])
    assert result.exit_code == 1
    assert "nog geen reacties" in result.output


@pytest.mark.usefixtures("store")
def test_an_unknown_consultation_is_named():
    result = runner.invoke(app, ["show", "--consultation", "bestaat-niet"])
    assert result.exit_code == 1 and "onbekende consultatie" in result.output


def test_fit_assign_and_show(warm_store):
    store = warm_store
    rows = corpus.responses()
    add_responses(store, rows)
    fitted = runner.invoke(app, ["fit", "--consultation", CONSULTATION])
    assert fitted.exit_code == 0, fitted.output
    themed = sum(not row["non_answer"] for row in rows)
    assert "Klaar" in fitted.output and f"{themed} reacties ingedeeld" in fitted.output
    assert "Geen nieuwe reacties" in runner.invoke(app, ["assign", "-c", CONSULTATION]).output
    add_responses(store, [{"text": corpus.NEW_CYCLING[0], "channel": "web"}])
    assert "1 nieuwe reacties geplaatst" in runner.invoke(app, ["assign", "-c", CONSULTATION]).output
    shown = runner.invoke(app, ["show", "-c", CONSULTATION, "--quotes"])
    assert shown.exit_code == 0
    assert "Zoetermeer regiostad" in shown.output and "Reacties zonder inhoud (geteld, niet ingedeeld): 5" in shown.output


def test_show_prints_brackets_in_names_and_quotes_as_text(store):
    [response_id] = add_responses(store, [{"text": "Meer bomen [/] en minder [sic] stenen.", "channel": "web"}])
    themes = {summary.key: summary.theme_id for summary in theme_overview(CONSULTATION, store=store)}
    topics.move_response(response_id, None, themes["duurzame-stad"], store=store)
    topics.mark_quote(response_id, themes["duurzame-stad"], store=store)
    topics.rename_theme(themes["duurzame-stad"], "Groen [/b] en [dim]duurzaam", store=store)
    shown = runner.invoke(app, ["show", "-c", CONSULTATION, "--quotes"])
    assert shown.exit_code == 0, shown.output
    assert "Groen [/b] en [dim]duurzaam" in shown.output and "minder [sic] stenen" in shown.output


@pytest.mark.usefixtures("store")
def test_the_overview_of_an_unknown_consultation_is_a_topics_error():
    for read in (theme_overview, theme_map, non_answer_count):
        with pytest.raises(topics.TopicsError, match="bestaat-niet"):
            read("bestaat-niet")
