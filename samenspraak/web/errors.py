"""Error answers in plain Dutch: an HTML page for people, JSON for the widget and the reporter app.

Never a stack trace: unexpected errors are logged on the server and answered with a short apology.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from samenspraak.web.security import UNSAFE_METHODS, LoginRequired, is_api_request, security_headers
from samenspraak.web.templating import flash, render

log = logging.getLogger(__name__)

TITLES = {
    400: "Dat ging niet goed",
    401: "Log eerst in",
    403: "Geen toegang",
    404: "Pagina niet gevonden",
    405: "Dat kan hier niet",
    413: "Bestand te groot",
    422: "Niet goed ingevuld",
    429: "Even wachten",
    500: "Er ging iets mis",
    503: "Even niet beschikbaar",
}
MESSAGES = {
    400: "Uw verzoek kon niet worden verwerkt.",
    401: "U bent niet (meer) ingelogd. Log opnieuw in.",
    403: "U heeft geen toegang tot deze pagina.",
    404: "Deze pagina bestaat niet (meer). Controleer het adres of ga terug naar de startpagina.",
    405: "Deze handeling kan op deze pagina niet.",
    413: "Het bestand is te groot.",
    422: "Niet alle gegevens zijn goed ingevuld. Ga terug en controleer wat u invulde.",
    429: "U heeft dit te vaak achter elkaar gedaan. Wacht een minuut en probeer het dan opnieuw.",
    500: "Er ging aan onze kant iets mis. Uw gegevens zijn niet kwijt. Probeer het later opnieuw.",
    503: "Deze dienst is even niet beschikbaar. Probeer het over een paar minuten opnieuw.",
}
NOT_SAVED = "U was niet meer ingelogd, dus wat u net verstuurde is niet opgeslagen. Log in en doe het opnieuw."
STORAGE_UNAVAILABLE = (
    "De gegevens zijn nu even niet bereikbaar. Wat al was opgeslagen, is niet kwijt. Probeer het over een paar minuten "
    "opnieuw."
)


# FastAPI's own English details; ours are Dutch sentences.
FRAMEWORK_DETAILS = frozenset({"There was an error parsing the body", "Not authenticated"})


def _message(status_code: int, detail: object) -> str:
    # Starlette's own details are English status phrases ("Not Found").
    if (
        isinstance(detail, str)
        and detail
        and detail != HTTPStatus(status_code).phrase
        and detail not in FRAMEWORK_DETAILS
    ):
        return detail
    return MESSAGES.get(status_code, MESSAGES[400] if status_code < 500 else MESSAGES[500])


def error_response(request: Request, status_code: int, message: str) -> Response:
    if is_api_request(request):
        return JSONResponse({"detail": message}, status_code=status_code)
    title = TITLES.get(status_code, TITLES[400] if status_code < 500 else TITLES[500])
    return render(request, "error.html", {"title": title, "message": message, "status_code": status_code}, status_code)


def _after_login(request: Request) -> str | None:
    """The page to return to after logging in: this one, or for a sent form the page it was sent from.

    A form's own address takes only a POST: returning there would answer 405 and lose what was typed.
    """
    if request.method not in UNSAFE_METHODS:
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    flash(request, NOT_SAVED, "error")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path.startswith("/"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return None


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if isinstance(exc, LoginRequired):
        target = _after_login(request)
        return RedirectResponse(
            f"/inloggen?volgende={quote(target, safe='')}" if target else "/inloggen", status_code=303
        )
    # Starlette's own exceptions carry English text (e.g. "Missing boundary in multipart."); ours are FastAPI's.
    detail = exc.detail if isinstance(exc, HTTPException) else None
    response = error_response(request, exc.status_code, _message(exc.status_code, detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    return error_response(request, 422, MESSAGES[422])


async def storage_error(request: Request, exc: OperationalError) -> Response:
    """The database is restarting, unreachable or its disk is full: a passing state, not a bug."""
    log.error("Database unavailable on %s %s: %s", request.method, request.url.path, exc.orig.__class__.__name__)
    if is_api_request(request):
        return JSONResponse({"detail": STORAGE_UNAVAILABLE}, status_code=503)
    # Not render(): its account lookup for the page header would ask the unavailable database again.
    context = {"title": TITLES[503], "message": STORAGE_UNAVAILABLE, "status_code": 503, "account": None, "flash": None}
    return request.app.state.templates.TemplateResponse(request, "error.html", context, status_code=503)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("Unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    # This runs outside the app's middleware, so the security headers are added here.
    if is_api_request(request):
        response: Response = JSONResponse({"detail": MESSAGES[500]}, status_code=500)
    else:
        response = request.app.state.templates.TemplateResponse(
            request,
            "error.html",
            {"title": TITLES[500], "message": MESSAGES[500], "status_code": 500, "account": None, "flash": None},
            status_code=500,
        )
    security_headers(response.headers, https=request.url.scheme == "https")
    return response


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(OperationalError, storage_error)
    app.add_exception_handler(Exception, server_error)
