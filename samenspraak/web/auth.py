"""Login and logout for reporters and staff."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from samenspraak.accounts import authenticate
from samenspraak.web.security import STAFF_ROLES, current_account, login, logout, rate_limit
from samenspraak.web.templating import flash, render

router = APIRouter()

FAILED_LOGINS_PER_ACCOUNT = "10 per 15 minutes"
TOO_MANY_FAILURES = (
    "Er is te vaak een verkeerd wachtwoord ingevuld voor deze gebruikersnaam. Wacht een kwartier en probeer het "
    "dan opnieuw."
)


def _home_for(role: str) -> str:
    return "/beheer" if role in STAFF_ROLES else "/reporter/"


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site, so the login page cannot bounce someone to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/inloggen")
def login_page(request: Request, volgende: str | None = None) -> Response:
    account = current_account(request)
    if account is not None:
        return RedirectResponse(_safe_next(volgende) or _home_for(account.role), status_code=303)
    return render(request, "login.html", {"next": _safe_next(volgende) or ""})


@router.post("/inloggen", dependencies=[Depends(rate_limit("10/minute"))])
async def login_submit(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    volgende: str = Form(""),
) -> Response:
    limiter, who = request.app.state.rate_limiter, username.strip().lower()
    # Per address is not enough: guesses at one account can come from many addresses.
    if not limiter.allows(FAILED_LOGINS_PER_ACCOUNT, "failed-login", who):
        raise HTTPException(status_code=429, detail=TOO_MANY_FAILURES)
    # argon2 verification takes a moment: keep it off the event loop.
    account = await run_in_threadpool(authenticate, username, password, store=request.app.state.store)
    if account is None:
        limiter.hit(FAILED_LOGINS_PER_ACCOUNT, "failed-login", who)
        return render(
            request,
            "login.html",
            {
                "next": _safe_next(volgende) or "",
                "username": username,
                "error": "Gebruikersnaam of wachtwoord klopt niet.",
            },
            status_code=400,
        )
    login(request, account)
    return RedirectResponse(_safe_next(volgende) or _home_for(account.role), status_code=303)


@router.post("/uitloggen")
def logout_submit(request: Request) -> Response:
    logout(request)
    flash(request, "U bent uitgelogd.")
    return RedirectResponse("/inloggen", status_code=303)
