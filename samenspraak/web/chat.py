"""The chat proxy: the widget talks to this application, this application talks to Rasa on loopback.

Rasa's own HTTP API is never exposed. The sender id is an unguessable token the server hands out, so one
resident cannot read or continue another resident's conversation.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from samenspraak.web.params import StorableStr
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
# Rasa answers with nothing when a custom action failed (the action server is down or restarting).
NOT_PROCESSED = "De assistent kan uw bericht nu even niet verwerken. Probeer het over een minuut opnieuw."


class RasaClient:
    """One HTTP client with keep-alive connections to Rasa, instead of a new client (and SSL context) per message.

    Connections belong to the event loop that opened them; an app run without its lifespan (a test client
    without `with`) gets a new loop per request, so the client is made again when the loop changed.
    """

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = httpx.AsyncClient(timeout=RASA_TIMEOUT, limits=httpx.Limits(max_keepalive_connections=50))
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = None


class ChatRequest(BaseModel):
    message: StorableStr
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
        reply = await request.app.state.rasa_client.get().post(
            _rasa_url(request, "/webhooks/rest/webhook"), json={"sender": session_id, "message": message}
        )
        reply.raise_for_status()
        items = reply.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("Rasa not reachable: %s", exc.__class__.__name__)
        raise HTTPException(status_code=503, detail=UNAVAILABLE) from exc
    messages = [clean for item in items if isinstance(item, dict) and (clean := _clean_reply(item))]
    if not messages:
        log.warning("Rasa gave no reply; is the action server down?")
        raise HTTPException(status_code=503, detail=NOT_PROCESSED)
    return {"session_id": session_id, "messages": messages}


@router.get("/api/chat/status", dependencies=[Depends(rate_limit("60/minute"))])
async def chat_status(request: Request) -> dict:
    """Ready when Rasa answers; Rasa opens its port only after the model is loaded."""
    try:
        reply = await request.app.state.rasa_client.get().get(_rasa_url(request, "/"), timeout=STATUS_TIMEOUT)
        ready = reply.status_code == 200
    except httpx.HTTPError:
        ready = False
    return {"ready": ready, "detail": None if ready else UNAVAILABLE}
