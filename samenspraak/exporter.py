"""Export responses and themes to CSV or XLSX. Only redacted text ever leaves the store this way.

Cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR, NUL) are prefixed with a quote so that
`=HYPERLINK(...)` in a resident's text stays text in Excel (OWASP "CSV injection", ASVS 1.2.10).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from samenspraak.store import CHANNELS, Consultation, Response, Store, Theme, ThemeAssignment, get_store

FORMATS = ("csv", "xlsx")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")
RESPONSE_COLUMNS = (
    "id",
    "consultatie",
    "kanaal",
    "datum",
    "wijk",
    "leeftijdsgroep",
    "thema's",
    "geen_antwoord",
    "uitgesloten",
    "tekst",
)
THEME_COLUMNS = ("id", "consultatie", "sleutel", "soort", "naam", "hoofdthema", "aantal_reacties", "kernwoorden", "wat_doen_we_ermee")


class ExportError(ValueError):
    pass


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def xlsx_cell(value: object) -> object:
    """safe_cell, without the control characters that XLSX cannot hold (openpyxl refuses the whole file)."""
    value = safe_cell(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _write(path: Path, fmt: str, header: Sequence[str], rows: Iterable[Sequence[object]], sheet: str) -> int:
    if fmt not in FORMATS:
        raise ExportError(f"onbekend formaat '{fmt}' (kies uit: {', '.join(FORMATS)})")
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    if fmt == "csv":
        # utf-8-sig so that Excel opens accents correctly.
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                writer.writerow([safe_cell(value) for value in row])
                count += 1
        return count
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(list(header))
    for row in rows:
        worksheet.append([xlsx_cell(value) for value in row])
        count += 1
    workbook.save(path)
    return count


def export_responses(path: Path, *, consultation: str | None = None, fmt: str = "csv", store: Store | None = None) -> int:
    """Write all responses (of one consultation, or all) with their themes; returns the number of rows."""
    store = store or get_store()
    with store.session() as session:
        query = (
            select(Response, Consultation.slug)
            .join(Consultation, Response.consultation_id == Consultation.id)
            .options(selectinload(Response.assignments).selectinload(ThemeAssignment.theme))
            .order_by(Response.id)
        )
        if consultation:
            query = query.where(Consultation.slug == consultation)
        rows = [
            (
                response.id,
                slug,
                CHANNELS.get(response.channel, response.channel),
                response.created_at.isoformat(),
                response.wijk or "",
                response.age_group or "",
                "; ".join(a.theme.name for a in response.assignments),
                "ja" if response.is_non_answer else "nee",
                "ja" if response.excluded else "nee",
                response.text_redacted,
            )
            for response, slug in session.execute(query)
        ]
    return _write(Path(path), fmt, RESPONSE_COLUMNS, rows, "Reacties")


def export_themes(path: Path, *, consultation: str | None = None, fmt: str = "csv", store: Store | None = None) -> int:
    store = store or get_store()
    with store.session() as session:
        query = select(Theme, Consultation.slug).join(Consultation).where(Theme.active.is_(True))
        if consultation:
            query = query.where(Consultation.slug == consultation)
        themes = session.execute(query.order_by(Consultation.slug, Theme.position, Theme.id)).all()
        names = {theme.id: theme.name for theme, _ in themes}
        counts = dict(
            session.execute(
                select(ThemeAssignment.theme_id, func.count(ThemeAssignment.id)).group_by(ThemeAssignment.theme_id)
            ).all()
        )
        rows = [
            (
                theme.id,
                slug,
                theme.key,
                theme.kind,
                theme.name,
                names.get(theme.parent_id, ""),
                counts.get(theme.id, 0),
                ", ".join(theme.key_phrases or []),
                theme.follow_up or "",
            )
            for theme, slug in themes
        ]
    return _write(Path(path), fmt, THEME_COLUMNS, rows, "Thema's")
