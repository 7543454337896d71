"""Staff tools around the review: analysis runs, export, import, reporter accounts and booklets."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from sqlalchemy import select
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from samenspraak import booklets, exporter
from samenspraak.accounts import AccountError, create_account, list_accounts, set_active
from samenspraak.contributions import consultation_by_slug
from samenspraak.importer import FIELDS, MAX_FILE_BYTES, ImportFileError, import_responses, parse_mapping
from samenspraak.store import CHANNELS, TopicRun
from samenspraak.store.models import ROLES
from samenspraak.web.audit import record
from samenspraak.web.jobs import KINDS, RUN_STATUSES, JobError
from samenspraak.web.params import PathId
from samenspraak.web.security import CurrentAccount, require_staff
from samenspraak.web.templating import flash, render

router = APIRouter(prefix="/beheer", dependencies=[Depends(require_staff)])

RECENT_RUNS = 10
IMPORT_SUFFIXES = {".csv", ".txt", ".xlsx"}
EXPORTS = {"reacties": exporter.export_responses, "themas": exporter.export_themes}
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
}
# A booklet shown in the browser may carry its own styles, but never a script.
BOOKLET_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'none'; sandbox"
)


def _slug(request: Request) -> str:
    return request.app.state.settings.consultation


# ------------------------------------------------------------------------------------------------ analysis


@router.get("/analyse")
def analysis_page(request: Request) -> Response:
    with request.app.state.store.session() as session:
        consultation = consultation_by_slug(session, _slug(request))
        runs = list(
            session.scalars(
                select(TopicRun)
                .where(TopicRun.consultation_id == consultation.id)
                .order_by(TopicRun.id.desc())
                .limit(RECENT_RUNS)
            )
        )
    return render(
        request,
        "staff/analysis.html",
        {
            "section": "analysis",
            "runs": runs,
            "kinds": KINDS,
            "statuses": RUN_STATUSES,
            "job": request.app.state.jobs.status(),
        },
    )


@router.post("/analyse")
def analysis_start(
    request: Request, kind: str = Form(""), account: CurrentAccount = Depends(require_staff)
) -> Response:
    try:
        request.app.state.jobs.start(kind, _slug(request))
    except JobError as exc:
        flash(request, str(exc), "error")
    else:
        record(request, account, "topics.start", "consultation", _slug(request), {"kind": kind})
        flash(request, f"'{KINDS[kind]}' is gestart. U kunt op deze pagina volgen hoe ver het is.")
    return RedirectResponse("/beheer/analyse", status_code=303)


@router.get("/api/analyse")
def analysis_status(request: Request) -> JSONResponse:
    return JSONResponse(request.app.state.jobs.status().as_dict())


# --------------------------------------------------------------------------------------------------- export


@router.get("/export")
def export_page(request: Request) -> Response:
    return render(request, "staff/export.html", {"section": "export", "formats": exporter.FORMATS})


@router.get("/export/{what}.{fmt}")
def export_download(
    request: Request, what: str, fmt: str, account: CurrentAccount = Depends(require_staff)
) -> Response:
    if what not in EXPORTS or fmt not in exporter.FORMATS:
        raise HTTPException(status_code=404, detail="Deze export bestaat niet.")
    folder = Path(tempfile.mkdtemp(prefix="samenspraak-export-"))
    path = folder / f"{_slug(request)}-{what}-{date.today().isoformat()}.{fmt}"
    try:
        rows = EXPORTS[what](path, consultation=_slug(request), fmt=fmt, store=request.app.state.store)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    record(request, account, "responses.export", "export", what, {"format": fmt, "rows": rows})
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[fmt],
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


# --------------------------------------------------------------------------------------------------- import


def _import_page(request: Request, status_code: int = 200, **context) -> Response:
    defaults = {"section": "import", "channels": CHANNELS, "fields": FIELDS, "channel": "import", "mapping": ""}
    return render(request, "staff/import.html", defaults | context, status_code=status_code)


@router.get("/import")
def import_page(request: Request) -> Response:
    return _import_page(request)


@router.post("/import")
def import_submit(
    request: Request,
    file: UploadFile = File(...),
    channel: str = Form("import"),
    mapping: str = Form(""),
    account: CurrentAccount = Depends(require_staff),
) -> Response:
    kept = {"channel": channel, "mapping": mapping}
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        return _import_page(request, 400, error="Kies een CSV- of XLSX-bestand.", **kept)
    if channel not in CHANNELS:
        return _import_page(request, 400, error="Kies een kanaal uit de lijst.", **kept)
    if file.size is not None and file.size > MAX_FILE_BYTES:
        return _import_page(
            request, 413, error=f"Het bestand is groter dan {MAX_FILE_BYTES // (1024 * 1024)} MB.", **kept
        )
    with tempfile.TemporaryDirectory(prefix="samenspraak-import-") as folder:
        path = Path(folder) / f"upload{suffix}"
        with path.open("wb") as target:
            shutil.copyfileobj(file.file, target)
        try:
            report = import_responses(
                path,
                consultation=_slug(request),
                mapping=parse_mapping([line for line in mapping.splitlines() if line.strip()]),
                channel=channel,
                store=request.app.state.store,
            )
        except ImportFileError as exc:
            return _import_page(request, 400, error=f"Het bestand kon niet worden ingelezen: {exc}.", **kept)
    # The log's target is cut to its column's length; the payload keeps the full name.
    record(
        request,
        account,
        "responses.import",
        "file",
        file.filename,
        {
            "filename": file.filename,
            "added": report.added,
            "duplicates": report.duplicates,
            "errors": len(report.errors),
        },
    )
    return _import_page(request, report=report, filename=file.filename, **kept)


# ------------------------------------------------------------------------------------------------- accounts


def _manageable_roles(account: CurrentAccount) -> tuple[str, ...]:
    """Staff manage reporters; only an admin manages staff and admins."""
    return ROLES if account.is_admin else ("reporter",)


def _accounts_page(request: Request, account: CurrentAccount, status_code: int = 200, **context) -> Response:
    roles = _manageable_roles(account)
    accounts = [item for item in list_accounts(store=request.app.state.store) if item.role in roles]
    return render(
        request,
        "staff/accounts.html",
        {"section": "accounts", "accounts": accounts, "roles": roles} | context,
        status_code=status_code,
    )


@router.get("/accounts")
def accounts_page(request: Request, account: CurrentAccount = Depends(require_staff)) -> Response:
    return _accounts_page(request, account)


@router.post("/accounts")
def accounts_create(
    request: Request,
    username: str = Form(""),
    display_name: str = Form(""),
    password: str = Form(""),
    role: str = Form("reporter"),
    account: CurrentAccount = Depends(require_staff),
) -> Response:
    form = {"username": username, "display_name": display_name, "role": role}
    if role not in _manageable_roles(account):
        return _accounts_page(
            request, account, 403, error="U mag alleen accounts voor razende reporters maken.", form=form
        )
    try:
        new_id = create_account(username, password, role, display_name or None, store=request.app.state.store)
    except AccountError as exc:
        return _accounts_page(request, account, 400, error=str(exc), form=form)
    record(
        request, account, "account.create", "account", str(new_id), {"username": username.strip().lower(), "role": role}
    )
    flash(request, f"Account '{username.strip().lower()}' is aangemaakt. Geef het wachtwoord persoonlijk door.")
    return RedirectResponse("/beheer/accounts", status_code=303)


@router.post("/accounts/{account_id}/actief")
def accounts_set_active(
    request: Request, account_id: PathId, active: bool = Form(...), account: CurrentAccount = Depends(require_staff)
) -> Response:
    target = next((item for item in list_accounts(store=request.app.state.store) if item.id == account_id), None)
    if target is None or target.role not in _manageable_roles(account):
        raise HTTPException(status_code=403, detail="U mag dit account niet aanpassen.")
    if target.id == account.id:
        flash(request, "U kunt uw eigen account niet uitzetten.", "error")
        return RedirectResponse("/beheer/accounts", status_code=303)
    set_active(account_id, active, store=request.app.state.store)
    record(request, account, "account.active", "account", str(account_id), {"active": active})
    flash(request, f"Account '{target.username}' staat nu {'aan' if active else 'uit'}.")
    return RedirectResponse("/beheer/accounts", status_code=303)


# ------------------------------------------------------------------------------------------------- booklets


@router.get("/boekjes")
def booklets_page(request: Request) -> Response:
    return render(request, "staff/booklets.html", {"section": "booklets", "audiences": booklets.AUDIENCES})


@router.get("/boekjes/{audience}.{fmt}")
def booklet_download(
    request: Request, audience: str, fmt: str, account: CurrentAccount = Depends(require_staff)
) -> Response:
    if audience not in booklets.AUDIENCES or fmt not in booklets.FORMATS:
        raise HTTPException(status_code=404, detail="Dit boekje bestaat niet.")
    try:
        content = booklets.render(_slug(request), audience, fmt, store=request.app.state.store)
    except booklets.BookletError as exc:
        flash(request, str(exc), "error")
        return RedirectResponse("/beheer/boekjes", status_code=303)
    record(request, account, "booklet.download", "booklet", audience, {"format": fmt})
    filename = f"{_slug(request)}-{audience}.{fmt}"
    if fmt == "html":
        headers = {"Content-Security-Policy": BOOKLET_CSP, "Content-Disposition": f'inline; filename="{filename}"'}
    else:
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=MEDIA_TYPES[fmt], headers=headers)
