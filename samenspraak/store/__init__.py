"""The response store (SQLAlchemy 2 + Alembic)."""

from samenspraak.store.db import Store, get_store
from samenspraak.store.models import (
    CHANNELS,
    AuditLog,
    Account,
    Base,
    Consultation,
    EmbeddingCache,
    Interview,
    Response,
    Theme,
    ThemeAssignment,
    TopicRun,
)

__all__ = [
    "CHANNELS",
    "Account",
    "AuditLog",
    "Base",
    "Consultation",
    "EmbeddingCache",
    "Interview",
    "Response",
    "Store",
    "Theme",
    "ThemeAssignment",
    "TopicRun",
    "get_store",
]
