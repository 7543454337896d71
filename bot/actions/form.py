"""The contribution form: consent, theme, the open question with two probes, wijk and age group.

The form asks only what is missing, so it is also how every interruption returns to where the resident was.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.common import (
    MAX_SKIP_WORDS,
    SKIPPED,
    active_consultation,
    answering,
    button_payload,
    contains_insult,
    interruption_intents,
    latest_intent,
    latest_text,
    outside_label,
    resolve_age_group,
    resolve_theme,
    resolve_wijk,
    theme_buttons,
)
from samenspraak.consultations import ThemeDefinition, load_places
from samenspraak.contributions import theme_response_counts

log = logging.getLogger(__name__)

SKIP_BUTTON = {"title": "Zeg ik liever niet", "payload": "/deny"}
SUGGEST_BUTTON = {"title": "Kies er een voor mij", "payload": "/dont_know"}
CONSENT_QUESTIONS = {"utter_ask_consent", "utter_consent_unclear"}
CONSENT_BUTTONS = [{"title": "Ja, ik doe mee", "payload": "/affirm"}, {"title": "Nee, liever niet", "payload": "/deny"}]


def _skipped(tracker: Tracker, slot: str, value: Any) -> bool:
    """Skipped now ("weet ik niet" to its question), or before: a complete form that resumes (after "nee" to
    "Wil je stoppen?" at the summary) validates every slot again, and a skipped one must stay skipped."""
    if value == SKIPPED and not answering(tracker, slot):
        return True
    return (
        answering(tracker, slot)
        and latest_intent(tracker) in {"dont_know", "deny"}
        and len(latest_text(tracker).split()) <= MAX_SKIP_WORDS
    )


def _last_question(tracker: Tracker) -> str | None:
    """The response the bot used last before the latest user message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action")
    return None


class ValidateContributionForm(FormValidationAction):
    def name(self) -> str:
        return "validate_contribution_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        # Without consent the form ends at once; a skipped opinion needs no probes, wijk or age group.
        if tracker.get_slot("consent") is False:
            return ["consent"]
        if tracker.get_slot("opinion") == SKIPPED:
            return ["consent", "theme", "opinion"]
        return domain_slots

    async def extract_consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not answering(tracker, "consent"):
            return {}
        intent = latest_intent(tracker)
        if intent == "affirm":
            return {"consent": True}
        if intent == "deny":
            return {"consent": False}
        if intent in interruption_intents(domain):
            return {}  # the form rejects, a rule answers, the form asks again
        if intent in {"give_opinion", "give_idea"} and not contains_insult(latest_text(tracker)):
            # Not an answer to the question, but not to be lost either: kept until consent is given.
            return {"consent": None, "opinion": latest_text(tracker)}
        return {"consent": None}

    def validate_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"consent": value if isinstance(value, bool) else None}

    def validate_theme(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        definition = active_consultation()
        intent = latest_intent(tracker)
        if answering(tracker, "theme") and intent == "dont_know":
            theme = suggest_theme()
            dispatcher.utter_message(response="utter_theme_suggested", theme_name=theme.name)
            return {"theme": theme.key}
        theme = resolve_theme(value, definition)
        if theme is None and answering(tracker, "theme"):
            theme = resolve_theme(latest_text(tracker), definition)
        gave_opinion = (
            answering(tracker, "theme")
            and intent in {"give_opinion", "give_idea"}
            and not contains_insult(latest_text(tracker))
        )
        if theme is None:
            if gave_opinion:
                return {"theme": None, "opinion": latest_text(tracker)}
            dispatcher.utter_message(response="utter_theme_unknown")
            return {"theme": None}
        if gave_opinion:
            # "Er is te weinig groen in mijn wijk" names the theme and is the answer: keep both.
            return {"theme": theme.key, "opinion": latest_text(tracker)}
        return {"theme": theme.key}

    def _text_answer(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> str | None:
        if _skipped(tracker, slot, value):
            return SKIPPED
        text = str(value or "").strip()
        if contains_insult(text):
            dispatcher.utter_message(response="utter_insult_not_stored")
            return None
        too_short = sum(character.isalnum() for character in text) < 2
        only_yes = latest_intent(tracker) == "affirm" and len(text.split()) <= 2
        if answering(tracker, slot) and (too_short or only_yes):
            dispatcher.utter_message(response="utter_answer_too_short")
            return None
        return text or None

    def validate_opinion(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self._text_answer("opinion", value, dispatcher, tracker)
        if answer == SKIPPED:
            return {"opinion": SKIPPED, "reason": SKIPPED, "own_idea": SKIPPED}
        return {"opinion": answer}

    def validate_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"reason": self._text_answer("reason", value, dispatcher, tracker)}

    def validate_own_idea(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"own_idea": self._text_answer("own_idea", value, dispatcher, tracker)}

    def validate_wijk(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _skipped(tracker, "wijk", value):
            return {"wijk": SKIPPED}
        text = latest_text(tracker) if answering(tracker, "wijk") else ""
        # A typed sentence decides, not the entity in it: the entity alone loses "niet in" or "ver van".
        wijk = resolve_wijk(text if text and not text.startswith("/") else value)
        if wijk is None:
            dispatcher.utter_message(response="utter_wijk_unknown")
        return {"wijk": wijk}

    def validate_age_group(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _skipped(tracker, "age_group", value):
            return {"age_group": SKIPPED}
        group = resolve_age_group(value, load_places().age_groups)
        if group is None:
            dispatcher.utter_message(response="utter_age_group_unknown")
        return {"age_group": group}


def suggest_theme() -> ThemeDefinition:
    """The theme with the fewest responses so far; ties go to the first in the definition."""
    definition = active_consultation()
    try:
        counts = theme_response_counts(definition.slug)
    except Exception:  # the store may be down; a suggestion is still better than an error in the chat
        log.exception("Could not count responses per theme; suggesting the first theme")
        counts = {}
    return min(definition.themes, key=lambda theme: counts.get(theme.key, 0))


class ActionAskConsent(Action):
    def name(self) -> str:
        return "action_ask_consent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if _last_question(tracker) in CONSENT_QUESTIONS:
            # The full welcome was just shown; repeat only the question.
            dispatcher.utter_message(response="utter_consent_unclear", buttons=CONSENT_BUTTONS)
            return []
        definition = active_consultation()
        dispatcher.utter_message(
            response="utter_ask_consent",
            buttons=CONSENT_BUTTONS,
            municipality=definition.municipality,
            title=definition.title,
        )
        return []


class ActionAskTheme(Action):
    def name(self) -> str:
        return "action_ask_theme"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        opinion = tracker.get_slot("opinion")
        response = "utter_theme_for_opinion" if opinion and opinion != SKIPPED else "utter_ask_theme"
        dispatcher.utter_message(response=response, buttons=theme_buttons(active_consultation()) + [SUGGEST_BUTTON])
        return []


class ActionAskOpinion(Action):
    def name(self) -> str:
        return "action_ask_opinion"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        theme = active_consultation().theme(tracker.get_slot("theme"))
        dispatcher.utter_message(response="utter_theme_intro", theme_name=theme.name, explanation=theme.explanation)
        dispatcher.utter_message(response="utter_theme_question", question=theme.question)
        return []


class ActionAskWijk(Action):
    def name(self) -> str:
        return "action_ask_wijk"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        places = load_places()
        buttons = [{"title": wijk, "payload": button_payload("inform_wijk", "wijk", wijk)} for wijk in places.wijken]
        buttons.append({"title": f"Niet in {places.municipality}", "payload": button_payload("inform_wijk", "wijk", outside_label())})
        dispatcher.utter_message(response="utter_ask_wijk", buttons=buttons + [SKIP_BUTTON])
        return []


class ActionAskAgeGroup(Action):
    def name(self) -> str:
        return "action_ask_age_group"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        groups = load_places().age_groups
        buttons = [{"title": group, "payload": button_payload("inform_age_group", "age_group", group)} for group in groups]
        dispatcher.utter_message(response="utter_ask_age_group", buttons=buttons + [SKIP_BUTTON])
        return []
