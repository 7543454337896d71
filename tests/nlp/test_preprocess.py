"""Normalisation, non-answers, language, lemmas, key phrases, near duplicates, analyse()."""

import pytest

import nlp
from nlp.preprocess import key_phrases, lemmas


def test_normalize():
    raw = "\ufeff  “Meer”  groen\u00a0– graag…\r\n\r\n\tnu\u200b! 😀 "
    assert nlp.normalize(raw) == '"Meer" groen - graag...\nnu! 😀'


@pytest.mark.parametrize(
    "text", ["weet niet", "Weet ik niet.", "geen mening", "Geen idee!", "nvt", "n.v.t.", "-", "...", "😀😀", "", "  ", "Nee.", "x"]
)
def test_non_answers(text):
    assert nlp.is_non_answer(text)


@pytest.mark.parametrize(
    "text", ["Meer groen!", "Ik weet niet of de bus vaak genoeg rijdt.", "Geen auto's in het centrum", "Prima plan 👍"]
)
def test_answers(text):
    assert not nlp.is_non_answer(text)


@pytest.mark.parametrize(
    "text, code",
    [
        ("Er moeten meer bomen komen in onze wijk.", "nl"),
        ("Meer groen!", "nl"),
        ("The park needs more benches and better lights.", "en"),
        ("Der Park braucht mehr Bänke.", "de"),
        ("Parkta daha fazla bank olmalı.", "tr"),
        ("", "und"),
        ("😀 123", "und"),
    ],
)
def test_detect_language(text, code):
    assert nlp.detect_language(text) == code


def test_lemmas_and_key_phrases():
    doc = nlp.load_pipeline()("De nieuwe fietsenstallingen bij het station zijn veel te klein.")
    assert lemmas(doc) == ["nieuw", "fietsenstalling", "station", "klein"]
    assert key_phrases(doc) == ["nieuwe fietsenstallingen", "station"]


def test_compound_lemmas_are_rebuilt_on_the_word():
    doc = nlp.load_pipeline()("Levensomstandigheden en gezondheidszorg zijn belangrijk.")
    assert "_" not in " ".join(lemmas(doc))


def test_near_duplicates():
    texts = ["Meer groen in de wijk!", "meer groen in de wijk", "Minder auto's in het centrum", "", "-", "Meer  groen in de wijk."]
    assert nlp.near_duplicates(texts) == [(0, 1), (0, 5), (1, 5)]
    assert nlp.near_duplicates(texts, threshold=1.01) == []
    assert nlp.near_duplicates([]) == []


def test_analyse_redacts_before_analysing():
    result = nlp.analyse(
        ["Groeten, Piet Jansen: meer bankjes in Meerzicht!", "weet niet", "Please more trees.", ""]
    )
    first = result[0]
    assert first.redacted == "Groeten, [NAAM]: meer bankjes in Meerzicht!"
    assert "piet" not in first.lemmas and "jansen" not in first.lemmas and "naam" not in first.lemmas
    assert "bank" in first.lemmas and first.language == "nl" and not first.is_non_answer
    assert not any("naam" in phrase for phrase in first.key_phrases)
    assert result[1].is_non_answer
    assert result[2].language == "en"
    assert result[3] == nlp.Analysis(
        redacted="", language="und", lemmas=[], key_phrases=[], is_non_answer=True, normalized=""
    )


def test_a_batch_split_over_two_processes_gives_the_same_analyses_in_order():
    texts = [
        "Groeten, Piet Jansen: meer bankjes in Meerzicht!",
        "weet niet",
        "Bel me op 06-12345678 over de groene daken.",
        "Betaalbare huizen voor starters in Rokkeveen",
        "",
        "De tram naar Den Haag moet vaker rijden.",
        "Please more trees.",
    ]
    assert nlp.analyse(texts, processes=2) == nlp.analyse(texts, processes=1)
