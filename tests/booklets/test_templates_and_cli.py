"""House-style overrides, the agreement figure from topics/ evaluations, and the command line."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from samenspraak.booklets import BookletError, render
from samenspraak.booklets.cli import booklet
from samenspraak.booklets.model import load_agreement
from samenspraak.booklets.rendering import TEMPLATES_ENV
from tests.booklets.conftest import SLUG


def test_own_template_folder_is_searched_first(sample, tmp_path, monkeypatch):
    (tmp_path / "booklet.css").write_text("body { color: #123456; } /* huisstijl-gemeente */", encoding="utf-8")
    monkeypatch.setenv(TEMPLATES_ENV, str(tmp_path))
    html = render(SLUG, "samenvatting", "html", store=sample.store).decode("utf-8")
    assert "huisstijl-gemeente" in html
    assert "De rode draad" in html  # the other templates still come from the package


def test_missing_template_folder_is_a_clear_error(sample, tmp_path, monkeypatch):
    monkeypatch.setenv(TEMPLATES_ENV, str(tmp_path / "bestaat-niet"))
    with pytest.raises(BookletError, match="De map met eigen sjablonen bestaat niet"):
        render(SLUG, "samenvatting", "html", store=sample.store)


@pytest.fixture
def cli(sample, monkeypatch):
    from samenspraak import config
    from samenspraak.store import db

    monkeypatch.setenv("DATABASE_URL", sample.store.url)
    config.get_settings.cache_clear()
    db._store_for.cache_clear()
    app = typer.Typer()
    app.command()(booklet)
    yield lambda *args: CliRunner().invoke(app, list(args))
    config.get_settings.cache_clear()
    db._store_for.cache_clear()


def test_cli_writes_the_booklet(cli, tmp_path):
    out = tmp_path / "uit" / "inwoners.html"
    result = cli("--consultation", SLUG, "--audience", "inwoners", "--format", "html", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "geschreven naar" in result.output
    assert "Dit hoorden we van u" in out.read_text(encoding="utf-8")


def test_cli_bad_input_is_a_clear_error_and_writes_nothing(cli, tmp_path):
    out = tmp_path / "pers.pdf"
    result = cli("--consultation", SLUG, "--audience", "pers", "--out", str(out))
    assert result.exit_code == 1
    assert "Fout:" in result.output and "Onbekend publiek 'pers'" in result.output
    assert not out.exists()


RESULTS = [
    {"pipeline": "ours (zero-shot)", "rows": 348, "ari": 0.6, "nmi": 0.6, "f1": 0.81, "f1_ci": [0.78, 0.84], "dataset": "resident"},
    {"pipeline": "ours (zero-shot), held-out half", "rows": 174, "ari": 0.6, "nmi": 0.6, "f1": 0.79, "f1_ci": [0.74, 0.84], "dataset": "resident"},
    {"pipeline": "ours (zero-shot)", "rows": 960, "ari": 0.5, "nmi": 0.5, "f1": 0.66, "f1_ci": [0.6, 0.7], "dataset": "dekamer"},
]


def test_agreement_is_the_held_out_figure_of_the_consultations_own_labelled_set(tmp_path):
    results = tmp_path / "topics.json"
    results.write_text(json.dumps(RESULTS), encoding="utf-8")
    agreement = load_agreement(SLUG, results)
    assert (agreement.f1, agreement.low, agreement.high, agreement.examples) == (0.79, 0.74, 0.84, 174)
    # No labelled answers for the 2015 consultation: no figure, whatever the file says.
    assert load_agreement("zoetermeer-2015", results) is None


def test_agreement_missing_or_unreadable_is_not_measured(tmp_path):
    assert load_agreement(SLUG, tmp_path / "ontbreekt.json") is None
    broken = tmp_path / "topics.json"
    broken.write_text("{niet af", encoding="utf-8")
    assert load_agreement(SLUG, broken) is None
    broken.write_text(json.dumps([{"pipeline": "iets anders", "dataset": "resident", "f1": 0.9}]), encoding="utf-8")
    assert load_agreement(SLUG, broken) is None


def test_booklet_prints_the_measured_agreement(sample, var_dir):
    (var_dir / "evals").mkdir(exist_ok=True)
    (var_dir / "evals" / "topics.json").write_text(json.dumps(RESULTS), encoding="utf-8")
    try:
        html = render(SLUG, "partners", "html", store=sample.store).decode("utf-8")
    finally:
        (var_dir / "evals" / "topics.json").unlink()
    assert "De score was <strong>0,79</strong>" in html
    assert "tussen 0,74 en 0,84" in html
    assert "nog niet gemeten" not in html
