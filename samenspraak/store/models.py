"""The response store: one schema for the whole samenspraak cycle.

channel → response (+ interview) → theme assignment (model or staff) → reviewed theme → booklet.
Staff edits are recorded in `audit_log` so that topics/ can re-apply them after every re-fit.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True)}


# Channels of the seed's samenspraak; labels are what staff and booklets show.
CHANNELS: dict[str, str] = {
    "chat": "Chat op de website",
    "straat": "Straatinterviews (razende reporters)",
    "web": "Reactieformulier website",
    "intern": "Medewerkers gemeente",
    "partners": "Partners in de stad",
    "import": "Geïmporteerd bestand",
}

ROLES = ("reporter", "staff", "admin")
ASSIGNMENT_SOURCES = ("model", "staff")
THEME_KINDS = ("vision", "subtheme", "other")


class Consultation(Base):
    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(100))
    municipality: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    intro: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    themes: Mapped[list[Theme]] = relationship(back_populates="consultation", order_by="Theme.position")


class Theme(Base):
    """A theme: a vision theme from the definition file, an emergent subtheme, or the 'overig' bucket."""

    __tablename__ = "theme"
    __table_args__ = (UniqueConstraint("consultation_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="vision")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    model_label: Mapped[str | None] = mapped_column(String(200))
    explanation: Mapped[str | None] = mapped_column(Text)
    question: Mapped[str | None] = mapped_column(Text)
    seed_phrases: Mapped[list] = mapped_column(JSON, default=list)
    key_phrases: Mapped[list] = mapped_column(JSON, default=list)
    summary: Mapped[str | None] = mapped_column(Text)
    # "Wat doen we ermee": the municipality's answer, written by staff.
    follow_up: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="SET NULL"))
    centroid: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="themes")


class Account(Base):
    """Reporter and staff accounts. Residents never have an account: they get a personal code."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Sessions are signed cookies: raising this on logout makes every copy of an old cookie worthless.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Interview(Base):
    """One street interview by a razende reporter; holds one or more responses."""

    __tablename__ = "interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    external_ref: Mapped[str | None] = mapped_column(String(100))
    place: Mapped[str | None] = mapped_column(String(200))
    held_at: Mapped[datetime] = mapped_column(default=utcnow)
    wijk: Mapped[str | None] = mapped_column(String(100))
    age_group: Mapped[str | None] = mapped_column(String(20))
    # Client-generated, so a re-sync of the offline queue never creates a second interview.
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    responses: Mapped[list[Response]] = relationship(back_populates="interview")


class Response(Base):
    __tablename__ = "response"
    __table_args__ = (
        Index("ix_response_consultation_channel", "consultation_id", "channel"),
        Index("ix_response_personal_code", "personal_code_hash"),
        Index("ix_response_chat_session", "chat_session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    # Kept only when the policy says so (SAMENSPRAAK_KEEP_ORIGINAL) and purged after the retention period.
    text_original: Mapped[str | None] = mapped_column(Text)
    text_redacted: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    is_non_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    lemmas: Mapped[list | None] = mapped_column(JSON)
    key_phrases: Mapped[list | None] = mapped_column(JSON)
    theme_hint: Mapped[str | None] = mapped_column(String(100))
    wijk: Mapped[str | None] = mapped_column(String(100))
    age_group: Mapped[str | None] = mapped_column(String(20))
    consent: Mapped[bool] = mapped_column(Boolean, default=True)
    chat_session_id: Mapped[str | None] = mapped_column(String(100))
    interview_id: Mapped[int | None] = mapped_column(ForeignKey("interview.id", ondelete="CASCADE"))
    # Only a hash of the resident's personal code is stored: the code itself is the resident's key.
    personal_code_hash: Mapped[str | None] = mapped_column(String(64))
    # Dedup key: client idempotency key, or a hash of an imported row.
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)

    interview: Mapped[Interview | None] = relationship(back_populates="responses")
    assignments: Mapped[list[ThemeAssignment]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class ThemeAssignment(Base):
    """A response's link to a theme. Multi-label: a response may touch two themes."""

    __tablename__ = "theme_assignment"
    __table_args__ = (UniqueConstraint("response_id", "theme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(10), default="model")
    confidence: Mapped[float | None] = mapped_column(Float)
    # Staff marked this response as a quote for the booklet of this theme.
    is_quote: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    response: Mapped[Response] = relationship(back_populates="assignments")
    theme: Mapped[Theme] = relationship()


class AuditLog(Base):
    """Every staff edit, in order. topics/ replays the theme edits after a re-fit."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(50))
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EmbeddingCache(Base):
    __tablename__ = "embedding_cache"

    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    dimensions: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TopicRun(Base):
    """One fit or assignment run of topics/, so a half-finished run is visible and never half-applied."""

    __tablename__ = "topic_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="running")
    model_name: Mapped[str | None] = mapped_column(String(200))
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
