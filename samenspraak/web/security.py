"""Who may do what: sessions, roles, CSRF tokens, rate limits and security headers.

Sessions are Starlette's signed cookie (secret_key from settings). The account behind a session is loaded on
every request, so a deactivated account loses access at once.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import HTTPException, Request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import update
from starlette.datastructures import MutableHeaders, UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from samenspraak.contributions import is_storable
from samenspraak.store import Account

SESSION_COOKIE = "samenspraak_sessie"
SESSION_MAX_AGE = 8 * 60 * 60  # one working day
SESSION_VERSION = "session_version"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STAFF_ROLES = ("staff", "admin")
REPORTER_ROLES = ("reporter", "staff", "admin")

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Charts are SVG data URIs: an image document cannot run scripts.
        "img-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


_NOT_LOADED = object()


@dataclass(frozen=True)
class CurrentAccount:
    id: int
    username: str
    display_name: str
    role: str

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginRequired(HTTPException):
    """Raised for an anonymous visitor of a protected page; answered with a redirect to the login page."""

    def __init__(self) -> None:
        super().__init__(status_code=401, detail="Log eerst in.")


def is_api_request(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or "/api/" in path


def current_account(request: Request) -> CurrentAccount | None:
    """The logged-in, still active account of this request (cached on the request), or None."""
    cached = getattr(request.state, "account", _NOT_LOADED)
    if cached is not _NOT_LOADED:
        return cached
    account = None
    account_id = request.session.get("account_id")
    if isinstance(account_id, int):
        with request.app.state.store.session() as session:
            row = session.get(Account, account_id)
            if row is not None and row.active and row.session_version == request.session.get(SESSION_VERSION):
                account = CurrentAccount(row.id, row.username, row.display_name, row.role)
    if account is None and account_id is not None:
        request.session.pop("account_id", None)
        request.session.pop(SESSION_VERSION, None)
    request.state.account = account
    return account


def login(request: Request, account: Account) -> None:
    """Start a fresh session (new CSRF token too), so a session id planted before login is worthless."""
    request.session.clear()
    request.session["account_id"] = account.id
    request.session[SESSION_VERSION] = account.session_version
    request.session[CSRF_FIELD] = secrets.token_urlsafe(32)
    request.state.account = CurrentAccount(account.id, account.username, account.display_name, account.role)


def logout(request: Request) -> None:
    """End the session everywhere: a copy of the cookie (another device, a stolen one) stops working too."""
    account = current_account(request)
    if account is not None:
        with request.app.state.store.session() as session:
            session.execute(
                update(Account)
                .where(Account.id == account.id)
                .values(session_version=Account.session_version + 1)
            )
    request.session.clear()
    request.state.account = None


def require_roles(*roles: str):
    """A dependency: anonymous → login (401 for API calls), wrong role → 403."""

    def dependency(request: Request) -> CurrentAccount:
        account = current_account(request)
        if account is None:
            if is_api_request(request):
                raise HTTPException(status_code=401, detail="U bent niet (meer) ingelogd. Log opnieuw in.")
            raise LoginRequired()
        if account.role not in roles:
            raise HTTPException(status_code=403, detail="U heeft geen toegang tot deze pagina.")
        return account

    return dependency


require_reporter = require_roles(*REPORTER_ROLES)
require_staff = require_roles(*STAFF_ROLES)


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


async def verify_csrf(request: Request) -> None:
    """Every unsafe request must echo the session's token, in a form field or the X-CSRF-Token header.

    Its form fields and upload file names must also be storable (no NUL, no lone surrogate).
    """
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.session.get(CSRF_FIELD)
    sent = request.headers.get(CSRF_HEADER)
    form = None
    if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
    if sent is None and form is not None:
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    # compare_digest refuses non-ASCII text with a TypeError; our tokens are ASCII, so such a token is wrong.
    if not expected or not sent or not sent.isascii() or not hmac.compare_digest(expected, sent):
        raise HTTPException(
            status_code=403,
            detail="Deze pagina is verlopen of niet van ons afkomstig. Laad de pagina opnieuw en probeer het nog eens.",
        )
    if form is not None and any(not is_storable(_form_text(value)) for _, value in form.multi_items()):
        raise HTTPException(status_code=422, detail="Er staan tekens in het formulier die we niet kunnen opslaan.")


def _form_text(value: str | UploadFile) -> str:
    # An upload's file name is stored too (the audit log of an import).
    return value if isinstance(value, str) else value.filename or ""


class RateLimiter:
    """Fixed limits per client address and route, in memory (one web process)."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._strategy = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, limit: str, *keys: str) -> bool:
        return not self.enabled or self._strategy.hit(parse(limit), *keys)

    def allows(self, limit: str, *keys: str) -> bool:
        """Whether one more hit would stay within the limit, without counting one."""
        return not self.enabled or self._strategy.test(parse(limit), *keys)


def rate_limit(limit: str):
    """A dependency that answers 429 when one client address calls this route more than `limit` (e.g. '10/minute')."""

    def dependency(request: Request) -> None:
        client = request.client.host if request.client else "onbekend"
        if not request.app.state.rate_limiter.hit(limit, request.url.path, client):
            raise HTTPException(
                status_code=429,
                detail="U heeft dit te vaak achter elkaar gedaan. Wacht een minuut en probeer het dan opnieuw.",
            )

    return dependency


class BodySizeLimitMiddleware:
    """Refuse request bodies above a limit before anything reads them (413), so a public endpoint cannot be
    made to hold a huge body in memory. Bodies without a declared length are refused (411)."""

    def __init__(self, app: ASGIApp, default_limit: int, limits: dict[str, int]):
        self.app = app
        self.default_limit = default_limit
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        limit = self.limits.get(scope["path"], self.default_limit)
        if length is None and b"transfer-encoding" in headers:
            await _plain_error(send, 411, "Stuur de lengte van het verzoek mee.")
        elif length is not None and (not length.isdigit() or int(length) > limit):
            await _plain_error(send, 413, f"Dit is te veel in één keer (meer dan {limit // 1024} kB).")
        else:
            await self.app(scope, receive, send)


async def _plain_error(send: Send, status: int, message: str) -> None:
    body = message.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def security_headers(headers: MutableHeaders, https: bool) -> None:
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000"
        cookies = headers.getlist("set-cookie")
        if cookies:
            del headers["set-cookie"]
            for cookie in cookies:
                headers.append("set-cookie", cookie if "; secure" in cookie.lower() else f"{cookie}; secure")


class SecurityHeadersMiddleware:
    """Security headers on every response; Secure cookies and HSTS when the request came over HTTPS."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                security_headers(MutableHeaders(scope=message), https=scope.get("scheme") == "https")
            await send(message)

        await self.app(scope, receive, send_with_headers)
