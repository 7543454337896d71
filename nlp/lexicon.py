"""Word lists behind name detection: places (never redacted) and common person names (evidence)."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from nlp.loader import PACKAGE_DIR

REPO_ROOT = PACKAGE_DIR.parent
PLACES_ENV = "SAMENSPRAAK_PLACES_DIR"
DATA_DIR = PACKAGE_DIR / "data"
# Sections of data/places/zoetermeer.yaml that hold place names.
PLACE_SECTIONS = ("wijken", "wijk_synonyms", "places")
MAX_PLACE_WORDS = 6


@dataclass(frozen=True)
class Lexicon:
    first_names: frozenset[str]  # folded, see fold()
    surnames: frozenset[str]  # folded
    places: re.Pattern[str]  # places and other proper nouns that are not people

    def place_spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in self.places.finditer(text)]


def fold(word: str) -> str:
    """Lower case without accents, for name look-ups (Yılmaz = yilmaz, Ayşe = ayse)."""
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("ı", "i"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def places_dir() -> Path:
    return Path(os.environ.get(PLACES_ENV, "").strip() or REPO_ROOT / "data" / "places")


def read_list(path: Path) -> list[str]:
    """One entry a line; blank lines and lines starting with # are skipped."""
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _strings(value: object) -> list[str]:
    """Every string in a YAML value; mapping keys count as names too (e.g. synonym -> wijk)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in _strings(key) + _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def city_places(directory: Path) -> list[str]:
    """Wijken, their synonyms and well-known places from zoetermeer.yaml (if present)."""
    path = directory / "zoetermeer.yaml"
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = [s.strip() for section in PLACE_SECTIONS for s in _strings(data.get(section))]
    # Descriptions and categories are not names: keep short, capitalised strings.
    return [n for n in names if n[:1].isupper() and len(n.split()) <= MAX_PLACE_WORDS]


def _place_pattern(names: set[str]) -> re.Pattern[str]:
    alternatives = sorted((re.escape(n) for n in names), key=len, reverse=True)
    # Also Zoetermeers, Zoetermeerse, Zoetermeerder(s).
    return re.compile(
        r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?:s|se|er|ers|der|ders)?(?![\w-])",
        re.IGNORECASE,
    )


@lru_cache(maxsize=4)
def _load(directory: str) -> Lexicon:
    places_path = Path(directory)
    places = (
        read_list(places_path / "nl_gemeenten.txt")
        + city_places(places_path)
        + read_list(DATA_DIR / "not_names.txt")
    )
    return Lexicon(
        first_names=frozenset(fold(n) for n in read_list(DATA_DIR / "first_names.txt")),
        surnames=frozenset(fold(n) for n in read_list(DATA_DIR / "surnames.txt")),
        places=_place_pattern(set(places)),
    )


def load_lexicon() -> Lexicon:
    """Cached per places folder (env SAMENSPRAAK_PLACES_DIR, default data/places)."""
    return _load(str(places_dir()))
