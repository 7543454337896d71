"""The application factory: one FastAPI app for residents, reporters and staff, kept apart by role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from samenspraak.config import Settings, get_settings
from samenspraak.importer import MAX_FILE_BYTES
from samenspraak.store import Store, get_store
from samenspraak.web import auth, chat, manage, public, reporter, staff
from samenspraak.web.errors import register_error_handlers
from samenspraak.web.jobs import TopicJobs
from samenspraak.web.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    BodySizeLimitMiddleware,
    RateLimiter,
    SecurityHeadersMiddleware,
    verify_csrf,
)
from samenspraak.web.templating import STATIC_DIR, make_templates

CHAT_API_PREFIX = "/api/chat"
# Every form and API body fits easily; only the import page takes files.
MAX_BODY_BYTES = 1024 * 1024


class ChatCorsMiddleware:
    """CORS only for the chat API, so the widget works when a city website embeds it from another origin.

    The chat API uses no cookies, so allowing any origin exposes nothing; every other route stays same-origin.
    """

    def __init__(self, app: ASGIApp):
        self.app = app
        self.cors = CORSMiddleware(
            app, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["content-type"]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(CHAT_API_PREFIX):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await app.state.rasa_client.aclose()


def create_app(settings: Settings | None = None, store: Store | None = None, *, rate_limits: bool = True) -> FastAPI:
    settings = settings or get_settings()
    store = store or get_store(settings.database_url)
    store.migrate()

    app = FastAPI(title="Samenspraak", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.store = store
    app.state.templates = make_templates()
    app.state.rate_limiter = RateLimiter(enabled=rate_limits)
    app.state.jobs = TopicJobs(settings.database_url)
    app.state.rasa_client = chat.RasaClient()

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # The chat API is anonymous and cookie-less: no session to forge requests with, so no CSRF token.
    app.include_router(chat.router)
    app.include_router(reporter.service_worker)
    csrf = [Depends(verify_csrf)]
    for router in (public.router, auth.router, reporter.pages, reporter.api, staff.router, manage.router):
        app.include_router(router, dependencies=csrf)
    register_error_handlers(app)

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
    )
    app.add_middleware(ChatCorsMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware,
        default_limit=MAX_BODY_BYTES,
        limits={"/beheer/import": MAX_FILE_BYTES + MAX_BODY_BYTES},
    )
    app.add_middleware(SecurityHeadersMiddleware)
    return app
