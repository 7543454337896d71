"""Jinja2 templates (autoescaped), Dutch date formatting and cache-busting static URLs."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from samenspraak.store import CHANNELS
from samenspraak.web.security import csrf_token, current_account

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")
MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
ROLE_LABELS = {"reporter": "Razende reporter", "staff": "Medewerker", "admin": "Beheerder"}


def local_time(value: datetime) -> datetime:
    if value.tzinfo is None:  # SQLite hands back naive datetimes; the store writes UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(LOCAL_ZONE)


def dutch_date(value: datetime | date | None, with_time: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_time(value)
        text = f"{value.day} {MONTHS[value.month - 1]} {value.year}"
        return f"{text}, {value:%H:%M}" if with_time else text
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


@lru_cache(maxsize=256)
def static_version(path: str) -> str:
    """A short content hash, so browsers and the reporter's service worker pick up a changed file."""
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]


def static_url(path: str) -> str:
    return f"/static/{path}?v={static_version(path)}"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    templates.env.globals.update(static_url=static_url, channel_labels=CHANNELS, role_labels=ROLE_LABELS)
    templates.env.filters["datum"] = dutch_date
    templates.env.filters["dag"] = lambda value: dutch_date(value, with_time=False)
    return templates


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200) -> HTMLResponse:
    context = dict(context or {})
    context.setdefault("account", current_account(request))
    context.setdefault("flash", request.session.pop("flash", None))
    # Lazy, so public pages without a form do not set a session cookie.
    context["csrf_token"] = lambda: csrf_token(request)
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status_code)


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A one-time message shown on the next page (after a redirect)."""
    request.session["flash"] = {"message": message, "kind": kind}
