"""Razende reporters: a mobile-first form for street interviews that keeps working offline.

The browser queues each entry with its own idempotency key and sends it when the network is back; sending
the same entry twice finds the stored interview and statements instead of making new ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field
from starlette.responses import FileResponse, Response

from samenspraak.consultations import load_consultation, load_places
from samenspraak.contributions import ContributionError, create_interview, save_contribution
from samenspraak.web.params import StorableStr
from samenspraak.web.security import CurrentAccount, csrf_token, require_reporter
from samenspraak.web.templating import STATIC_DIR, render

pages = APIRouter(dependencies=[Depends(require_reporter)])
api = APIRouter(prefix="/api/reporter", dependencies=[Depends(require_reporter)])
service_worker = APIRouter()

MAX_STATEMENTS = 20
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)


class Statement(BaseModel):
    text: StorableStr = Field(max_length=20_000)
    theme: StorableStr | None = Field(default=None, max_length=100)


class InterviewEntry(BaseModel):
    # Made by the browser (crypto.randomUUID) when the reporter presses 'Opslaan'.
    id: str = Field(pattern=r"^[A-Za-z0-9-]{16,64}$")
    place: StorableStr | None = Field(default=None, max_length=200)
    held_at: datetime | None = None
    wijk: StorableStr | None = Field(default=None, max_length=100)
    age_group: StorableStr | None = Field(default=None, max_length=20)
    # The number is checked in the route, for a clear message; the body size limit bounds the list.
    statements: list[Statement]
    # The account that entered it: a queue on a shared phone must not be sent under someone else's name.
    account: int | None = None
    # The consultation it was entered for: a queued entry must not land in the next one.
    consultation: str | None = Field(default=None, max_length=64)


@pages.get("/reporter/")
def reporter_page(request: Request, account: CurrentAccount = Depends(require_reporter)) -> Response:
    consultation = load_consultation(request.app.state.settings.consultation)
    return render(
        request,
        "reporter.html",
        {
            "consultation": consultation,
            "places": load_places(),
            "max_statements": MAX_STATEMENTS,
            "earliest": EARLIEST.strftime("%Y-%m-%dT%H:%M"),
        },
    )


@service_worker.get("/reporter/sw.js")
def reporter_service_worker() -> Response:
    # Served from /reporter/ so that its scope covers the reporter page; public because it holds no data.
    return FileResponse(
        STATIC_DIR / "reporter" / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )


@api.get("/session")
def reporter_session(request: Request, account: CurrentAccount = Depends(require_reporter)) -> dict:
    """A fresh CSRF token for the offline queue: the page it was queued on may be hours old."""
    return {"csrf_token": csrf_token(request), "name": account.display_name, "account": account.id}


def _held_at(value: datetime | None) -> datetime:
    now = datetime.now(timezone.utc)
    if value is None:
        return now
    if value.tzinfo is None:
        raise HTTPException(status_code=422, detail="De tijd van het interview mist een tijdzone.")
    if value < EARLIEST or value > now + timedelta(days=1):
        raise HTTPException(
            status_code=422, detail="De datum van het interview klopt niet. Kies een datum tot vandaag."
        )
    return value


@api.post("/interviews")
def submit_interview(
    entry: InterviewEntry, request: Request, account: CurrentAccount = Depends(require_reporter)
) -> dict:
    if entry.account is not None and entry.account != account.id:
        raise HTTPException(
            status_code=409,
            detail="Dit interview is onder een ander account ingevoerd. Log in met dat account om het te versturen.",
        )
    settings, store = request.app.state.settings, request.app.state.store
    if entry.consultation is not None and entry.consultation != settings.consultation:
        raise HTTPException(
            status_code=422,
            detail="Dit interview is ingevoerd voor een consultatie die nu niet meer openstaat. "
            "Zet het terug in het formulier als het bij de huidige consultatie hoort.",
        )
    statements = [s for s in entry.statements if s.text.strip()]
    if not statements:
        raise HTTPException(status_code=422, detail="Vul minstens één uitspraak in.")
    if len(statements) > MAX_STATEMENTS:
        raise HTTPException(
            status_code=422,
            detail=f"Er passen hoogstens {MAX_STATEMENTS} uitspraken in één interview. "
            "Zet de rest in een nieuw interview.",
        )
    try:
        interview_id, created = create_interview(
            consultation=settings.consultation,
            reporter_id=account.id,
            place=entry.place,
            held_at=_held_at(entry.held_at),
            wijk=entry.wijk,
            age_group=entry.age_group,
            idempotency_key=f"reporter:{entry.id}",
            theme_keys=[statement.theme for statement in statements if statement.theme],
            store=store,
        )
        saved = [
            save_contribution(
                consultation=settings.consultation,
                channel="straat",
                text=statement.text,
                theme_key=statement.theme or None,
                wijk=entry.wijk,
                age_group=entry.age_group,
                interview_id=interview_id,
                idempotency_key=f"reporter:{entry.id}:{number}",
                created_at=_held_at(entry.held_at),
                store=store,
            )
            for number, statement in enumerate(statements)
        ]
    except ContributionError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return {
        "interview_id": interview_id,
        "created": created,
        "responses": [{"id": item.response_id, "duplicate": item.duplicate} for item in saved],
    }
