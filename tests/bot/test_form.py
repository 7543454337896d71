"""The contribution form's validation: consent, theme choice or suggestion, answers, wijk and age group."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from bot.actions.common import SKIPPED, resolve_wijk
from bot.actions.form import ActionAskConsent, ActionAskTheme, ValidateContributionForm
from samenspraak.contributions import save_contribution
from tests.bot.conftest import responses, slot_events
from tests.conftest import fresh_analysis


def validate(dispatcher, tracker, domain):
    return slot_events(asyncio.run(ValidateContributionForm().run(dispatcher, tracker, domain)))


def answer(tracker, requested: str, value, intent: str, text: str | None = None, **slots):
    """A tracker as Rasa sends it to the validation: the extracted candidate is the last event."""
    text = text or str(value)
    events = [{"event": "user", "text": text}, {"event": "slot", "name": requested, "value": value}]
    slots = {"requested_slot": requested, "consent": True, requested: value, **slots}
    return tracker(slots, intent, text, events=events)


@pytest.mark.parametrize(("intent", "expected"), [("affirm", True), ("deny", False)])
def test_consent_from_yes_or_no(tracker, dispatcher, domain, intent, expected):
    slots = {"requested_slot": "consent"}
    assert validate(dispatcher, tracker(slots, intent, "ja"), domain)["consent"] is expected


def test_no_consent_ends_the_form(tracker, dispatcher, domain):
    form = ValidateContributionForm()
    required = asyncio.run(form.required_slots(["consent", "theme"], dispatcher, tracker({"consent": False}), domain))
    assert required == ["consent"]


def test_interruption_at_the_consent_question_is_left_to_the_rules(tracker, dispatcher, domain):
    slots = {"requested_slot": "consent"}
    events = asyncio.run(ValidateContributionForm().run(dispatcher, tracker(slots, "ask_privacy", "is dit anoniem?"), domain))
    # No slot event: Rasa rejects the form and the privacy rule answers.
    assert [event for event in events if event.get("name") != "requested_slot"] == []


def test_opinion_typed_at_the_consent_question_is_kept(tracker, dispatcher, domain):
    slots = {"requested_slot": "consent"}
    changed = validate(dispatcher, tracker(slots, "give_opinion", "meer bankjes in het park"), domain)
    assert changed["consent"] is None
    assert changed["opinion"] == "meer bankjes in het park"


def test_consent_question_is_shortened_when_repeated(tracker, dispatcher, domain):
    asked = [
        {"event": "bot", "text": "Hallo! ...", "metadata": {"utter_action": "utter_ask_consent"}},
        {"event": "user", "text": "hmm"},
    ]
    ActionAskConsent().run(dispatcher, tracker({}, "greet", "hmm", events=asked), domain)
    ActionAskConsent().run(dispatcher, tracker({}, "greet", "hallo", events=[{"event": "user", "text": "hallo"}]), domain)
    assert responses(dispatcher) == ["utter_consent_unclear", "utter_ask_consent"]
    assert all(len(message["buttons"]) == 2 for message in dispatcher.messages)


@pytest.mark.parametrize(
    ("value", "text", "intent", "expected"),
    [
        ("duurzame-stad", '/choose_theme{"theme":"duurzame-stad"}', "choose_theme", "duurzame-stad"),
        ("iets over ov en verkeer", "iets over ov en verkeer", "choose_theme", "regiostad"),
        ("duurzaamheit", "duurzaamheit", "choose_theme", "duurzame-stad"),
        ("prettig-wonen", "ik wil over wonen praten", "choose_theme", "palet-van-wijken"),
        ("voetbal", "voetbal", "choose_theme", None),
    ],
)
def test_theme_from_button_text_or_typo(tracker, dispatcher, domain, value, text, intent, expected):
    answered = answer(tracker, "theme", value, intent, text)
    assert validate(dispatcher, answered, domain)["theme"] == expected
    assert responses(dispatcher) == ([] if expected else ["utter_theme_unknown"])


def test_opinion_given_at_the_theme_question_keeps_both(tracker, dispatcher, domain):
    text = "Er zijn te weinig betaalbare woningen in mijn buurt"
    answered = answer(tracker, "theme", text, "give_opinion", text)
    changed = validate(dispatcher, answered, domain)
    assert changed["theme"] == "palet-van-wijken"
    assert changed["opinion"] == text


def test_dont_know_at_the_theme_question_suggests_the_least_answered_theme(bot_store, tracker, dispatcher, domain):
    from samenspraak.consultations import load_consultation

    themes = [theme.key for theme in load_consultation("zoetermeer-2040").themes]
    for key in themes:
        if key != "ontplooiingskansen":
            save_contribution(
                consultation="zoetermeer-2040", channel="web", text=f"reactie over {key}", theme_key=key,
                analysis=fresh_analysis(f"reactie over {key}"), store=bot_store,
            )
    answered = answer(tracker, "theme", "kies jij maar", "dont_know")
    assert validate(dispatcher, answered, domain)["theme"] == "ontplooiingskansen"
    assert dispatcher.messages[0]["theme_name"] == "Doorlopende ontplooiingskansen voor iedereen"


def test_theme_question_offers_every_theme_and_a_suggestion(tracker, dispatcher, domain):
    ActionAskTheme().run(dispatcher, tracker({}), domain)
    payloads = [button["payload"] for button in dispatcher.messages[0]["buttons"]]
    assert payloads[0] == '/choose_theme{"theme": "mijn-thuis"}'
    assert len(payloads) == 7 and payloads[-1] == "/dont_know"


def test_skipped_opinion_skips_the_probes(tracker, dispatcher, domain):
    answered = answer(tracker, "opinion", "weet ik niet", "dont_know", theme="regiostad")
    changed = validate(dispatcher, answered, domain)
    assert changed["opinion"] == changed["reason"] == changed["own_idea"] == SKIPPED
    required = asyncio.run(
        ValidateContributionForm().required_slots(["consent", "theme", "opinion", "reason"], dispatcher, tracker({"opinion": SKIPPED}), domain)
    )
    assert required == ["consent", "theme", "opinion"]


def test_a_long_answer_is_an_answer_even_when_it_starts_with_no(tracker, dispatcher, domain):
    text = "nee, want de bus rijdt 's avonds veel te weinig naar Leiden en dat moet anders"
    answered = answer(tracker, "reason", text, "deny", text, theme="regiostad", opinion="x")
    assert validate(dispatcher, answered, domain)["reason"] == text


def test_insult_in_an_answer_is_not_kept(tracker, dispatcher, domain):
    answered = answer(tracker, "reason", "omdat die ambtenaren idioten zijn", "give_opinion", theme="regiostad", opinion="x")
    assert validate(dispatcher, answered, domain)["reason"] is None
    assert responses(dispatcher) == ["utter_insult_not_stored"]


@pytest.mark.parametrize(
    "text",
    [
        "mensen met kanker moeten dichtbij zorg krijgen",
        "de eikels van de oude bomen in het Westerpark liggen overal op het fietspad",
        "de Mongolen die hier wonen willen een eigen ontmoetingsplek",
    ],
)
def test_curse_word_with_a_normal_meaning_is_not_an_insult(tracker, dispatcher, domain, text):
    answered = answer(tracker, "opinion", text, "give_opinion", text, theme="palet-van-wijken")
    assert validate(dispatcher, answered, domain)["opinion"] == text


def test_a_resumed_complete_form_keeps_the_skipped_answers(tracker, dispatcher, domain):
    # "nee" to "Wil je stoppen?" at the summary: the form starts again and validates every slot once more.
    skipped = ("reason", "own_idea", "wijk", "age_group")
    slots = {"requested_slot": None, "consent": True, "theme": "regiostad", "opinion": "Meer bussen."}
    slots |= dict.fromkeys(skipped, SKIPPED)
    events = [{"event": "user", "text": "nee"}] + [{"event": "slot", "name": s, "value": SKIPPED} for s in skipped]
    validated = validate(dispatcher, tracker(slots, "deny", "nee", events=events), domain)
    assert {slot: validated.get(slot) for slot in skipped} == dict.fromkeys(skipped, SKIPPED)
    assert responses(dispatcher) == []


def test_bare_yes_is_not_an_opinion(tracker, dispatcher, domain):
    answered = answer(tracker, "opinion", "ja", "affirm", theme="regiostad")
    assert validate(dispatcher, answered, domain)["opinion"] is None
    assert responses(dispatcher) == ["utter_answer_too_short"]


@pytest.mark.parametrize(
    ("value", "intent", "expected"),
    [
        ("Meerzicht", "inform_wijk", "Meerzicht"),
        ("ik woon in meerzigt", "inform_wijk", "Meerzicht"),
        ("in het centrum", "inform_wijk", "Stadshart"),
        ("Oosterheemm", "inform_wijk", "Oosterheem"),
        ("ik woon in Delft", "inform_wijk", "buiten Zoetermeer"),
        ("buiten Zoetermeer", "inform_wijk", "buiten Zoetermeer"),
        ("/deny", "deny", SKIPPED),
        ("op de maan", "inform_wijk", None),
    ],
)
def test_wijk(tracker, dispatcher, domain, value, intent, expected):
    answered = answer(tracker, "wijk", value, intent)
    assert validate(dispatcher, answered, domain)["wijk"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A wijk the resident says they do not live in is not the answer.
        ("ik woon niet in het dorp maar in een nieuwbouwwijk", None),
        ("Ik woon ver van het centrum", None),
        ("ik woon buiten het centrum", None),
        ("ik woon niet meer in het dorp, nu in seghwaert", "Seghwaert"),
        ("ik woon niet in Delft maar in Meerzicht", "Meerzicht"),
        ("ik weet niet, dorp denk ik", "Dorp"),
        # Municipality names that are ordinary words count only after "in", "uit", "naar", "bij" or alone.
        ("bij mijn buren om de hoek", None),
        ("best ver weg, aan de rand van de stad", None),
        ("ik woon in Best", "buiten Zoetermeer"),
        ("ik woon in delft", "buiten Zoetermeer"),
        ("ik woon in het Westland", "buiten Zoetermeer"),
        ("Ik kom uit 's-Hertogenbosch", "buiten Zoetermeer"),
        ("Delft", "buiten Zoetermeer"),
        ("Rotterdam Zuid", "buiten Zoetermeer"),
        ("Delft, Tanthof", "buiten Zoetermeer"),
        ("Delft-Noord", "buiten Zoetermeer"),
        ("gemeente Delft", "buiten Zoetermeer"),
        ("Ik kom van Delft", "buiten Zoetermeer"),
        ("ik woon niet in zoetermeer", "buiten Zoetermeer"),
        ("Meerzicht", "Meerzicht"),
    ],
)
def test_wijk_from_free_text_respects_negation_and_ordinary_words(text, expected):
    assert resolve_wijk(text) == expected


def test_wijk_entity_in_a_negated_sentence_is_not_taken(tracker, dispatcher, domain):
    text = "ik woon niet in het dorp maar in een nieuwbouwwijk"
    answered = answer(tracker, "wijk", "Dorp", "inform_wijk", text=text)
    assert validate(dispatcher, answered, domain)["wijk"] is None
    assert responses(dispatcher) == ["utter_wijk_unknown"]


def test_wijk_button_uses_its_value(tracker, dispatcher, domain):
    payload = '/inform_wijk{"wijk": "buiten Zoetermeer"}'
    answered = answer(tracker, "wijk", "buiten Zoetermeer", "inform_wijk", text=payload)
    assert validate(dispatcher, answered, domain)["wijk"] == "buiten Zoetermeer"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("35-54", "35-54"),
        ("ik ben 34", "18-34"),
        ("75+", "75+"),
        ("boven de 75", "75+"),
        ("ik ben nog geen 18", "tot 18"),
        ("tussen de 35 en 54", "35-54"),
        ("ik ben 17", "tot 18"),
        ("ik ben een 50-plusser", "35-54"),
        ("tussen de 30 en 40", None),
        (f"ik ben geboren in {date.today().year - 40}", "35-54"),
        (f"geboren in {date.today().year - 18}", None),  # 17 or 18: the resident chooses
        ("oud genoeg", None),
    ],
)
def test_age_group(tracker, dispatcher, domain, value, expected):
    answered = answer(tracker, "age_group", value, "inform_age_group")
    assert validate(dispatcher, answered, domain)["age_group"] == expected
