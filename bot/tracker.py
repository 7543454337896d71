"""Rasa's tracker store, seen from the main venv: forget, purge and export conversations (privacy).

Rasa keeps every message of a conversation in its SQL tracker store (table `events`), including the text
before redaction. When a resident deletes their contribution, the conversation must go too; after the retention
period every old event goes; a resident who asks what we hold gets their own transcript.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy import Engine, inspect, text

from samenspraak.config import get_settings
from samenspraak.store.db import make_engine

log = logging.getLogger(__name__)

TRACKER_URL_ENV = "SAMENSPRAAK_TRACKER_URL"
EVENTS_TABLE = "events"


def tracker_url() -> str:
    """SQLAlchemy URL of the tracker store: SQLite in var/rasa by default, PostgreSQL when configured."""
    configured = os.environ.get(TRACKER_URL_ENV, "").strip()
    if configured:
        return configured
    return f"sqlite:///{get_settings().var_dir / 'rasa' / 'tracker.db'}"


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return make_engine(url)


def forget_conversation(sender_id: str, url: str | None = None) -> int:
    """Delete every stored event of one conversation. Returns the number of events deleted.

    A store that Rasa has not created yet holds no conversation, so that is not an error.
    """
    engine = _engine(url or tracker_url())
    if not inspect(engine).has_table(EVENTS_TABLE):
        return 0
    with engine.begin() as connection:
        result = connection.execute(text(f"DELETE FROM {EVENTS_TABLE} WHERE sender_id = :sender"), {"sender": sender_id})
    return result.rowcount or 0


def purge_events_before(cutoff: datetime, url: str | None = None) -> int:
    """Retention: delete every event older than `cutoff`. Returns the number of events deleted.

    Rasa starts a new session after an hour of silence (domain.yml), so cutting days-old events never
    breaks a conversation in progress.
    """
    engine = _engine(url or tracker_url())
    if not inspect(engine).has_table(EVENTS_TABLE):
        return 0
    with engine.begin() as connection:
        result = connection.execute(
            text(f"DELETE FROM {EVENTS_TABLE} WHERE timestamp < :cutoff"), {"cutoff": cutoff.timestamp()}
        )
    return result.rowcount or 0


def transcript(sender_id: str, url: str | None = None) -> list[dict]:
    """What the resident and the assistant said in one conversation, in order (for the resident's own export)."""
    engine = _engine(url or tracker_url())
    if not inspect(engine).has_table(EVENTS_TABLE):
        return []
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                f"SELECT type_name, timestamp, data FROM {EVENTS_TABLE} "
                "WHERE sender_id = :sender AND type_name IN ('user', 'bot') ORDER BY id"
            ),
            {"sender": sender_id},
        ).all()
    lines = []
    for type_name, timestamp, data in rows:
        try:
            event = json.loads(data or "{}")
        except ValueError:  # an event in a form we do not know: leave it out rather than fail the export
            continue
        said = event.get("text") if isinstance(event, dict) else None
        if said:
            lines.append(
                {
                    "wie": "inwoner" if type_name == "user" else "assistent",
                    "tijd": datetime.fromtimestamp(timestamp, timezone.utc).isoformat() if timestamp else None,
                    "tekst": said,
                }
            )
    return lines


def _turn_saved(engine: Engine, sender_id: str, action_name: str, since: float) -> bool:
    if not inspect(engine).has_table(EVENTS_TABLE):
        return False
    with engine.connect() as connection:
        found = connection.execute(
            text(
                f"SELECT 1 FROM {EVENTS_TABLE} WHERE sender_id = :sender AND action_name = :action "
                "AND timestamp >= :since LIMIT 1"
            ),
            {"sender": sender_id, "action": action_name, "since": since},
        ).first()
    return found is not None


def forget_after_turn(
    sender_id: str,
    action_name: str,
    since: float,
    url: str | None = None,
    timeout: float = 30.0,
    poll_interval: float = 0.2,
) -> bool:
    """Wait until Rasa has saved the turn in which `action_name` ran, then forget the conversation.

    An action runs while Rasa still holds the conversation in memory: deleting earlier would make Rasa write
    all events back when it saves the turn. Rasa saves a turn in one transaction, so once the action's own
    event is stored, the turn is complete. Returns False when the turn did not appear within `timeout`.
    """
    engine = _engine(url or tracker_url())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _turn_saved(engine, sender_id, action_name, since):
            forget_conversation(sender_id, url)
            return True
        time.sleep(poll_interval)
    log.warning("Conversation %s not forgotten: its turn was not saved within %.0f s", sender_id, timeout)
    return False


def forget_in_background(sender_id: str, action_name: str, since: float) -> threading.Thread:
    """Run forget_after_turn without blocking the action's reply (Rasa saves only after the reply)."""
    thread = threading.Thread(
        target=forget_after_turn, args=(sender_id, action_name, since), name=f"forget-{sender_id}", daemon=True
    )
    thread.start()
    return thread
