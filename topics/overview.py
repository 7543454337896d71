"""What staff pages and booklets read: themes with counts, key phrases, summary, quotes, and the 2-D map.

Reads only the store (no model is loaded): quotes are chosen with the cached embeddings of the last fit's
model, central to the theme and unlike each other; staff-marked quotes always come first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from samenspraak.contributions import consultation_by_slug
from samenspraak.store import Response, Store, Theme, ThemeAssignment, TopicRun, get_store
from topics.edits import get_theme
from topics.embeddings import stored_vectors
from topics.errors import definition_errors_as_topics_errors
from topics.model import central_and_diverse
from topics.runs import RUN_ASSIGN, RUN_FIT, last_fit

QUOTES_PER_THEME = 5
NO_WIJK = "onbekend"


@dataclass
class Quote:
    response_id: int
    text: str
    channel: str
    wijk: str | None
    is_quote_marked: bool
    confidence: float | None


@dataclass
class ThemeSummary:
    theme_id: int
    key: str
    name: str
    kind: str
    parent_id: int | None
    count: int
    counts_by_channel: dict[str, int]
    counts_by_wijk: dict[str, int]
    counts_by_date: dict[str, int]
    key_phrases: list[str]
    summary: str | None
    follow_up: str | None
    quotes: list[Quote]
    subthemes: list[ThemeSummary] = field(default_factory=list)
    reviewed: bool = False
    explanation: str | None = None


@dataclass
class ThemeResponse:
    response_id: int
    text: str
    channel: str
    wijk: str | None
    created_at: datetime
    confidence: float | None
    source: str
    is_quote: bool


def _members(session: Session, consultation_id: int) -> dict[int, list]:
    """theme id -> member rows (assignment + response fields), excluded responses left out."""
    rows = session.execute(
        select(
            ThemeAssignment.theme_id, ThemeAssignment.confidence, ThemeAssignment.source, ThemeAssignment.is_quote,
            Response.id, Response.text_redacted, Response.channel, Response.wijk, Response.created_at,
        )
        .join(Response, Response.id == ThemeAssignment.response_id)
        .where(Response.consultation_id == consultation_id, Response.excluded.is_(False))
        .order_by(Response.id)
    )
    members: dict[int, list] = {}
    for row in rows:
        members.setdefault(row.theme_id, []).append(row)
    return members


def _quotes(theme: Theme, rows: list, vectors: dict[str, np.ndarray]) -> list[Quote]:
    marked = [r for r in rows if r.is_quote]
    rest = [r for r in rows if not r.is_quote]
    with_vectors = [r for r in rest if r.text_redacted in vectors]
    if theme.centroid and with_vectors:
        matrix = np.vstack([vectors[r.text_redacted] for r in with_vectors])
        picked = [with_vectors[i] for i in central_and_diverse(matrix, np.frombuffer(theme.centroid, dtype=np.float32), QUOTES_PER_THEME)]
    else:
        picked = sorted(rest, key=lambda r: -(r.confidence or 0.0))[:QUOTES_PER_THEME]
    chosen = marked + [r for r in picked if r not in marked]
    return [Quote(r.id, r.text_redacted, r.channel, r.wijk, bool(r.is_quote), r.confidence) for r in chosen[: max(QUOTES_PER_THEME, len(marked))]]


def _summary(theme: Theme, rows: list, vectors: dict[str, np.ndarray]) -> ThemeSummary:
    return ThemeSummary(
        theme_id=theme.id,
        key=theme.key,
        name=theme.name,
        kind=theme.kind,
        parent_id=theme.parent_id,
        count=len(rows),
        counts_by_channel=dict(Counter(r.channel for r in rows).most_common()),
        counts_by_wijk=dict(Counter(r.wijk or NO_WIJK for r in rows).most_common()),
        counts_by_date=dict(sorted(Counter(r.created_at.date().isoformat() for r in rows).items())),
        key_phrases=list(theme.key_phrases or []),
        summary=theme.summary,
        follow_up=theme.follow_up,
        quotes=_quotes(theme, rows, vectors),
        reviewed=theme.reviewed,
        explanation=theme.explanation,
    )


def _consultation(session: Session, slug: str):
    with definition_errors_as_topics_errors():
        return consultation_by_slug(session, slug)


def theme_overview(consultation: str, *, store: Store | None = None) -> list[ThemeSummary]:
    """Vision themes in the order of the vision (each with its subthemes, largest first), then 'overig'."""
    with (store or get_store()).session() as session:
        consultation_row = _consultation(session, consultation)
        themes = list(
            session.scalars(
                select(Theme)
                .where(Theme.consultation_id == consultation_row.id, Theme.active.is_(True))
                .order_by(Theme.position, Theme.id)
            )
        )
        members = _members(session, consultation_row.id)
        fit = last_fit(session, consultation_row.id)
        texts = [r.text_redacted for rows in members.values() for r in rows]
        vectors = stored_vectors(session, fit.model_name if fit else None, texts)
        summaries = {t.id: _summary(t, members.get(t.id, []), vectors) for t in themes}
        top = []
        for theme in themes:
            summary = summaries[theme.id]
            if theme.parent_id is None:
                top.append(summary)
            elif theme.parent_id in summaries:
                summaries[theme.parent_id].subthemes.append(summary)
        for summary in top:
            summary.subthemes.sort(key=lambda s: (-s.count, s.name))
        # 'overig' last, whatever its position.
        return sorted(top, key=lambda s: s.kind == "other")


def theme_responses(theme_id: int, *, channel: str | None = None, wijk: str | None = None,
                    store: Store | None = None) -> list[ThemeResponse]:
    """All responses of a theme (most confident first), optionally for one channel or wijk."""
    with (store or get_store()).session() as session:
        get_theme(session, theme_id)
        query = (
            select(ThemeAssignment, Response)
            .join(Response, Response.id == ThemeAssignment.response_id)
            .where(ThemeAssignment.theme_id == theme_id, Response.excluded.is_(False))
        )
        if channel:
            query = query.where(Response.channel == channel)
        if wijk:
            query = query.where(Response.wijk.is_(None)) if wijk == NO_WIJK else query.where(Response.wijk == wijk)
        rows = session.execute(query).all()
        result = [
            ThemeResponse(r.id, r.text_redacted, r.channel, r.wijk, r.created_at, a.confidence, a.source, a.is_quote)
            for a, r in rows
        ]
    return sorted(result, key=lambda r: (r.source != "staff", -(r.confidence or 0.0), r.response_id))


def theme_map(consultation: str, *, store: Store | None = None) -> list[tuple[int, float, float, int]]:
    """(response_id, x, y, theme_id) per placed response; theme = its subtheme, else its most confident theme."""
    with (store or get_store()).session() as session:
        consultation_row = _consultation(session, consultation)
        fit = last_fit(session, consultation_row.id)
        if fit is None:
            return []
        points: dict[int, list[float]] = {}
        runs = session.scalars(
            select(TopicRun)
            .where(TopicRun.consultation_id == consultation_row.id, TopicRun.status == "done", TopicRun.id >= fit.id,
                   TopicRun.kind.in_((RUN_FIT, RUN_ASSIGN)))
            .order_by(TopicRun.id)
        )
        for run in runs:
            points.update({int(k): v for k, v in (run.metrics or {}).get("map", {}).items()})
        rows = session.execute(
            select(ThemeAssignment.response_id, ThemeAssignment.theme_id, ThemeAssignment.confidence, Theme.parent_id)
            .join(Theme, Theme.id == ThemeAssignment.theme_id)
            .join(Response, Response.id == ThemeAssignment.response_id)
            .where(Theme.consultation_id == consultation_row.id, Response.excluded.is_(False))
        ).all()
    best: dict[int, tuple] = {}
    for response_id, theme_id, confidence, parent_id in rows:
        rank = (parent_id is not None, confidence or 0.0)
        if response_id not in best or rank > best[response_id][0]:
            best[response_id] = (rank, theme_id)
    return [(rid, float(points[rid][0]), float(points[rid][1]), best[rid][1]) for rid in sorted(best) if rid in points]


def non_answer_count(consultation: str, *, store: Store | None = None) -> int:
    """Responses without content ("weet niet", "-"): counted, never themed."""
    with (store or get_store()).session() as session:
        consultation_row = _consultation(session, consultation)
        return session.scalar(
            select(func.count()).where(
                Response.consultation_id == consultation_row.id,
                Response.is_non_answer.is_(True),
                Response.excluded.is_(False),
            )
        )
