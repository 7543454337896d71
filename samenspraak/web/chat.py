"""The chat proxy: the widget talks to this application, this application talks to Rasa on loopback.

Rasa's own HTTP API is never exposed. The sender id is an unguessable token the server hands out, so one
resident cannot read or continue another resident's conversation.
"""

from __future__ import annotations

import logging
import re
import secrets

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from samenspraak.web.security import rate_limit

log = logging.getLogger(__name__)
router = APIRouter()

MAX_MESSAGE_LENGTH = 2_000
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{24,64}$")
# A form step that redacts and stores a contribution takes a few seconds on a busy machine.
RASA_TIMEOUT = httpx.Timeout(30.0, connect=3.0)
STATUS_TIMEOUT = httpx.Timeout(3.0)
UNAVAILABLE = (
    "De assistent is nu niet bereikbaar. Misschien start hij net op: dat duurt ongeveer een minuut. "
    "Probeer het zo opnieuw."
)


class ChatRequest(BaseModel):
    message: str
    session_id: str | None = None


def _rasa_url(request: Request, path: str) -> str:
    return request.app.state.settings.rasa_url.rstrip("/") + path


def _clean_reply(item: dict) -> dict | None:
    """Only plain text and buttons reach the browser; the widget shows text as text, never as HTML."""
    text = item.get("text") if isinstance(item.get("text"), str) else None
    buttons = [
        {"title": button["title"], "payload": button["payload"]}
        for button in item.get("buttons") or []
        if isinstance(button, dict) and isinstance(button.get("title"), str) and isinstance(button.get("payload"), str)
    ]
    if not text and not buttons:
        return None
    return {"text": text or "", "buttons": buttons}


@router.post("/api/chat", dependencies=[Depends(rate_limit("40/minute"))])
async def chat(body: ChatRequest, request: Request) -> dict:
    message = body.message.strip()
    if not message:
        raise HTTPException(status_code=422, detail="Uw bericht is leeg. Typ eerst iets.")
    if len(message) > MAX_MESSAGE_LENGTH:
        raise HTTPException(
            status_code=422, detail=f"Uw bericht is te lang. Houd het onder {MAX_MESSAGE_LENGTH} tekens."
        )
    if body.session_id is not None and not SESSION_ID.match(body.session_id):
        raise HTTPException(status_code=422, detail="Dit gesprek is niet meer geldig. Laad de pagina opnieuw.")
    session_id = body.session_id or secrets.token_urlsafe(24)
    try:
        async with httpx.AsyncClient(timeout=RASA_TIMEOUT) as client:
            reply = await client.post(
                _rasa_url(request, "/webhooks/rest/webhook"), json={"sender": session_id, "message": message}
            )
        reply.raise_for_status()
        items = reply.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("Rasa not reachable: %s", exc.__class__.__name__)
        raise HTTPException(status_code=503, detail=UNAVAILABLE) from exc
    messages = [clean for item in items if isinstance(item, dict) and (clean := _clean_reply(item))]
    return {"session_id": session_id, "messages": messages}


@router.get("/api/chat/status", dependencies=[Depends(rate_limit("60/minute"))])
async def chat_status(request: Request) -> dict:
    """Ready when Rasa answers; Rasa opens its port only after the model is loaded."""
    try:
        async with httpx.AsyncClient(timeout=STATUS_TIMEOUT) as client:
            reply = await client.get(_rasa_url(request, "/"))
        ready = reply.status_code == 200
    except httpx.HTTPError:
        ready = False
    return {"ready": ready, "detail": None if ready else UNAVAILABLE}
