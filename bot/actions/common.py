"""What the actions share: the active consultation, theme/wijk/age recognition, the insult list, slot helpers.

Everything that differs per consultation (themes, explanations, questions, wijken, age groups) is read from
data/ through samenspraak.consultations, never written into the domain.
"""

from __future__ import annotations

import difflib
from datetime import date
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from samenspraak.config import DATA_DIR, get_settings
from samenspraak.consultations import ConsultationDefinition, ThemeDefinition, load_consultation, load_places
from samenspraak.contributions import ContributionError, validated_age_group

ABUSE_LEXICON = Path(__file__).resolve().parent.parent / "data" / "scheldwoorden.yml"

# A question the resident chose not to answer. Stored as "no value"; shown in the summary as below.
SKIPPED = "-"
SKIPPED_LABEL = "niet ingevuld"
# Slots of the contribution in progress; wijk, age group and consent stay for the whole conversation.
CONTRIBUTION_SLOTS = ("theme", "opinion", "reason", "own_idea")
QUESTION_ORDER = ("theme", "opinion", "reason", "own_idea", "wijk", "age_group")
# Short "nee" / "weet ik niet" means: skip this question. A long answer with that intent is still an answer.
MAX_SKIP_WORDS = 5
FUZZY_CUTOFF = 0.85
# A place the resident says they do not live in: "niet (meer) in het dorp", "ver van het centrum", "buiten het
# centrum". Blanked out before looking for a wijk, so the place named there is not taken as the answer.
NOT_THERE = re.compile(
    r"(?<!\w)(?:(?:niet|nooit|ver)(?:\s+(?:meer|zo|echt|helemaal|weg))?\s+(?:in|op|bij|van|vanaf|uit|aan)|buiten)"
    r"\s+(?:(?:het|de|t)\s+)?[\w-]+"
)
# Many municipality names are ordinary words too (buren, best, beek, sluis): a name only counts after one of
# these words ("ik woon in delft", "gemeente Delft"), or as the answer with at most one word for the part of
# town ("Delft", "Rotterdam Zuid", "Delft, Tanthof").
TO_PLACE = r"(?<!\w)(?:in|uit|naar|bij|te|van|vanuit|gemeente)\s+(?:het\s+)?"


def active_consultation() -> ConsultationDefinition:
    return load_consultation(get_settings().consultation)


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message.get("text") or "").strip()


def answering(tracker: Tracker, slot: str) -> bool:
    """True when the latest user message is the answer to the question for `slot`."""
    return tracker.get_slot("requested_slot") == slot


def interruption_intents(domain: dict[str, Any]) -> set[str]:
    """Intents that interrupt the form, read from the domain's slot mappings so the list lives in one place."""
    for mapping in domain["slots"]["reason"]["mappings"]:
        if mapping.get("type") == "from_text":
            return set(mapping.get("not_intent", []))
    return set()


def clear_contribution() -> list[SlotSet]:
    return [SlotSet(slot, None) for slot in CONTRIBUTION_SLOTS]


def shown(value: str | None) -> str:
    return SKIPPED_LABEL if value in (None, SKIPPED) else value


def stored(value: str | None) -> str | None:
    return None if value in (None, SKIPPED) else value


def _normalise(text: str) -> str:
    return re.sub(r"[^\w\s+-]", " ", text.lower()).strip()


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


def _phrase_in(text: str, phrases: dict[str, Any]) -> Any:
    """The target of the longest phrase that occurs in the text as whole words."""
    for phrase in sorted(phrases, key=len, reverse=True):
        if _contains(text, phrase):
            return phrases[phrase]
    return None


def _close_phrase(text: str, phrases: dict[str, Any]) -> Any:
    """The target of a phrase spelled almost like one word or word pair of the text (typos)."""
    words = text.split()
    for candidate in words + [" ".join(pair) for pair in zip(words, words[1:])]:
        close = difflib.get_close_matches(candidate, list(phrases), n=1, cutoff=FUZZY_CUTOFF)
        if close:
            return phrases[close[0]]
    return None


def _theme_phrases(definition: ConsultationDefinition) -> dict[str, ThemeDefinition]:
    phrases: dict[str, ThemeDefinition] = {}
    for theme in definition.themes:
        for phrase in (theme.key, theme.name, theme.short_name, *theme.synonyms):
            phrases.setdefault(_normalise(phrase), theme)
    return phrases


def resolve_theme(value: str | None, definition: ConsultationDefinition) -> ThemeDefinition | None:
    """The theme a key, name, synonym or free text points to; None when unclear.

    Exact matches first, then the longest name or synonym inside the text, then a close spelling of one word
    or word pair (typos like "duurzaamheit").
    """
    if not value or not value.strip():
        return None
    text = _normalise(value)
    phrases = _theme_phrases(definition)
    if text in phrases:
        return phrases[text]
    return _phrase_in(text, phrases) or _close_phrase(text, phrases)


def button_payload(intent: str, entity: str, value: str) -> str:
    """A button payload that sets intent and entity directly, without guessing by the NLU model."""
    return f"/{intent}" + json.dumps({entity: value}, ensure_ascii=False)


def theme_buttons(definition: ConsultationDefinition) -> list[dict[str, str]]:
    return [
        {"title": theme.short_name, "payload": button_payload("choose_theme", "theme", theme.key)}
        for theme in definition.themes
    ]


def outside_label() -> str:
    return load_places().outside_label


@lru_cache(maxsize=1)
def _municipality_names() -> frozenset[str]:
    path = DATA_DIR / "places" / "nl_gemeenten.txt"
    if not path.is_file():
        return frozenset()
    return frozenset(_normalise(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


@lru_cache(maxsize=1)
def _other_municipality_patterns() -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    """(the whole answer, after a cue word) for every municipality but this one: compiled once, as one pattern
    per name would be recompiled on every answer (Python's regex cache holds fewer than they are)."""
    names = _municipality_names() - {load_places().municipality.lower()}
    if not names:
        return None
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?:{alternatives})(?:[\s-]+[\w-]+)?"), re.compile(rf"{TO_PLACE}(?:{alternatives})(?!\w)")


def _names_other_municipality(text: str) -> bool:
    patterns = _other_municipality_patterns()
    if patterns is None:
        return False
    whole, after_cue = patterns
    return whole.fullmatch(text) is not None or after_cue.search(text) is not None


def resolve_wijk(value: str | None) -> str | None:
    """Canonical wijk, the 'outside the municipality' label, or None when the wijk is not recognised."""
    if not value or not value.strip():
        return None
    places = load_places()
    if exact := places.known_wijk(value):
        return exact
    text = _normalise(value)
    claimed = NOT_THERE.sub(" ", text)
    variants = {wijk.lower(): wijk for wijk in places.wijken}
    for wijk, spellings in places.wijk_synonyms.items():
        variants.update({spelling.lower(): wijk for spelling in spellings})
    if found := _phrase_in(claimed, variants):
        return found
    home = places.municipality.lower()
    if re.search(rf"\b(niet in|buiten) {re.escape(home)}\b|\bandere (gemeente|stad|plaats)\b", text):
        return outside_label()
    if _names_other_municipality(claimed):
        return outside_label()
    return _close_phrase(claimed, variants)


def _age_group_of(age: int) -> str | None:
    try:
        return validated_age_group(str(age))
    except ContributionError:
        return None


def resolve_age_group(value: str | None, groups: list[str]) -> str | None:
    """The age group for a label, an age ("ik ben 34") or a range ("tussen de 35 en 54"); None if unclear."""
    if not value or not value.strip():
        return None
    text = value.strip().lower()
    for group in groups:
        if text == group.lower():
            return group
    if year := re.search(r"\b(19\d\d|20\d\d)\b", text):
        # A year of birth: without the birthday the age is one of two; only a group that holds both counts.
        age = date.today().year - int(year[1])
        group = _age_group_of(age)
        return group if group == _age_group_of(age - 1) else None
    numbers = [int(number) for number in re.findall(r"\d{1,3}", text)]
    if not numbers:
        return None
    low, high = min(numbers), max(numbers)
    if len(numbers) == 1 and re.search(r"\b(tot|onder|jonger dan|nog geen)\b", text):
        low = high = numbers[0] - 1
    elif len(numbers) == 1 and re.search(r"\b(boven|ouder dan)\b", text):
        low = high = numbers[0] + 1
    group = _age_group_of(low)
    return group if group == _age_group_of(high) else None


@lru_cache(maxsize=1)
def _insult_pattern() -> re.Pattern[str]:
    """The insults listed in bot/data/scheldwoorden.yml (the same list trains the abuse intent)."""
    content = yaml.safe_load(ABUSE_LEXICON.read_text(encoding="utf-8"))
    words = [
        line.strip()[2:].strip()
        for block in content["nlu"]
        if block.get("lookup") == "scheldwoord"
        for line in block["examples"].splitlines()
        if line.strip().startswith("- ")
    ]
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(word) for word in words) + r")(?!\w)", re.IGNORECASE)


def contains_insult(text: str | None) -> bool:
    return bool(text) and _insult_pattern().search(text) is not None
