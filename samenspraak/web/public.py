"""Pages for residents: the city-website demo with the chat widget, the chat page, and 'mijn bijdrage'."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import text
from starlette.responses import JSONResponse, Response

from samenspraak.consultations import load_consultation
from samenspraak.contributions import contributions_for_code, delete_by_code, export_for_code, normalised_code
from samenspraak.web.security import rate_limit
from samenspraak.web.templating import render

log = logging.getLogger(__name__)
router = APIRouter()

NOT_FOUND = "We vinden geen bijdrage bij deze code. Controleer de code, of uw bijdrage is al verwijderd."
CODE_HELP = "Uw persoonlijke code heeft 10 tekens, bijvoorbeeld K7PQR-M3XWD. U kreeg hem aan het eind van het gesprek."


def _consultation(request: Request):
    return load_consultation(request.app.state.settings.consultation)


@router.get("/")
def home(request: Request) -> Response:
    return render(request, "home.html", {"consultation": _consultation(request)})


@router.get("/chat")
def chat_page(request: Request) -> Response:
    return render(request, "chat.html", {"consultation": _consultation(request)})


@router.get("/gezondheid")
def health(request: Request) -> Response:
    """For monitoring: is the database reachable?"""
    try:
        with request.app.state.store.session() as session:
            session.execute(text("SELECT 1"))
    except Exception:  # any database failure means: not healthy
        log.exception("Health check failed")
        return JSONResponse({"status": "database niet bereikbaar"}, status_code=503)
    return JSONResponse({"status": "ok"})


def _code_page(request: Request, status_code: int = 200, **context) -> Response:
    return render(request, "my_contribution.html", {"code_help": CODE_HELP} | context, status_code=status_code)


@router.get("/mijn-bijdrage")
def my_contribution_page(request: Request) -> Response:
    return _code_page(request)


def _look_up(request: Request, code: str) -> tuple[str, list, Response | None]:
    """The normalised code and its contributions, or the page that explains why there are none."""
    normalised = normalised_code(code)
    if normalised is None:
        return code, [], _code_page(request, 400, code=code, error=CODE_HELP)
    contributions = contributions_for_code(normalised, store=request.app.state.store)
    if not contributions:
        return normalised, [], _code_page(request, 404, code=code, error=NOT_FOUND)
    return normalised, contributions, None


@router.post("/mijn-bijdrage", dependencies=[Depends(rate_limit("10/minute"))])
def my_contribution_show(request: Request, code: str = Form("")) -> Response:
    normalised, contributions, refusal = _look_up(request, code)
    if refusal is not None:
        return refusal
    return _code_page(request, code=normalised, contributions=contributions)


def forget_chat_conversations(session_ids: list[str]) -> None:
    """Remove the conversations from Rasa's tracker store (bot/ owns that store)."""
    if not session_ids:
        return
    from bot.tracker import forget_conversation  # bot/ is optional for the rest of the app

    for session_id in session_ids:
        forget_conversation(session_id)


@router.post("/mijn-bijdrage/verwijderen", dependencies=[Depends(rate_limit("10/minute"))])
def my_contribution_delete(request: Request, code: str = Form("")) -> Response:
    normalised, contributions, refusal = _look_up(request, code)
    if refusal is not None:
        return refusal
    # Conversations first: if that fails, nothing is deleted yet and the resident can simply try again.
    try:
        forget_chat_conversations(sorted({c.chat_session_id for c in contributions if c.chat_session_id}))
    except Exception:  # the tracker store may be down or missing; the resident must get an answer
        log.exception("Forgetting chat conversations failed")
        error = "Het lukt nu niet om uw bijdrage te verwijderen. Er is nog niets verwijderd. Probeer het later opnieuw."
        return _code_page(request, 503, code=normalised, contributions=contributions, error=error)
    delete_by_code(normalised, store=request.app.state.store)
    return render(request, "deleted.html", {"count": len(contributions)})


@router.post("/mijn-bijdrage/downloaden", dependencies=[Depends(rate_limit("10/minute"))])
def my_contribution_download(request: Request, code: str = Form("")) -> Response:
    """Everything we hold under this code, as a JSON file (the resident's right of access)."""
    normalised, contributions, refusal = _look_up(request, code)
    if refusal is not None:
        return refusal
    try:
        held = export_for_code(normalised, store=request.app.state.store)
    except Exception:  # the tracker store may be down; the resident must get an answer, not a stack trace
        log.exception("Exporting a contribution failed")
        error = "Het lukt nu niet om uw gegevens klaar te zetten. Probeer het later opnieuw."
        return _code_page(request, 503, code=normalised, contributions=contributions, error=error)
    return Response(
        json.dumps(held, ensure_ascii=False, indent=2),
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="mijn-bijdrage-{normalised}.json"'},
    )
