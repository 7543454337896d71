"""Fixtures for the assistant's actions: rasa-sdk trackers and dispatchers, a migrated store, the domain."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from samenspraak import config
from samenspraak.store import Store

DOMAIN_FILE = Path(__file__).resolve().parents[2] / "bot" / "domain.yml"


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def bot_store(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The test's store, plus a var/ folder and tracker database of its own."""
    monkeypatch.setenv("SAMENSPRAAK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SAMENSPRAAK_TRACKER_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    monkeypatch.delenv("SAMENSPRAAK_KEEP_ORIGINAL", raising=False)
    monkeypatch.delenv("SAMENSPRAAK_CONSULTATION", raising=False)
    config.get_settings.cache_clear()
    yield store
    config.get_settings.cache_clear()


def make_tracker(
    slots: dict[str, Any] | None = None,
    intent: str | None = None,
    text: str = "",
    entities: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    sender_id: str = "gesprek-1",
) -> Tracker:
    latest = {"intent": {"name": intent, "confidence": 1.0} if intent else {}, "entities": entities or [], "text": text}
    return Tracker(
        sender_id=sender_id,
        slots=dict(slots or {}),
        latest_message=latest,
        events=list(events or []),
        paused=False,
        followup_action=None,
        active_loop={"name": "contribution_form"} if (slots or {}).get("requested_slot") else {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def tracker() -> Callable[..., Tracker]:
    return make_tracker


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def responses(dispatcher: CollectingDispatcher) -> list[str | None]:
    """The domain responses (or plain texts) the actions sent, in order."""
    return [message.get("response") or message.get("text") for message in dispatcher.messages]


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The last value each SlotSet event gives its slot."""
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}
