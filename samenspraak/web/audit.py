"""Audit log entries for what staff do outside themes (accounts, imports, exports, analysis runs).

Theme edits are logged by topics/ itself; topics replays only its own actions, so these rows never affect
themes.
"""

from __future__ import annotations

from fastapi import Request

from samenspraak.contributions import consultation_by_slug
from samenspraak.store import AuditLog
from samenspraak.web.security import CurrentAccount

ACTION_LABELS = {
    "theme.rename": "Thema hernoemd",
    "theme.merge": "Thema's samengevoegd",
    "theme.split": "Thema gesplitst",
    "theme.follow_up": "'Wat doen we ermee' aangepast",
    "theme.review": "Thema beoordeeld",
    "response.move": "Reactie verplaatst",
    "response.exclude": "Reactie uitgesloten of weer meegenomen",
    "response.quote": "Citaat voor het boekje (aan of uit)",
    "account.create": "Account aangemaakt",
    "account.active": "Account aan- of uitgezet",
    "responses.import": "Bestand geïmporteerd",
    "responses.export": "Gegevens geëxporteerd",
    "topics.start": "Analyse gestart",
    "booklet.download": "Boekje gemaakt",
}
TARGET_ID_LENGTH = AuditLog.__table__.c.target_id.type.length


def record(
    request: Request, account: CurrentAccount, action: str, target_type: str, target_id: str | None, payload: dict
) -> None:
    with request.app.state.store.session() as session:
        consultation = consultation_by_slug(session, request.app.state.settings.consultation)
        session.add(
            AuditLog(
                consultation_id=consultation.id,
                account_id=account.id,
                action=action,
                target_type=target_type,
                # A long target (an import's file name) would not fit the column on PostgreSQL.
                target_id=target_id[:TARGET_ID_LENGTH] if target_id else target_id,
                payload=payload,
            )
        )
