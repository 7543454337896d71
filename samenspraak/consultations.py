"""Consultation definitions: data files in data/consultations/, validated on load.

A new consultation is a new YAML file, not code. Errors name the file, the field and the problem.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from samenspraak.config import DATA_DIR

CONSULTATIONS_DIR = DATA_DIR / "consultations"
PLACES_FILE = DATA_DIR / "places" / "zoetermeer.yaml"
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class DefinitionError(ValueError):
    """A consultation or places file is missing or invalid; the message is meant for a person."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Period(_Strict):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError("end ligt vóór start")
        return self


class ThemeDefinition(_Strict):
    key: str = Field(pattern=SLUG_PATTERN, max_length=100)
    name: str = Field(min_length=2, max_length=200)
    short_name: str = Field(min_length=2, max_length=30)
    explanation: str = Field(min_length=10)
    question: str = Field(min_length=5)
    synonyms: list[str] = Field(default_factory=list)
    seed_phrases: list[str] = Field(min_length=3)
    actions: list[str] = Field(default_factory=list)

    @field_validator("question")
    @classmethod
    def _is_question(cls, value: str) -> str:
        if not value.endswith("?"):
            raise ValueError("een vraag eindigt met een vraagteken")
        return value


class Mechanism(_Strict):
    name: str
    explanation: str


class ConsultationDefinition(_Strict):
    slug: str = Field(pattern=SLUG_PATTERN, max_length=64)
    title: str
    kind: str
    municipality: str
    year: int = Field(ge=1900, le=2200)
    source: str
    period: Period
    intro: str = Field(min_length=20)
    themes: list[ThemeDefinition] = Field(min_length=1)
    mechanisms: list[Mechanism] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_theme_keys(self) -> ConsultationDefinition:
        keys = [theme.key for theme in self.themes]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"themasleutels komen dubbel voor: {', '.join(duplicates)}")
        return self

    def theme(self, key: str) -> ThemeDefinition:
        for theme in self.themes:
            if theme.key == key:
                return theme
        raise KeyError(key)


class Places(_Strict):
    municipality: str
    wijken: list[str] = Field(min_length=1)
    wijk_synonyms: dict[str, list[str]] = Field(default_factory=dict)
    places: list[str] = Field(default_factory=list)
    age_groups: list[str] = Field(min_length=1)
    # Where residents go with a service request or report (the chat points there); per municipality.
    service_contact: str = "neem contact op met de gemeente via haar website of telefoonnummer"

    @property
    def outside_label(self) -> str:
        """The wijk answer of a resident from another municipality, as the chat stores it."""
        return f"buiten {self.municipality}"

    def canonical_wijk(self, text: str | None) -> str | None:
        """The wijk's official spelling for a typed variant, or None when it is not a known wijk."""
        if not text or not text.strip():
            return None
        wanted = text.strip().lower()
        for wijk in self.wijken:
            if wijk.lower() == wanted:
                return wijk
        for wijk, variants in self.wijk_synonyms.items():
            if wanted in (variant.lower() for variant in variants):
                return wijk
        return None

    def known_wijk(self, text: str | None) -> str | None:
        """A wijk answer as the chat stores it (official spelling, or the outside label); None for other text."""
        if text and text.strip().lower() == self.outside_label.lower():
            return self.outside_label
        return self.canonical_wijk(text)


def _format_errors(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: ongeldige definitie"]
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"]) or "(bestand)"
        lines.append(f"  - veld '{location}': {item['msg']}")
    return "\n".join(lines)


def _read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise DefinitionError(f"{path}: bestand niet gevonden")
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{path}: geen geldige YAML ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise DefinitionError(f"{path}: geen UTF-8 tekst ({exc})") from exc
    if not isinstance(content, dict):
        raise DefinitionError(f"{path}: verwacht een YAML-mapping met velden bovenaan")
    return content


def parse_consultation(path: Path) -> ConsultationDefinition:
    try:
        definition = ConsultationDefinition.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise DefinitionError(_format_errors(path, exc)) from exc
    if definition.slug != path.stem:
        raise DefinitionError(f"{path}: veld 'slug' ({definition.slug}) moet gelijk zijn aan de bestandsnaam ({path.stem})")
    return definition


@lru_cache(maxsize=16)
def load_consultation(slug: str, directory: Path = CONSULTATIONS_DIR) -> ConsultationDefinition:
    path = directory / f"{slug}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.yaml"))) or "geen"
        raise DefinitionError(f"onbekende consultatie '{slug}' (bekend: {known})")
    return parse_consultation(path)


def load_all_consultations(directory: Path = CONSULTATIONS_DIR) -> list[ConsultationDefinition]:
    return [parse_consultation(path) for path in sorted(directory.glob("*.yaml"))]


@lru_cache(maxsize=4)
def load_places(path: Path = PLACES_FILE) -> Places:
    try:
        return Places.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise DefinitionError(_format_errors(path, exc)) from exc
