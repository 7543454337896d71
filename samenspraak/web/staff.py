"""Staff review ('beheer'): dashboard, themes with their quotes and responses, edits, and the audit log.

Every theme edit goes through topics/, which records it in the audit log and re-applies it after a re-fit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from sqlalchemy import func, select
from starlette.responses import RedirectResponse, Response

import topics
from samenspraak.consultations import load_consultation
from samenspraak.contributions import consultation_by_slug, theme_response_counts
from samenspraak.store import CHANNELS, Account, AuditLog, Interview, Theme, TopicRun
from samenspraak.store import Response as ResponseRow
from samenspraak.web import charts
from samenspraak.web.audit import ACTION_LABELS
from samenspraak.web.jobs import RUN_STATUSES
from samenspraak.web.params import BoundedId, FormId, PageNumber, PathId, StorableQuery
from samenspraak.web.security import CurrentAccount, require_staff
from samenspraak.web.templating import flash, local_time, render
from topics.overview import NO_WIJK

router = APIRouter(prefix="/beheer", dependencies=[Depends(require_staff)])

AUDIT_PAGE_SIZE = 50
UNKNOWN_WIJK = "Onbekend"
# Inches: a chart about as wide as its card keeps its text readable.
FULL_WIDTH = 9.0
HALF_WIDTH = 4.2
# A vision theme is under-covered when it has fewer than this share of the average vision theme.
LOW_COVERAGE_SHARE = 0.5


def consultation_slug(request: Request) -> str:
    return request.app.state.settings.consultation


def store_of(request: Request):
    return request.app.state.store


# ------------------------------------------------------------------------------------------------ dashboard


def response_stats(request: Request) -> dict:
    """Counts per channel, day and wijk of the active consultation (excluded responses left out)."""
    with store_of(request).session() as session:
        consultation = consultation_by_slug(session, consultation_slug(request))
        rows = session.execute(
            select(ResponseRow.channel, ResponseRow.wijk, ResponseRow.created_at, ResponseRow.is_non_answer).where(
                ResponseRow.consultation_id == consultation.id, ResponseRow.excluded.is_(False)
            )
        ).all()
        interviews = session.scalar(
            select(func.count(Interview.id)).where(Interview.consultation_id == consultation.id)
        )
    by_day = Counter(local_time(row.created_at).date() for row in rows)
    days: list[date] = []
    if by_day:
        first, last = min(by_day), max(by_day)
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return {
        "total": len(rows),
        "non_answers": sum(1 for row in rows if row.is_non_answer),
        "interviews": interviews or 0,
        "by_channel": Counter(row.channel for row in rows).most_common(),
        # Known wijken by size; responses without a wijk last.
        "by_wijk": sorted(
            Counter(row.wijk or UNKNOWN_WIJK for row in rows).items(), key=lambda i: (i[0] == UNKNOWN_WIJK, -i[1])
        ),
        "by_day": [(day, by_day.get(day, 0)) for day in days],
    }


def under_covered(counts: dict[str, int]) -> set[str]:
    """Vision themes with fewer than half the average; none while there are no responses at all."""
    if not counts or not any(counts.values()):
        return set()
    average = sum(counts.values()) / len(counts)
    return {key for key, count in counts.items() if count < LOW_COVERAGE_SHARE * average}


def theme_coverage(request: Request) -> list[dict]:
    counts = theme_response_counts(consultation_slug(request), store=store_of(request))
    low = under_covered(counts)
    # The names from the store, not the definition file: staff may have renamed a theme.
    with store_of(request).session() as session:
        consultation = consultation_by_slug(session, consultation_slug(request))
        themes = session.execute(
            select(Theme.key, Theme.name)
            .where(Theme.consultation_id == consultation.id, Theme.kind == "vision")
            .order_by(Theme.position, Theme.id)
        ).all()
    return [{"key": key, "name": name, "count": counts.get(key, 0), "low": key in low} for key, name in themes]


def latest_run(request: Request) -> TopicRun | None:
    with store_of(request).session() as session:
        consultation = consultation_by_slug(session, consultation_slug(request))
        return session.scalar(
            select(TopicRun).where(TopicRun.consultation_id == consultation.id).order_by(TopicRun.id.desc()).limit(1)
        )


def dashboard_charts(stats: dict, coverage: list[dict]) -> dict[str, str | None]:
    """SVG data URIs; None where there is nothing to draw yet."""
    channels, wijken, days = stats["by_channel"], stats["by_wijk"], stats["by_day"]
    return {
        "coverage": charts.bar_chart(
            [c["name"] for c in coverage],
            [c["count"] for c in coverage],
            [c["low"] for c in coverage],
            width=FULL_WIDTH,
        ),
        "channel": charts.bar_chart(
            [CHANNELS.get(c, c) for c, _ in channels], [n for _, n in channels], width=HALF_WIDTH
        )
        if channels
        else None,
        "wijk": charts.bar_chart([w for w, _ in wijken], [n for _, n in wijken], width=HALF_WIDTH) if wijken else None,
        "day": charts.timeline_chart([d.isoformat() for d, _ in days], [n for _, n in days], width=FULL_WIDTH)
        if days
        else None,
    }


@router.get("")
def dashboard(request: Request) -> Response:
    stats = response_stats(request)
    coverage = theme_coverage(request)
    chart = dashboard_charts(stats, coverage)
    return render(
        request,
        "staff/dashboard.html",
        {
            "section": "dashboard",
            "consultation": load_consultation(consultation_slug(request)),
            "stats": stats,
            "coverage": coverage,
            "chart": chart,
            "run": latest_run(request),
            "statuses": RUN_STATUSES,
        },
    )


# --------------------------------------------------------------------------------------------------- themes


def flatten(overview: list) -> list:
    """Themes in display order: each vision theme followed by its subthemes, then 'overig'."""
    result = []
    for summary in overview:
        result.append(summary)
        result.extend(flatten(summary.subthemes))
    return result


def find_theme(request: Request, theme_id: int) -> tuple[object, list]:
    themes = flatten(topics.theme_overview(consultation_slug(request), store=store_of(request)))
    for summary in themes:
        if summary.theme_id == theme_id:
            return summary, themes
    raise HTTPException(
        status_code=404, detail="Dit thema bestaat niet (meer). Misschien is het samengevoegd met een ander thema."
    )


def excluded_count(request: Request) -> int:
    with store_of(request).session() as session:
        consultation = consultation_by_slug(session, consultation_slug(request))
        return session.scalar(
            select(func.count(ResponseRow.id)).where(
                ResponseRow.consultation_id == consultation.id, ResponseRow.excluded.is_(True)
            )
        )


@router.get("/themas")
def theme_list(request: Request) -> Response:
    slug = consultation_slug(request)
    overview = topics.theme_overview(slug, store=store_of(request))
    themes = flatten(overview)
    names = {summary.theme_id: summary.name for summary in overview}
    # The map colours responses by main theme; a subtheme's responses take their parent's colour.
    main_theme = {theme.theme_id: theme.parent_id or theme.theme_id for theme in themes}
    points = [
        (x, y, main_theme[theme_id])
        for _, x, y, theme_id in topics.theme_map(slug, store=store_of(request))
        if theme_id in main_theme
    ]
    return render(
        request,
        "staff/themes.html",
        {
            "section": "themes",
            "overview": overview,
            "theme_count": len(themes),
            "non_answers": topics.non_answer_count(slug, store=store_of(request)),
            "excluded": excluded_count(request),
            "map": charts.theme_map(points, names) if points else None,
            "map_count": len(points),
        },
    )


@router.get("/themas/{theme_id}")
def theme_detail(
    request: Request, theme_id: PathId, kanaal: StorableQuery = "", wijk: StorableQuery = ""
) -> Response:
    summary, themes = find_theme(request, theme_id)
    responses = topics.theme_responses(theme_id, channel=kanaal or None, wijk=wijk or None, store=store_of(request))
    quotes = [
        quote
        for quote in summary.quotes
        if (not kanaal or quote.channel == kanaal) and (not wijk or (quote.wijk or NO_WIJK) == wijk)
    ]
    by_id = {theme.theme_id: theme for theme in themes}
    return render(
        request,
        "staff/theme.html",
        {
            "section": "themes",
            "theme": summary,
            "parent": by_id.get(summary.parent_id),
            "themes": themes,
            "responses": responses,
            "quotes": quotes,
            "channel": kanaal,
            "wijk": wijk,
            "merge_targets": [t for t in themes if t.theme_id != theme_id and t.parent_id != theme_id],
            "filtered": bool(kanaal or wijk),
        },
    )


def _theme_url(theme_id: int) -> str:
    return f"/beheer/themas/{theme_id}"


def _edit(request: Request, target: str, action: Callable[[], object], done: str) -> Response:
    try:
        action()
    except topics.EditError as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, done)
    return RedirectResponse(target, status_code=303)


@router.post("/themas/{theme_id}/naam")
def rename(
    request: Request, theme_id: PathId, name: str = Form(""), account: CurrentAccount = Depends(require_staff)
) -> Response:
    return _edit(
        request,
        _theme_url(theme_id),
        lambda: topics.rename_theme(theme_id, name, account_id=account.id, store=store_of(request)),
        "De naam is aangepast.",
    )


@router.post("/themas/{theme_id}/samenvoegen")
def merge(
    request: Request, theme_id: PathId, target_id: FormId, account: CurrentAccount = Depends(require_staff)
) -> Response:
    try:
        topics.merge_themes(theme_id, target_id, account_id=account.id, store=store_of(request))
    except topics.EditError as exc:
        flash(request, str(exc), "error")
        return RedirectResponse(_theme_url(theme_id), status_code=303)
    flash(request, "De thema's zijn samengevoegd.")
    return RedirectResponse(_theme_url(target_id), status_code=303)


@router.post("/themas/{theme_id}/splitsen")
def split(
    request: Request,
    theme_id: PathId,
    name: str = Form(""),
    response_ids: list[BoundedId] = Form(default_factory=list),
    account: CurrentAccount = Depends(require_staff),
) -> Response:
    try:
        new_id = topics.split_theme(theme_id, response_ids, name, account_id=account.id, store=store_of(request))
    except topics.EditError as exc:
        flash(request, str(exc), "error")
        return RedirectResponse(_theme_url(theme_id), status_code=303)
    flash(request, f"Nieuw subthema '{name.strip()}' gemaakt met {len(set(response_ids))} reacties.")
    return RedirectResponse(_theme_url(new_id), status_code=303)


@router.post("/themas/{theme_id}/beoordeeld")
def reviewed(
    request: Request, theme_id: PathId, reviewed: bool = Form(True), account: CurrentAccount = Depends(require_staff)
) -> Response:
    return _edit(
        request,
        _theme_url(theme_id),
        lambda: topics.mark_reviewed(theme_id, reviewed, account_id=account.id, store=store_of(request)),
        "Het thema staat op 'beoordeeld': een nieuwe analyse houdt het zoals het is."
        if reviewed
        else "Het thema staat weer op 'niet beoordeeld'.",
    )


@router.post("/themas/{theme_id}/vervolg")
def follow_up(
    request: Request, theme_id: PathId, text: str = Form(""), account: CurrentAccount = Depends(require_staff)
) -> Response:
    return _edit(
        request,
        _theme_url(theme_id),
        lambda: topics.set_follow_up(theme_id, text, account_id=account.id, store=store_of(request)),
        "'Wat doen we ermee' is opgeslagen.",
    )


@dataclass(frozen=True)
class ThemePage:
    """The theme page an action on a response came from, with its channel/wijk filter, to return to."""

    theme_id: int
    url: str


def theme_page(theme_id: FormId, kanaal: str = Form(""), wijk: str = Form("")) -> ThemePage:
    filters = urlencode({key: value for key, value in (("kanaal", kanaal), ("wijk", wijk)) if value})
    return ThemePage(theme_id, _theme_url(theme_id) + (f"?{filters}" if filters else ""))


@router.post("/reacties/{response_id}/verplaatsen")
def move(
    request: Request,
    response_id: PathId,
    to_theme_id: FormId,
    page: ThemePage = Depends(theme_page),
    account: CurrentAccount = Depends(require_staff),
) -> Response:
    return _edit(
        request,
        page.url,
        lambda: topics.move_response(
            response_id, page.theme_id, to_theme_id, account_id=account.id, store=store_of(request)
        ),
        "De reactie is verplaatst.",
    )


@router.post("/reacties/{response_id}/uitsluiten")
def exclude(
    request: Request,
    response_id: PathId,
    page: ThemePage = Depends(theme_page),
    account: CurrentAccount = Depends(require_staff),
) -> Response:
    return _edit(
        request,
        page.url,
        lambda: topics.exclude_response(response_id, True, account_id=account.id, store=store_of(request)),
        "De reactie telt niet meer mee. U vindt haar terug onder 'Uitgesloten reacties'.",
    )


@router.post("/reacties/{response_id}/meetellen")
def include(request: Request, response_id: PathId, account: CurrentAccount = Depends(require_staff)) -> Response:
    return _edit(
        request,
        "/beheer/uitgesloten",
        lambda: topics.exclude_response(response_id, False, account_id=account.id, store=store_of(request)),
        "De reactie telt weer mee. 'Nieuwe reacties indelen' geeft haar een thema.",
    )


@router.get("/uitgesloten")
def excluded_responses(request: Request) -> Response:
    with store_of(request).session() as session:
        consultation = consultation_by_slug(session, consultation_slug(request))
        responses = list(
            session.scalars(
                select(ResponseRow)
                .where(ResponseRow.consultation_id == consultation.id, ResponseRow.excluded.is_(True))
                .order_by(ResponseRow.id)
            )
        )
    return render(request, "staff/excluded.html", {"section": "themes", "responses": responses})


@router.post("/reacties/{response_id}/citaat")
def quote(
    request: Request,
    response_id: PathId,
    is_quote: bool = Form(True),
    page: ThemePage = Depends(theme_page),
    account: CurrentAccount = Depends(require_staff),
) -> Response:
    return _edit(
        request,
        page.url,
        lambda: topics.mark_quote(response_id, page.theme_id, is_quote, account_id=account.id, store=store_of(request)),
        "Gemarkeerd als citaat voor het boekje." if is_quote else "Niet meer gemarkeerd als citaat.",
    )


# ------------------------------------------------------------------------------------------------ audit log


@router.get("/logboek")
def audit_log(request: Request, pagina: PageNumber = 1) -> Response:
    page = max(1, pagina)
    with store_of(request).session() as session:
        consultation = consultation_by_slug(session, consultation_slug(request))
        scope = (AuditLog.consultation_id == consultation.id) | AuditLog.consultation_id.is_(None)
        total = session.scalar(select(func.count(AuditLog.id)).where(scope)) or 0
        rows = session.execute(
            select(AuditLog, Account.display_name)
            .outerjoin(Account, AuditLog.account_id == Account.id)
            .where(scope)
            .order_by(AuditLog.id.desc())
            .offset((page - 1) * AUDIT_PAGE_SIZE)
            .limit(AUDIT_PAGE_SIZE)
        ).all()
    return render(
        request,
        "staff/audit.html",
        {
            "section": "audit",
            "entries": [(entry, name) for entry, name in rows],
            "labels": ACTION_LABELS,
            "page": page,
            "pages": max(1, -(-total // AUDIT_PAGE_SIZE)),
            "total": total,
        },
    )
