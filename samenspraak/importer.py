"""Import responses from CSV or XLSX files with a column mapping.

Good rows are stored, bad rows are reported with their row number and reason, and importing the same file
again adds nothing (each row's content is its idempotency key).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from charset_normalizer import from_bytes
from openpyxl import load_workbook
from sqlalchemy import select

from samenspraak.consultations import DefinitionError, load_consultation
from samenspraak.contributions import (
    MAX_TEXT_LENGTH,
    ContributionError,
    analyse_texts,
    create_interview,
    is_storable,
    save_contribution,
    validated_age_group,
)
from samenspraak.store import CHANNELS, Response, Store, get_store

FIELDS = ("text", "consultation", "channel", "created_at", "wijk", "age_group", "place", "interview_ref", "theme_hint")
# Header names we recognise without a mapping (lower case); a mapping given by the user wins.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "tekst", "reactie", "antwoord", "opmerking", "bijdrage", "response"),
    "consultation": ("consultation", "consultatie", "visie"),
    "channel": ("channel", "kanaal", "bron"),
    "created_at": ("created_at", "datum", "date", "tijdstip", "datum/tijd"),
    "wijk": ("wijk", "buurt", "district"),
    "age_group": ("age_group", "leeftijd", "leeftijdsgroep", "age"),
    "place": ("place", "plek", "locatie", "ontmoetingsplek"),
    "interview_ref": ("interview_ref", "interview", "interviewnummer"),
    "theme_hint": ("theme_hint", "thema"),
}
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y")
MAX_FILE_BYTES = 50 * 1024 * 1024


class ImportFileError(ValueError):
    """The file as a whole cannot be read; nothing was imported."""


@dataclass(frozen=True)
class RowError:
    row_number: int
    reason: str


@dataclass
class ImportReport:
    added: int = 0
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)
    encoding: str | None = None

    @property
    def rows_read(self) -> int:
        return self.added + self.duplicates + len(self.errors)


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """['Reactie=text', …] → {'reactie': 'text'}; a clear error for unknown fields."""
    mapping = {}
    for pair in pairs:
        if "=" not in pair:
            raise ImportFileError(f"koppeling '{pair}' heeft de vorm KOLOM=VELD")
        column, target = (part.strip() for part in pair.split("=", 1))
        if target not in FIELDS:
            raise ImportFileError(f"onbekend veld '{target}' in koppeling (velden: {', '.join(FIELDS)})")
        mapping[column.lower()] = target
    return mapping


def _decode(raw: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) or UTF-16 by BOM; else Windows-1252, what Dutch Excel writes; else a guess."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            return raw.decode(encoding), encoding
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" not in raw:
        try:
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    best = from_bytes(raw).best()
    if best is None:
        raise ImportFileError("de tekenset van het bestand is niet te herkennen (is het wel tekst?)")
    return str(best), best.encoding


def _read_csv(raw: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]], str]:
    text, encoding = _decode(raw)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("het bestand is leeg") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        # Row numbers as a spreadsheet shows them: the header is row 1.
        for number, row in enumerate(reader, start=2):
            yield number, row

    return header, rows(), encoding


def _delimiter(text: str) -> str:
    """The separator the header line uses most; csv.Sniffer guesses wrong on files with huge cells."""
    header = text.split("\n", 1)[0]
    counts = {candidate: header.count(candidate) for candidate in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise ImportFileError(f"geen leesbaar XLSX-bestand ({exc.__class__.__name__})") from exc
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    try:
        header = ["" if cell is None else str(cell) for cell in next(values)]
    except StopIteration:
        raise ImportFileError("het werkblad is leeg") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, row in enumerate(values, start=2):
            yield number, ["" if cell is None else (cell.isoformat() if isinstance(cell, datetime) else str(cell)) for cell in row]

    return header, rows()


def _column_targets(header: list[str], mapping: dict[str, str]) -> dict[int, str]:
    targets: dict[int, str] = {}
    for index, name in enumerate(header):
        key = name.strip().lower()
        target = mapping.get(key) or next((f for f, aliases in HEADER_ALIASES.items() if key in aliases), None)
        if target and target not in targets.values():
            targets[index] = target
    if "text" not in targets.values():
        raise ImportFileError(
            "geen kolom met de reactietekst gevonden; geef een koppeling, bijvoorbeeld --map 'Reactie=text' "
            f"(kolommen in het bestand: {', '.join(h for h in header if h) or 'geen'})"
        )
    return targets


def _parse_date(value: str) -> datetime:
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        for fmt in DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        else:
            raise ContributionError(f"onbekende of onmogelijke datum '{value[:40]}'") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _row_key(record: dict[str, str]) -> str:
    content = "\x1f".join(record.get(name, "").strip() for name in FIELDS)
    return "import:" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:40]


def _records(path: Path, mapping: dict[str, str], report: ImportReport) -> Iterator[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise ImportFileError(f"bestand niet gevonden: {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportFileError(f"het bestand is groter dan {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        header, rows = _read_xlsx(path)
        report.encoding = "xlsx"
    else:
        header, rows, report.encoding = _read_csv(path.read_bytes())
    targets = _column_targets(header, mapping)
    for number, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        yield number, {target: row[index] for index, target in targets.items() if index < len(row)}


def import_responses(
    path: Path,
    *,
    consultation: str,
    mapping: dict[str, str] | None = None,
    channel: str | None = None,
    store: Store | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a file; `consultation` and `channel` are used for rows that do not name their own."""
    store = store or get_store()
    report = ImportReport()
    try:
        load_consultation(consultation)
    except DefinitionError as exc:
        raise ImportFileError(str(exc)) from exc
    prepared: list[tuple[int, dict, dict[str, str]]] = []
    for number, record in _records(Path(path), mapping or {}, report):
        try:
            prepared.append((number, _validated_row(record, consultation, channel), record))
        except (ContributionError, DefinitionError) as exc:
            report.errors.append(RowError(number, str(exc)))

    # Rows stored by an earlier import, or repeated within this file, are duplicates: no need to redact,
    # analyse and look them up one by one (a file of one row pasted 100,000 times took minutes).
    keys = [_row_key(record) for _, _, record in prepared]
    seen = _stored_keys(store, keys)
    new_rows = []
    for row, key in zip(prepared, keys, strict=True):
        if key not in seen:
            seen.add(key)
            new_rows.append((*row, key))
    report.duplicates += len(prepared) - len(new_rows)
    if progress and len(new_rows) < len(prepared):
        progress(len(prepared) - len(new_rows))
    analyses = analyse_texts([fields["text"] for _, fields, _, _ in new_rows]) if new_rows else []
    for (number, fields, record, key), analysis in zip(new_rows, analyses, strict=True):
        try:
            interview_id = None
            if fields["channel"] == "straat" and record.get("interview_ref", "").strip():
                interview_id, _ = create_interview(
                    consultation=fields["consultation"],
                    reporter_id=None,
                    place=record.get("place"),
                    held_at=fields["created_at"],
                    wijk=fields["wijk"],
                    age_group=fields["age_group"],
                    idempotency_key=f"import-interview:{fields['consultation']}:{record['interview_ref'].strip()}",
                    external_ref=record["interview_ref"].strip(),
                    store=store,
                )
            saved = save_contribution(
                **fields, interview_id=interview_id, idempotency_key=key, analysis=analysis, store=store
            )
        except ContributionError as exc:
            report.errors.append(RowError(number, str(exc)))
            continue
        if saved.duplicate:
            report.duplicates += 1
        else:
            report.added += 1
        if progress:
            progress(1)
    report.errors.sort(key=lambda error: error.row_number)
    return report


def _stored_keys(store: Store, keys: list[str]) -> set[str]:
    found: set[str] = set()
    with store.session() as session:
        for start in range(0, len(keys), 500):  # stay under SQL parameter limits
            chunk = keys[start : start + 500]
            found.update(session.scalars(select(Response.idempotency_key).where(Response.idempotency_key.in_(chunk))))
    return found


def _validated_row(record: dict[str, str], consultation: str, channel: str | None) -> dict:
    if not all(is_storable(value) for value in record.values()):
        raise ContributionError("de rij bevat een NUL-teken (is het bestand wel tekst?)")
    text = record.get("text", "").strip()
    if not text:
        raise ContributionError("lege reactietekst")
    if len(text) > MAX_TEXT_LENGTH:
        raise ContributionError(f"reactietekst langer dan {MAX_TEXT_LENGTH} tekens ({len(text)})")
    row_consultation = record.get("consultation", "").strip() or consultation
    load_consultation(row_consultation)
    row_channel = record.get("channel", "").strip().lower() or channel or "import"
    if row_channel not in CHANNELS:
        raise ContributionError(f"onbekend kanaal '{row_channel[:40]}' (kies uit: {', '.join(CHANNELS)})")
    created = record.get("created_at", "").strip()
    return {
        "consultation": row_consultation,
        "channel": row_channel,
        "text": text,
        "created_at": _parse_date(created) if created else None,
        "wijk": record.get("wijk", "").strip() or None,
        "age_group": validated_age_group(record.get("age_group")),
        "theme_key": record.get("theme_hint", "").strip() or None,
    }
