"""Dutch formatting and the text guard every printed text passes."""

from __future__ import annotations

import datetime as dt

from samenspraak.booklets.text import ELLIPSIS, dutch_list, long_date, number, percent, safe_phrases, safe_text, trim


def test_short_text_is_kept_whole_with_tidy_spaces():
    assert trim("  Meer   groen\n in de wijk ") == "Meer groen in de wijk"


def test_long_text_is_cut_at_a_word_with_an_ellipsis():
    text = "woord " * 200
    trimmed = trim(text, 100)
    assert len(trimmed) <= 100
    assert trimmed.endswith(ELLIPSIS)
    assert trimmed[:-1].endswith("woord")


def test_text_without_spaces_is_cut_hard():
    trimmed = trim("a" * 500, 50)
    assert trimmed == "a" * 49 + ELLIPSIS


def test_dutch_numbers_dates_and_lists():
    assert number(1234567) == "1.234.567"
    assert percent(1, 3) == "33%"
    assert percent(1, 1000) == "minder dan 1%"
    assert percent(0, 0) == "0%"
    assert long_date(dt.date(2024, 9, 1)) == "1 september 2024"
    assert dutch_list(["groen", "fietsen", "wonen"]) == "groen, fietsen en wonen"
    assert dutch_list(["groen"]) == "groen"


def test_safe_text_redacts_personal_data_once_more():
    text = safe_text("Mail mij op jan.jansen@example.nl of bel 06 98765432, groeten Jan Jansen")
    assert "jan.jansen@example.nl" not in text
    assert "98765432" not in text
    assert "[E-MAIL]" in text and "[TELEFOON]" in text


def test_safe_text_keeps_placeholders_and_empty_input():
    assert safe_text("Bel [TELEFOON] maar") == "Bel [TELEFOON] maar"
    assert safe_text(None) == ""
    assert safe_text("") == ""


def test_key_phrases_are_checked_together_and_keep_their_order():
    phrases = safe_phrases(["meer groen", "", "mail piet@example.nl", "fietspad"])
    assert phrases[0] == "meer groen" and phrases[-1] == "fietspad"
    assert len(phrases) == 3
    assert "piet@example.nl" not in " ".join(phrases)
