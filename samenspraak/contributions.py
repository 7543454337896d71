"""Saving, finding and deleting contributions: the one write path every channel uses.

Each new text is redacted (and analysed) by nlp/ before it is stored; the original is kept only when the
policy says so. A resident gets a personal code to view or delete their contribution later; only an HMAC of
that code is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from samenspraak.config import get_settings
from samenspraak.consultations import ConsultationDefinition, load_consultation, load_places
from samenspraak.store import (
    CHANNELS,
    Consultation,
    EmbeddingCache,
    Interview,
    Response,
    Store,
    Theme,
    ThemeAssignment,
    get_store,
)

OTHER_THEME_KEY = "overig"
MAX_TEXT_LENGTH = 20_000
# No 0/O, 1/I/L: the code is read aloud and typed over from a screen.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


class ContributionError(ValueError):
    """Input that cannot be stored; the message is Dutch and meant for the person who typed it."""


@dataclass(frozen=True)
class SavedContribution:
    response_id: int
    personal_code: str | None
    duplicate: bool


def normalised_code(code: str) -> str | None:
    """A typed personal code in its printed form (K7PQR-M3XWD), or None when it cannot be one."""
    cleaned = code.strip().upper().replace(" ", "").replace("-", "")
    if len(cleaned) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in cleaned):
        return None
    return f"{cleaned[:5]}-{cleaned[5:]}"


def new_personal_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def hash_personal_code(code: str) -> str:
    normalised = code.strip().upper().replace(" ", "").replace("-", "")
    key = get_settings().secret_key.encode()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def sync_consultation(session: Session, definition: ConsultationDefinition) -> Consultation:
    """Create or update a consultation and its vision themes from its definition file.

    Staff renames are kept: only themes nobody has reviewed get the definition's name again.
    """
    consultation = session.scalar(select(Consultation).where(Consultation.slug == definition.slug))
    if consultation is None:
        consultation = Consultation(slug=definition.slug)
        session.add(consultation)
    consultation.title = definition.title
    consultation.kind = definition.kind
    consultation.municipality = definition.municipality
    consultation.year = definition.year
    consultation.source = definition.source
    consultation.intro = definition.intro
    session.flush()

    existing = {theme.key: theme for theme in session.scalars(select(Theme).where(Theme.consultation_id == consultation.id))}
    for position, item in enumerate(definition.themes):
        theme = existing.get(item.key) or Theme(consultation_id=consultation.id, key=item.key, kind="vision")
        if not theme.reviewed:
            theme.name = item.name
        theme.explanation = item.explanation
        theme.question = item.question
        theme.seed_phrases = list(item.seed_phrases)
        theme.position = position
        session.add(theme)
    if OTHER_THEME_KEY not in existing:
        session.add(
            Theme(
                consultation_id=consultation.id,
                key=OTHER_THEME_KEY,
                kind="other",
                name="Buiten de visie / overig",
                explanation="Reacties die niet over de thema's van de visie gaan.",
                position=len(definition.themes),
            )
        )
    session.flush()
    return consultation


def _lock_sqlite_for_writing(session: Session) -> None:
    # SQLite: a transaction that reads and then writes fails at once ("database is locked", no busy wait) when
    # another process committed in between; taking the write lock first makes it wait its turn instead.
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def consultation_by_slug(session: Session, slug: str) -> Consultation:
    consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is not None:
        return consultation
    # The definition file is the source of truth; a store that has not seen it yet learns it now. Two requests
    # may both try (e.g. a dashboard view and a chat save): the loser re-reads the winner's row.
    definition = load_consultation(slug)
    _lock_sqlite_for_writing(session)
    consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        try:
            with session.begin_nested():
                consultation = sync_consultation(session, definition)
        except IntegrityError:
            consultation = session.scalars(select(Consultation).where(Consultation.slug == slug)).one()
    return consultation


def analyse_texts(texts: list[str]) -> list[dict]:
    """Redact and analyse texts in one batch, as the Response columns want them."""
    import nlp  # nlp/ owns spaCy; imported here so store-only tools do not load a pipeline

    return [
        {
            "text_redacted": item.redacted,
            "language": item.language,
            "lemmas": list(item.lemmas),
            "key_phrases": list(item.key_phrases),
            "is_non_answer": item.is_non_answer,
        }
        for item in nlp.analyse(texts)
    ]


def is_storable(text: str) -> bool:
    """Whether PostgreSQL (and UTF-8) can hold this text.

    Python strings may carry NUL or a lone surrogate (half an emoji, e.g. from JSON "\\ud800"); the database
    refuses both, so every way in checks with this before storing.
    """
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _validated_text(text: str | None) -> str:
    if text is None or not text.strip():
        raise ContributionError("De reactie is leeg. Typ eerst wat u wilt zeggen.")
    text = text.strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise ContributionError(f"De reactie is te lang (meer dan {MAX_TEXT_LENGTH} tekens). Maak haar korter.")
    if not is_storable(text):
        raise ContributionError("De reactie bevat tekens die we niet kunnen opslaan.")
    return text


def _validated_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise ContributionError(f"Onbekend kanaal '{channel}'. Kies uit: {', '.join(CHANNELS)}.")
    return channel


def validated_age_group(age_group: str | None) -> str | None:
    """One of the configured age groups; a plain age ("45") is placed in its group."""
    if not age_group or not age_group.strip():
        return None
    value = age_group.strip()
    groups = load_places().age_groups
    if value in groups:
        return value
    # isdigit() would also accept "²" and "①", which int() refuses; no one is older than three digits.
    if value.isdecimal() and len(value) <= 3:
        for group in groups:
            if _age_in_group(int(value), group):
                return group
    raise ContributionError(f"Onbekende leeftijdsgroep '{value[:40]}'. Kies uit: {', '.join(groups)}.")


def clean_wijk(wijk: str | None) -> str | None:
    """The official spelling of a known wijk; other text is kept as typed (staff can read it)."""
    if not wijk or not wijk.strip():
        return None
    return load_places().canonical_wijk(wijk) or wijk.strip()[:100]


def _age_in_group(age: int, group: str) -> bool:
    # Group labels look like "tot 18", "18-34" or "75+".
    label = group.replace(" ", "")
    if label.startswith("tot") and label[3:].isdigit():
        return age < int(label[3:])
    if label.endswith("+") and label[:-1].isdigit():
        return age >= int(label[:-1])
    low, _, high = label.partition("-")
    return low.isdigit() and high.isdigit() and int(low) <= age <= int(high)


def save_contribution(
    *,
    consultation: str,
    channel: str,
    text: str,
    theme_key: str | None = None,
    wijk: str | None = None,
    age_group: str | None = None,
    consent: bool = True,
    chat_session_id: str | None = None,
    interview_id: int | None = None,
    idempotency_key: str | None = None,
    personal_code: str | None = None,
    issue_personal_code: bool = False,
    created_at: datetime | None = None,
    analysis: dict | None = None,
    store: Store | None = None,
) -> SavedContribution:
    """Redact, analyse and store one contribution, committed before this returns.

    With an idempotency key already in the store, nothing new is written and the first response is returned
    (a re-sent chat message or offline queue entry must not count twice).
    """
    store = store or get_store()
    text = _validated_text(text)
    channel = _validated_channel(channel)
    if not consent:
        raise ContributionError("Zonder toestemming slaan we uw reactie niet op.")
    age_group = validated_age_group(age_group)
    wijk = clean_wijk(wijk)

    if idempotency_key:
        # A re-sent entry must not be analysed again just to be thrown away.
        with store.session() as session:
            existing = session.scalar(select(Response.id).where(Response.idempotency_key == idempotency_key))
        if existing is not None:
            return SavedContribution(existing, None, duplicate=True)

    fields = analysis if analysis is not None else analyse_texts([text])[0]
    if personal_code is None and issue_personal_code:
        personal_code = new_personal_code()
    settings = get_settings()
    row = {
        "channel": channel,
        "text_original": text if settings.keep_original_text else None,
        "theme_hint": theme_key,
        "wijk": wijk,
        "age_group": age_group,
        "consent": consent,
        "chat_session_id": chat_session_id,
        "interview_id": interview_id,
        "personal_code_hash": hash_personal_code(personal_code) if personal_code else None,
        "idempotency_key": idempotency_key,
        "created_at": created_at or datetime.now(timezone.utc),
        **fields,
    }

    def insert(session: Session) -> int:
        consultation_row = consultation_by_slug(session, consultation)
        _check_theme_keys(session, consultation_row, [theme_key] if theme_key else ())
        response = Response(consultation_id=consultation_row.id, **row)
        session.add(response)
        session.flush()
        return response.id

    response_id, created = _write_once(store, insert, Response, idempotency_key)
    return SavedContribution(response_id, personal_code if created else None, duplicate=not created)


def _check_theme_keys(session: Session, consultation: Consultation, keys: Collection[str]) -> None:
    """Refuse theme keys (a resident's or reporter's choice) that this consultation does not have."""
    if not keys:
        return
    known = set(
        session.scalars(select(Theme.key).where(Theme.consultation_id == consultation.id, Theme.key.in_(set(keys))))
    )
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise ContributionError(f"Onbekend thema '{unknown[0]}'.")


def _write_once(
    store: Store, insert: Callable[[Session], int], model: type[Response | Interview], key: str | None, attempts: int = 3
) -> tuple[int, bool]:
    """Run `insert` in a transaction unless a row with this idempotency key exists; returns (id, created).

    On a unique-key race the row the other writer made is returned.

    A race can also be on a row `insert` creates on the way (the consultation on first use): then the write is
    simply tried again, and it succeeds because that row now exists.
    """
    def attempt() -> tuple[int, bool]:
        with store.session() as session:
            existing = session.scalar(select(model.id).where(model.idempotency_key == key)) if key else None
            if existing is not None:
                return existing, False
            return insert(session), True

    for _ in range(attempts - 1):
        try:
            return attempt()
        except IntegrityError:
            continue
    return attempt()


def contributions_for_code(code: str, store: Store | None = None) -> list[Response]:
    """A resident's own contributions, redacted text only."""
    store = store or get_store()
    with store.session() as session:
        return list(
            session.scalars(
                select(Response)
                .where(Response.personal_code_hash == hash_personal_code(code))
                .order_by(Response.created_at)
            )
        )


def delete_by_code(code: str, store: Store | None = None) -> list[str]:
    """Delete a resident's contributions with their theme assignments and embedding cache entries.

    Returns the chat session ids involved, so the caller can also forget those conversations in Rasa.
    """
    store = store or get_store()
    code_hash = hash_personal_code(code)
    with store.session() as session:
        rows = session.execute(
            select(Response.id, Response.chat_session_id, Response.text_redacted).where(
                Response.personal_code_hash == code_hash
            )
        ).all()
        if not rows:
            return []
        ids = [row.id for row in rows]
        session.execute(delete(ThemeAssignment).where(ThemeAssignment.response_id.in_(ids)))
        texts = {row.text_redacted for row in rows}
        # A vector is keyed by text only: keep it while someone else's response has the same text.
        shared = set(
            session.scalars(
                select(Response.text_redacted).where(Response.text_redacted.in_(texts), Response.id.not_in(ids))
            )
        )
        hashes = [text_hash(value) for value in texts - shared]
        if hashes:
            session.execute(delete(EmbeddingCache).where(EmbeddingCache.text_hash.in_(hashes)))
        session.execute(delete(Response).where(Response.id.in_(ids)))
    return sorted({row.chat_session_id for row in rows if row.chat_session_id})


def export_for_code(code: str, store: Store | None = None) -> dict:
    """Everything held about one personal code, for the resident (GDPR right of access).

    The responses with their themes, consent, wijk and age group, and the chat transcripts Rasa still holds.
    """
    from bot.tracker import transcript  # bot/ owns the tracker store

    store = store or get_store()
    with store.session() as session:
        responses = list(
            session.scalars(
                select(Response)
                .where(Response.personal_code_hash == hash_personal_code(code))
                .options(selectinload(Response.assignments).selectinload(ThemeAssignment.theme))
                .order_by(Response.created_at, Response.id)
            )
        )
        slugs = dict(session.execute(select(Consultation.id, Consultation.slug)).all())
    contributions = [
        {
            "consultatie": slugs.get(response.consultation_id),
            "kanaal": CHANNELS.get(response.channel, response.channel),
            "datum": response.created_at.isoformat(),
            "tekst": response.text_redacted,
            "originele_tekst": response.text_original,
            "gekozen_thema": response.theme_hint,
            "themas": [
                {
                    "thema": assignment.theme.name,
                    "ingedeeld_door": "medewerker" if assignment.source == "staff" else "computer",
                    "zekerheid": assignment.confidence,
                    "citaat_in_boekje": assignment.is_quote,
                }
                for assignment in response.assignments
            ],
            "wijk": response.wijk,
            "leeftijdsgroep": response.age_group,
            "toestemming": response.consent,
            "telt_niet_mee": response.excluded,
        }
        for response in responses
    ]
    sessions = sorted({response.chat_session_id for response in responses if response.chat_session_id})
    return {
        "code": code,
        "bijdragen": contributions,
        "gesprekken": [messages for session_id in sessions if (messages := transcript(session_id))],
    }


def text_hash(text: str) -> str:
    """The embedding cache key of a (redacted) text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def purge_original_texts(days: int, store: Store | None = None) -> int:
    """Retention: forget original texts older than `days`; the redacted text stays."""
    store = store or get_store()
    cutoff = datetime.now(timezone.utc) - timedelta(days=days)
    with store.session() as session:
        result = session.execute(
            update(Response)
            .where(Response.text_original.is_not(None), Response.stored_at < cutoff)
            .values(text_original=None)
        )
        return result.rowcount or 0


def theme_response_counts(consultation: str, store: Store | None = None) -> dict[str, int]:
    """Contributions per vision theme (staff/model assignment, else the theme the resident chose).

    Excluded responses are left out: excluding one removes its assignments, but not the theme it was given.
    """
    store = store or get_store()
    with store.session() as session:
        consultation_row = consultation_by_slug(session, consultation)
        themes = session.execute(
            select(Theme.id, Theme.key).where(Theme.consultation_id == consultation_row.id, Theme.kind == "vision")
        ).all()
        counts = {key: 0 for _, key in themes}
        by_id = {theme_id: key for theme_id, key in themes}
        assigned = session.execute(
            select(ThemeAssignment.theme_id, func.count(func.distinct(ThemeAssignment.response_id)))
            .where(ThemeAssignment.theme_id.in_(by_id))
            .group_by(ThemeAssignment.theme_id)
        ).all()
        for theme_id, count in assigned:
            counts[by_id[theme_id]] += count
        hinted = session.execute(
            select(Response.theme_hint, func.count())
            .where(
                Response.consultation_id == consultation_row.id,
                Response.theme_hint.in_(counts),
                Response.excluded.is_(False),
                ~Response.assignments.any(),
            )
            .group_by(Response.theme_hint)
        ).all()
        for key, count in hinted:
            counts[key] += count
        return counts


def create_interview(
    *,
    consultation: str,
    reporter_id: int | None,
    place: str | None,
    held_at: datetime | None,
    wijk: str | None,
    age_group: str | None,
    idempotency_key: str | None,
    external_ref: str | None = None,
    theme_keys: Collection[str] = (),
    store: Store | None = None,
) -> tuple[int, bool]:
    """Create a street interview (or find the one with this idempotency key). Returns (id, created).

    `theme_keys` are the themes its statements will be saved with: checked first, so an entry with an unknown
    theme stores nothing rather than an interview without all its statements.
    """
    store = store or get_store()
    age_group = validated_age_group(age_group)

    def insert(session: Session) -> int:
        consultation_row = consultation_by_slug(session, consultation)
        _check_theme_keys(session, consultation_row, theme_keys)
        interview = Interview(
            consultation_id=consultation_row.id,
            reporter_id=reporter_id,
            place=place.strip() if place and place.strip() else None,
            held_at=held_at or datetime.now(timezone.utc),
            wijk=clean_wijk(wijk),
            age_group=age_group,
            idempotency_key=idempotency_key,
            external_ref=external_ref,
        )
        session.add(interview)
        session.flush()
        return interview.id

    return _write_once(store, insert, Interview, idempotency_key)
