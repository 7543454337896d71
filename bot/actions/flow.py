"""Actions around the form: summary, saving, another theme, interruptions, stop, delete and goodbye."""

from __future__ import annotations

import asyncio
import hashlib
from abc import ABC, abstractmethod
import logging
import time

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.common import (
    CONTRIBUTION_SLOTS,
    QUESTION_ORDER,
    SKIPPED,
    active_consultation,
    clear_contribution,
    contains_insult,
    latest_text,
    resolve_theme,
    shown,
    stored,
    theme_buttons,
)
from bot.tracker import forget_in_background
from samenspraak.config import get_settings
from samenspraak.consultations import load_places
from samenspraak.contributions import ContributionError, delete_by_code, new_personal_code, save_contribution

log = logging.getLogger(__name__)

DONE_BUTTON = {"title": "Nee, ik ben klaar", "payload": "/deny"}


def offer_another_theme(dispatcher: CollectingDispatcher) -> list[EventType]:
    dispatcher.utter_message(
        response="utter_choose_another_theme", buttons=theme_buttons(active_consultation()) + [DONE_BUTTON]
    )
    return [SlotSet("confirming", "another_theme")]


def contribution_text(opinion: str | None, reason: str | None, own_idea: str | None) -> str:
    """The three answers as one stored text; skipped answers are left out."""
    parts = [stored(opinion)]
    if stored(reason):
        parts.append(f"Waarom: {reason}")
    if stored(own_idea):
        parts.append(f"Zelf doen of nodig: {own_idea}")
    return "\n\n".join(part for part in parts if part)


def idempotency_key(sender_id: str, theme: str | None, text: str) -> str:
    """The same confirmed answer in the same conversation is stored once, also when 'ja' is sent twice."""
    digest = hashlib.sha256(f"{sender_id}\x1f{theme}\x1f{text}".encode()).hexdigest()
    return f"chat-{digest[:40]}"


def _theme_from_message(tracker: Tracker) -> str | None:
    definition = active_consultation()
    for value in tracker.get_latest_entity_values("theme"):
        theme = resolve_theme(value, definition)
        if theme:
            return theme.key
    return None


class ActionSummarise(Action):
    """After the form: no consent, nothing to save, or the summary to confirm."""

    def name(self) -> str:
        return "action_summarise"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("consent") is not True:
            dispatcher.utter_message(response="utter_no_consent")
            # Nothing typed before the refusal is kept; a later "hallo" asks for consent again.
            return [SlotSet("consent", None), SlotSet("confirming", None)] + clear_contribution()
        if stored(tracker.get_slot("opinion")) is None:
            dispatcher.utter_message(response="utter_nothing_to_save")
            return clear_contribution() + offer_another_theme(dispatcher)
        theme = active_consultation().theme(tracker.get_slot("theme"))
        dispatcher.utter_message(
            response="utter_summary",
            theme_name=theme.name,
            opinion=tracker.get_slot("opinion"),
            reason=shown(tracker.get_slot("reason")),
            own_idea=shown(tracker.get_slot("own_idea")),
            wijk=shown(tracker.get_slot("wijk")),
            age_group=shown(tracker.get_slot("age_group")),
        )
        # The code exists before the first save, so a save whose reply got lost can be repeated with it.
        code = tracker.get_slot("personal_code") or new_personal_code()
        return [SlotSet("personal_code", code), SlotSet("confirming", "contribution")]


class ActionSaveContribution(Action):
    def name(self) -> str:
        return "action_save_contribution"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        theme = tracker.get_slot("theme")
        text = contribution_text(tracker.get_slot("opinion"), tracker.get_slot("reason"), tracker.get_slot("own_idea"))
        code = tracker.get_slot("personal_code") or new_personal_code()
        try:
            # rasa-sdk runs actions on its event loop: redaction (spaCy) and the write in a thread, so the other
            # conversations' actions are not held up meanwhile.
            await asyncio.to_thread(
                save_contribution,
                consultation=active_consultation().slug,
                channel="chat",
                text=text,
                theme_key=theme,
                wijk=stored(tracker.get_slot("wijk")),
                age_group=stored(tracker.get_slot("age_group")),
                consent=tracker.get_slot("consent") is True,
                chat_session_id=tracker.sender_id,
                idempotency_key=idempotency_key(tracker.sender_id, theme, text),
                personal_code=code,
            )
        except ContributionError as exc:
            dispatcher.utter_message(text=str(exc))
            return [SlotSet("personal_code", code), SlotSet("confirming", "contribution")]
        except Exception:  # database or NLP failure: the answer stays in the conversation for another try
            log.exception("Saving a chat contribution failed")
            dispatcher.utter_message(response="utter_save_failed")
            return [SlotSet("personal_code", code), SlotSet("confirming", "contribution")]
        # The code already now, in case the resident closes the window before the goodbye.
        dispatcher.utter_message(response="utter_saved", code=code)
        return (
            [SlotSet("personal_code", code), SlotSet("has_saved", True)]
            + clear_contribution()
            + offer_another_theme(dispatcher)
        )


class ActionRedoContribution(Action):
    """The summary was wrong: ask the three questions again for the same theme."""

    def name(self) -> str:
        return "action_redo_contribution"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_redo")
        return [SlotSet("opinion", None), SlotSet("reason", None), SlotSet("own_idea", None), SlotSet("confirming", None)]


class ActionNewTheme(Action):
    """Start a new contribution, with the theme from the message (button or text) when there is one."""

    def name(self) -> str:
        return "action_new_theme"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return clear_contribution() + [SlotSet("theme", _theme_from_message(tracker)), SlotSet("confirming", None)]


class ActionTakeOpinion(Action):
    """An opinion or idea typed without a question: keep it and let the form ask the rest.

    Typed at the summary, it is an addition: it joins the answer waiting for a "ja", which is summarised again.
    """

    def name(self) -> str:
        return "action_take_opinion"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = latest_text(tracker)
        if contains_insult(text):
            dispatcher.utter_message(response="utter_insult_not_stored")
            return [SlotSet("confirming", None)]
        opinion = tracker.get_slot("opinion")
        if tracker.get_slot("confirming") == "contribution" and opinion:
            dispatcher.utter_message(response="utter_added_to_answer")
            return [SlotSet("opinion", f"{opinion} {text}"), SlotSet("confirming", None)]
        theme = _theme_from_message(tracker) or tracker.get_slot("theme")
        return [
            SlotSet("theme", theme),
            SlotSet("opinion", text),
            SlotSet("reason", None),
            SlotSet("own_idea", None),
            SlotSet("confirming", None),
        ]


class ActionExplainVision(Action):
    def name(self) -> str:
        return "action_explain_vision"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        definition = active_consultation()
        dispatcher.utter_message(response="utter_vision", title=definition.title, intro=definition.intro)
        dispatcher.utter_message(
            response="utter_vision_themes", themes=", ".join(theme.name for theme in definition.themes)
        )
        return []


class ActionReferToService(Action):
    """A service request or report belongs with the municipality's own channels, named in data/places/."""

    def name(self) -> str:
        return "action_refer_to_service"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_service", service_contact=load_places().service_contact)
        return []


def original_text_policy() -> str:
    settings = get_settings()
    if not settings.keep_original_text:
        return "We bewaren alleen de tekst waaruit die gegevens zijn weggehaald."
    if settings.retention_days:
        return (
            f"Je oorspronkelijke tekst bewaren we {settings.retention_days} dagen, zodat medewerkers fouten kunnen "
            "herstellen. Daarna blijft alleen de tekst zonder die gegevens over."
        )
    return "Je oorspronkelijke tekst bewaren we ook. Alleen medewerkers van de gemeente kunnen die zien."


class ActionExplainPrivacy(Action):
    def name(self) -> str:
        return "action_explain_privacy"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_privacy", original_text_policy=original_text_policy())
        return []


class ActionGoBack(Action):
    """Clear the answer before the current question, so the form asks it again."""

    def name(self) -> str:
        return "action_go_back"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        # Outside the form (at the summary) only this contribution's answers count, not wijk or age group.
        earlier = QUESTION_ORDER[: QUESTION_ORDER.index(requested)] if requested in QUESTION_ORDER else CONTRIBUTION_SLOTS
        filled = [slot for slot in earlier if tracker.get_slot(slot) is not None]
        if tracker.get_slot("theme") is None or not filled:
            dispatcher.utter_message(response="utter_go_back_at_start")
            return [SlotSet("confirming", None)]
        slot = filled[-1]
        events = [SlotSet(slot, None), SlotSet("confirming", None)]
        if slot == "opinion" and tracker.get_slot("reason") == SKIPPED:
            # A skipped opinion also skipped the probes; going back to it asks them again.
            events += [SlotSet("reason", None), SlotSet("own_idea", None)]
        dispatcher.utter_message(response="utter_go_back")
        return events


class _ReplyAction(Action, ABC):
    """Send one response and set which yes/no question the bot now waits for (None: no question)."""

    response: str
    waits_for: str | None = None

    @property
    @abstractmethod
    def action_name(self) -> str: ...

    def name(self) -> str:
        return self.action_name

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response=self.response)
        return [SlotSet("confirming", self.waits_for)]


class ActionAskStop(_ReplyAction):
    action_name = "action_ask_stop"
    response = "utter_ask_stop"
    waits_for = "stop"


class ActionContinue(_ReplyAction):
    action_name = "action_continue"
    response = "utter_continue"


class ActionAskDelete(_ReplyAction):
    action_name = "action_ask_delete"
    response = "utter_ask_delete"
    waits_for = "delete"


class ActionKeepContributions(_ReplyAction):
    action_name = "action_keep_contributions"
    response = "utter_kept"


class ActionFinish(Action):
    """Goodbye, with the personal code when something was saved."""

    def name(self) -> str:
        return "action_finish"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("has_saved") and tracker.get_slot("personal_code"):
            dispatcher.utter_message(response="utter_personal_code", code=tracker.get_slot("personal_code"))
        dispatcher.utter_message(response="utter_goodbye")
        return clear_contribution() + [SlotSet("confirming", "finished")]


class ActionRestart(Action):
    """Overrides Rasa's action_restart: start a new theme, keep consent, wijk, age group and what was saved."""

    def name(self) -> str:
        return "action_restart"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_restart")
        return clear_contribution() + [SlotSet("confirming", None)]


class ActionDeleteContributions(Action):
    """Delete everything saved in this conversation, then the conversation itself from the tracker store."""

    def name(self) -> str:
        return "action_delete_contributions"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        started = time.time()
        code = tracker.get_slot("personal_code")
        if not (tracker.get_slot("has_saved") and code):
            dispatcher.utter_message(response="utter_nothing_saved")
            return [SlotSet("confirming", None)]
        try:
            await asyncio.to_thread(delete_by_code, code)
        except Exception:
            log.exception("Deleting chat contributions failed")
            dispatcher.utter_message(response="utter_delete_failed")
            return [SlotSet("confirming", None)]
        forget_in_background(tracker.sender_id, self.name(), started)
        dispatcher.utter_message(response="utter_deleted")
        return clear_contribution() + [
            SlotSet("has_saved", False),
            SlotSet("personal_code", None),
            SlotSet("confirming", None),
        ]
