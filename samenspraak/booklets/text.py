"""Dutch formatting, and the last safety step for every text from the store that reaches a booklet."""

from __future__ import annotations

import datetime as dt
import logging
import re
from functools import lru_cache
from typing import Callable

from samenspraak.booklets.errors import BookletError

log = logging.getLogger(__name__)

MAX_QUOTE_CHARS = 420
ELLIPSIS = "…"
PHRASE_SEPARATOR = " | "
MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)
_SPACES = re.compile(r"\s+")


def number(value: int) -> str:
    """1234567 -> '1.234.567' (Dutch thousands separator)."""
    return f"{value:,}".replace(",", ".")


def percent(part: int, whole: int) -> str:
    if whole <= 0:
        return "0%"
    share = 100 * part / whole
    if 0 < share < 1:
        return "minder dan 1%"
    return f"{round(share)}%"


def long_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "onbekend"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def short_date(value: dt.date) -> str:
    return f"{value.day} {MONTHS[value.month - 1][:3]}"


def dutch_list(items: list[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b en c'."""
    items = [item for item in items if item]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " en " + items[-1]


def trim(text: str, limit: int = MAX_QUOTE_CHARS) -> str:
    """Whitespace made single; over `limit` characters cut at a word boundary with an ellipsis."""
    text = _SPACES.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.-–—") + ELLIPSIS


@lru_cache(maxsize=1)
def _redactor() -> tuple[Callable[[str], str] | None, tuple[type[Exception], ...]]:
    try:
        import nlp
    except ImportError:
        # Texts in the store were redacted when they were saved; this second pass is defence in depth.
        log.warning("nlp is niet beschikbaar: teksten gaan zonder tweede controle het boekje in")
        return None, ()
    return nlp.redact, (nlp.PipelineNotFound,)


def safe_text(text: str | None, limit: int | None = None) -> str:
    """Text from the store as it may be printed: redacted once more, whitespace tidied, optionally trimmed."""
    if not text:
        return ""
    redact, not_found = _redactor()
    if redact is not None:
        try:
            text = redact(text)
        except not_found as exc:
            raise BookletError(f"De controle op persoonlijke gegevens kan niet starten, dus er komt geen boekje: {exc}") from exc
    return trim(text, limit) if limit else _SPACES.sub(" ", text).strip()


def safe_phrases(phrases: list[str]) -> list[str]:
    """Short phrases (key phrases) redacted in one pass instead of one by one; empty ones dropped."""
    phrases = [phrase for phrase in phrases if phrase and phrase.strip()]
    if not phrases:
        return []
    parts = safe_text(PHRASE_SEPARATOR.join(phrases)).split(PHRASE_SEPARATOR.strip())
    if len(parts) != len(phrases):  # a placeholder swallowed a separator: check them one by one
        parts = [safe_text(phrase) for phrase in phrases]
    return [part.strip() for part in parts if part.strip()]
