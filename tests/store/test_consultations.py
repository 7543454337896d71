"""Consultation definition files: the shipped ones load, broken ones give messages naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from samenspraak.consultations import (
    CONSULTATIONS_DIR,
    DefinitionError,
    load_all_consultations,
    load_places,
    parse_consultation,
)


def test_shipped_consultations_follow_the_seed_documents():
    definitions = {d.slug: d for d in load_all_consultations()}
    assert set(definitions) >= {"zoetermeer-2015", "zoetermeer-2040"}
    assert len(definitions["zoetermeer-2015"].themes) == 3  # the three kernkwaliteiten
    assert len(definitions["zoetermeer-2040"].themes) == 6  # the six hoofdlijnen
    assert len(definitions["zoetermeer-2040"].mechanisms) == 5
    for definition in definitions.values():
        for theme in definition.themes:
            assert theme.question.endswith("?")
            assert len(theme.seed_phrases) >= 3


def test_places_know_the_wijken_and_their_variants():
    places = load_places()
    assert "Meerzicht" in places.wijken
    assert places.canonical_wijk("  meerzicht ") == "Meerzicht"
    assert places.canonical_wijk("Atlantis") is None


def _write(tmp_path: Path, slug: str, content: dict | str) -> Path:
    path = tmp_path / f"{slug}.yaml"
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


def _valid() -> dict:
    return yaml.safe_load((CONSULTATIONS_DIR / "zoetermeer-2040.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("title"), "veld 'title'"),
        (lambda d: d.update(year="twintig"), "veld 'year'"),
        (lambda d: d["themes"][0].update(question="Wat vindt u"), "veld 'themes.0.question'"),
        (lambda d: d["themes"][1].update(key=d["themes"][0]["key"]), "dubbel"),
        (lambda d: d.update(onbekend_veld=1), "veld 'onbekend_veld'"),
        (lambda d: d["period"].update(start="2030-01-01"), "end ligt vóór start"),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path, change, expected):
    definition = _valid()
    change(definition)
    path = _write(tmp_path, definition["slug"], definition)
    with pytest.raises(DefinitionError) as error:
        parse_consultation(path)
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_broken_yaml_and_wrong_slug(tmp_path):
    with pytest.raises(DefinitionError, match="geen geldige YAML"):
        parse_consultation(_write(tmp_path, "kapot", "slug: [unclosed"))
    definition = _valid()
    with pytest.raises(DefinitionError, match="bestandsnaam"):
        parse_consultation(_write(tmp_path, "andere-naam", definition))
