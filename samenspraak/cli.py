"""The `samenspraak` command line: set up the store, import, export, status, accounts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.tracker import purge_events_before
from samenspraak.accounts import AccountError, create_account
from samenspraak.booklets.cli import booklet
from samenspraak.config import get_settings
from samenspraak.consultations import DefinitionError, load_all_consultations
from samenspraak.contributions import export_for_code, normalised_code, purge_original_texts, sync_consultation
from samenspraak.exporter import FORMATS, ExportError, export_responses, export_themes
from samenspraak.importer import ImportFileError, import_responses, parse_mapping
from samenspraak.store import CHANNELS, Consultation, Response, Theme, ThemeAssignment, get_store
from topics.cli import app as themes_app

app = typer.Typer(help="Samenspraak: consultatie-assistent voor gemeenten.", no_args_is_help=True)
app.command("booklet")(booklet)
app.add_typer(themes_app, name="themes", help="Thema's zoeken, nieuwe reacties indelen, thema's tonen.")
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> None:
    errors.print(f"[bold red]Fout:[/] {message}", highlight=False)
    raise typer.Exit(code=1)


@app.command()
def init() -> None:
    """Create or upgrade the database and load every consultation definition from data/consultations/."""
    store = get_store()
    store.migrate()
    try:
        definitions = load_all_consultations()
    except DefinitionError as exc:
        _fail(str(exc))
    with store.session() as session:
        for definition in definitions:
            sync_consultation(session, definition)
    console.print(f"Database klaar: {_safe_url(store.url)}")
    for definition in definitions:
        console.print(f"  consultatie {definition.slug}: {len(definition.themes)} thema's")


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="CSV- of XLSX-bestand")],
    consultation: Annotated[str | None, typer.Option(help="consultatie voor rijen zonder eigen consultatie")] = None,
    channel: Annotated[str | None, typer.Option(help=f"kanaal voor rijen zonder kanaal ({', '.join(CHANNELS)})")] = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help="kolomkoppeling KOLOM=VELD, mag vaker")] = None,
) -> None:
    """Import responses; bad rows are reported, good rows kept; a re-import adds no duplicates."""
    store = get_store()
    store.migrate()
    consultation = consultation or get_settings().consultation
    if channel is not None and channel not in CHANNELS:
        _fail(f"onbekend kanaal '{channel}' (kies uit: {', '.join(CHANNELS)})")
    try:
        mapping = parse_mapping(map_ or [])
        with _progress() as progress:
            task = progress.add_task("Importeren", total=None)
            report = import_responses(
                path,
                consultation=consultation,
                mapping=mapping,
                channel=channel,
                store=store,
                progress=lambda n: progress.advance(task, n),
            )
    except ImportFileError as exc:
        _fail(f"{path}: {exc}")
    console.print(
        f"{path}: {report.added} toegevoegd, {report.duplicates} al aanwezig, {len(report.errors)} afgekeurd"
        f" (tekenset {report.encoding})"
    )
    for error in report.errors:
        errors.print(f"  rij {error.row_number}: {error.reason}", highlight=False)


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Argument(help="doelbestand (.csv of .xlsx)")],
    consultation: Annotated[str | None, typer.Option(help="alleen deze consultatie")] = None,
    what: Annotated[str, typer.Option(help="responses of themes")] = "responses",
    fmt: Annotated[str | None, typer.Option("--format", help="csv of xlsx (standaard: uit de extensie)")] = None,
) -> None:
    """Export responses (redacted text only) or themes to CSV or XLSX."""
    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        _fail(f"onbekend formaat '{fmt}' (kies uit: {', '.join(FORMATS)})")
    exporters = {"responses": export_responses, "themes": export_themes}
    if what not in exporters:
        _fail("--what is 'responses' of 'themes'")
    try:
        count = exporters[what](out, consultation=consultation, fmt=fmt)
    except (ExportError, OSError) as exc:
        _fail(str(exc))
    console.print(f"{count} rijen geschreven naar {out}")


@app.command()
def status() -> None:
    """Counts per consultation, channel, theme and wijk."""
    store = get_store()
    store.migrate()
    with store.session() as session:
        consultations = session.scalars(select(Consultation).order_by(Consultation.slug)).all()
        if not consultations:
            console.print("Nog geen consultaties: voer eerst 'samenspraak init' uit.")
            return
        for consultation in consultations:
            _print_consultation_status(session, consultation)


def _print_consultation_status(session, consultation: Consultation) -> None:  # noqa: ANN001 - Session
    def counts(column) -> list[tuple[str, int]]:  # noqa: ANN001 - a column
        return session.execute(
            select(column, func.count())
            .where(Response.consultation_id == consultation.id)
            .group_by(column)
            .order_by(func.count().desc())
        ).all()

    total = session.scalar(select(func.count()).where(Response.consultation_id == consultation.id))
    non_answers = session.scalar(
        select(func.count()).where(Response.consultation_id == consultation.id, Response.is_non_answer.is_(True))
    )
    console.rule(f"{consultation.title} ({consultation.slug})")
    console.print(f"Reacties: {total}, waarvan {non_answers} zonder inhoud (geen mening, weet niet)")
    table = Table("Kanaal", "Aantal")
    for channel, count in counts(Response.channel):
        table.add_row(CHANNELS.get(channel, channel), str(count))
    console.print(table)

    themes = Table("Thema", "Toegewezen (model/medewerker)", "Gekozen in chat")
    assigned = dict(
        session.execute(
            select(ThemeAssignment.theme_id, func.count())
            .join(Theme, ThemeAssignment.theme_id == Theme.id)
            .where(Theme.consultation_id == consultation.id)
            .group_by(ThemeAssignment.theme_id)
        ).all()
    )
    hinted = dict(counts(Response.theme_hint))
    for theme in session.scalars(
        select(Theme).where(Theme.consultation_id == consultation.id, Theme.active.is_(True)).order_by(Theme.position)
    ):
        themes.add_row(theme.name, str(assigned.get(theme.id, 0)), str(hinted.get(theme.key, 0)))
    console.print(themes)

    wijken = Table("Wijk", "Aantal")
    for wijk, count in counts(Response.wijk):
        wijken.add_row(wijk or "(onbekend)", str(count))
    console.print(wijken)


@app.command("create-account")
def create_account_command(
    username: str,
    role: Annotated[str, typer.Option(help="reporter, staff of admin")],
    display_name: Annotated[str | None, typer.Option(help="naam zoals anderen die zien")] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = ...,
) -> None:
    """Create a reporter or staff account."""
    store = get_store()
    store.migrate()
    try:
        create_account(username, password, role, display_name, store=store)
    except AccountError as exc:
        _fail(str(exc))
    console.print(f"Account '{username}' ({role}) aangemaakt.")


@app.command()
def purge(days: Annotated[int | None, typer.Option(help="bewaartermijn in dagen (standaard uit de configuratie)")] = None) -> None:
    """Forget original (unredacted) texts and chat conversations older than the retention period."""
    days = days if days is not None else get_settings().retention_days
    if days is None:
        _fail("geen bewaartermijn: geef --days of zet SAMENSPRAAK_RETENTION_DAYS")
    if days < 1:
        # Shorter would cut conversations that are still going on.
        _fail("de bewaartermijn is minstens 1 dag")
    count = purge_original_texts(days)
    console.print(f"Originele tekst gewist bij {count} reacties ouder dan {days} dagen.")
    try:
        events = purge_events_before(datetime.now(timezone.utc) - timedelta(days=days))
    except SQLAlchemyError as exc:
        _fail(f"de gesprekken van de assistent konden niet worden gewist ({exc.__class__.__name__})")
    console.print(f"{events} gebeurtenissen uit gesprekken met de assistent gewist.")


@app.command("export-code")
def export_code(
    code: Annotated[str, typer.Argument(help="de persoonlijke code van de inwoner, bijvoorbeeld K7PQR-M3XWD")],
    out: Annotated[Path | None, typer.Option(help="JSON-bestand (standaard: naar het scherm)")] = None,
) -> None:
    """Everything held about one personal code (responses, themes, consent, wijk, age group, chat) as JSON."""
    normalised = normalised_code(code)
    if normalised is None:
        _fail("een persoonlijke code heeft 10 tekens, bijvoorbeeld K7PQR-M3XWD")
    try:
        held = export_for_code(normalised)
    except SQLAlchemyError as exc:
        _fail(f"de gegevens konden niet worden gelezen ({exc.__class__.__name__})")
    if not held["bijdragen"]:
        _fail(f"geen bijdrage gevonden bij code {normalised}")
    content = json.dumps(held, ensure_ascii=False, indent=2)
    if out is None:
        print(content)
        return
    try:
        out.write_text(content + "\n", encoding="utf-8")
    except OSError as exc:
        _fail(str(exc))
    console.print(f"{len(held['bijdragen'])} bijdragen en {len(held['gesprekken'])} gesprekken geschreven naar {out}")


@app.command()
def consultations() -> None:
    """Validate and list the consultation definitions in data/consultations/."""
    try:
        definitions = load_all_consultations()
    except DefinitionError as exc:
        _fail(str(exc))
    for definition in definitions:
        console.print(f"{definition.slug}: {definition.title} — {', '.join(t.name for t in definition.themes)}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="adres (standaard: SAMENSPRAAK_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="poort (standaard: SAMENSPRAAK_PORT)")] = None,
) -> None:
    """Serve the web application (residents, reporters, staff)."""
    from samenspraak.web import serve as serve_web

    get_store().migrate()
    serve_web(host, port)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


def _safe_url(url: str) -> str:
    """The database URL without its password, for printing."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"
