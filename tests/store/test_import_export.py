"""Import of messy files keeps good rows and reports bad ones; export is safe to open in a spreadsheet."""

from __future__ import annotations

import csv

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from samenspraak.cli import app
from samenspraak.contributions import save_contribution
from samenspraak.exporter import FORMULA_PREFIXES, export_responses, export_themes
from samenspraak.importer import ImportFileError, import_responses, parse_mapping
from samenspraak.store import Interview, Response, Theme
from tests.conftest import fresh_analysis

CONSULTATION = "zoetermeer-2040"
BIG_CELL = "lang " * 20_480  # a 100 kB cell


def _messy_csv(path) -> None:
    """Windows-1252, semicolons, Dutch headers, an extra and a missing column, and planted defects."""
    rows = [
        "Datum;Kanaal;Wijk;Reactie;Extra kolom",
        "12-10-2024;web;Meerzicht;Meer groen in de wijk, graag bomen;x",  # row 2 good
        "13-10-2024;straat;Seghwaert;Café's in het Stadshart zijn te duur — jammer;",  # row 3 good, accents
        "14-10-2024;web;Oosterheem;   ;",  # row 4 empty text
        "31-02-2024;web;Dorp;Een onmogelijke datum;",  # row 5 impossible date
        "15-10-2024;fax;Dorp;Onbekend kanaal;",  # row 6 unknown channel
        f"16-10-2024;web;Dorp;{BIG_CELL};",  # row 7 100 kB cell: too long
        "12-10-2024;web;Meerzicht;Meer groen in de wijk, graag bomen;x",  # row 8 duplicate of row 2
        "17-10-2024;web",  # row 9 missing columns
        "18-10-2024;partners;;Samenwerken met het Dutch Innovation Park;extra;nog een",  # row 10 extra cells
    ]
    path.write_bytes("\r\n".join(rows).encode("cp1252"))


def test_messy_csv_keeps_good_rows_and_reports_bad_ones(store, tmp_path):
    path = tmp_path / "messy.csv"
    _messy_csv(path)
    report = import_responses(path, consultation=CONSULTATION, store=store)
    assert report.added == 3
    assert report.duplicates == 1
    reasons = {error.row_number: error.reason for error in report.errors}
    assert set(reasons) == {4, 5, 6, 7, 9}
    assert "lege" in reasons[4] and "datum" in reasons[5] and "kanaal" in reasons[6] and "langer" in reasons[7]
    assert report.encoding.lower().replace("-", "").replace("_", "") in {"cp1252", "windows1252", "latin1", "iso88591"}
    with store.session() as session:
        texts = set(session.scalars(select(Response.text_redacted)))
    assert any(t.startswith("Café's in het Stadshart zijn te duur") for t in texts)  # decoded, not mojibake

    again = import_responses(path, consultation=CONSULTATION, store=store)
    assert (again.added, again.duplicates) == (0, 4)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 3


def test_import_redacts_personal_data_before_storing(store, tmp_path):
    path = tmp_path / "pii.csv"
    path.write_text("tekst\nBel me op 06-12345678 of mail jan@example.nl over de speeltuin\n", encoding="utf-8")
    assert import_responses(path, consultation=CONSULTATION, store=store).added == 1
    with store.session() as session:
        stored = session.scalar(select(Response.text_redacted))
    assert "06-12345678" not in stored and "jan@example.nl" not in stored
    assert "[TELEFOON]" in stored and "[E-MAIL]" in stored


def test_xlsx_with_mapping_and_street_interviews(store, tmp_path):
    path = tmp_path / "straat.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Wat zei de inwoner", "Kanaal", "Interview", "Plek"])
    sheet.append(["Meer bankjes bij de Noord Aa", "straat", "int-1", "Noord Aa"])
    sheet.append(["En een toilet", "straat", "int-1", "Noord Aa"])
    workbook.save(path)
    report = import_responses(
        path, consultation=CONSULTATION, mapping=parse_mapping(["Wat zei de inwoner=text"]), store=store
    )
    assert report.added == 2 and not report.errors
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Interview)) == 1
        assert session.scalar(select(func.count(func.distinct(Response.interview_id)))) == 1


def test_file_level_errors_are_clear(store, tmp_path):
    no_text = tmp_path / "geen-tekst.csv"
    no_text.write_text("datum,wijk\n2024-10-01,Dorp\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="geen kolom met de reactietekst"):
        import_responses(no_text, consultation=CONSULTATION, store=store)
    with pytest.raises(ImportFileError, match="onbekend veld"):
        parse_mapping(["Reactie=tekst"])
    broken = tmp_path / "kapot.xlsx"
    broken.write_bytes(b"\x00\x01 dit is geen xlsx")
    with pytest.raises(ImportFileError, match="XLSX"):
        import_responses(broken, consultation=CONSULTATION, store=store)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_neutralises_formulas(store, tmp_path, fmt):
    path = tmp_path / "in.csv"
    path.write_text('tekst\n"=HYPERLINK(""http://evil.example"",""klik"")"\nGewoon een mening\n', encoding="utf-8")
    import_responses(path, consultation=CONSULTATION, store=store)
    out = tmp_path / f"out.{fmt}"
    assert export_responses(out, consultation=CONSULTATION, fmt=fmt, store=store) == 2
    if fmt == "csv":
        with out.open(encoding="utf-8-sig", newline="") as handle:
            cells = [row[-1] for row in csv.reader(handle)][1:]
    else:
        cells = [row[-1] for row in load_workbook(out).active.iter_rows(min_row=2, values_only=True)]
    assert all(not cell.startswith("=") for cell in cells)
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    assert export_themes(tmp_path / f"themes.{fmt}", consultation=CONSULTATION, fmt=fmt, store=store) >= 7


def test_cli_init_import_status_export(store, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert "zoetermeer-2040" in result.output
    path = tmp_path / "a.csv"
    path.write_text("reactie;kanaal;wijk\nMeer groen;web;Meerzicht\n;web;Dorp\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(path), "--consultation", CONSULTATION])
    assert result.exit_code == 0, result.output
    assert "1 toegevoegd" in result.output and "rij 3" in result.output
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0 and "Meerzicht" in result.output and "Reacties: 1" in result.output
    result = runner.invoke(app, ["import", str(tmp_path / "bestaat-niet.csv")])
    assert result.exit_code == 1 and "niet gevonden" in result.output
    result = runner.invoke(app, ["export", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1 and "formaat" in result.output


FORMULA_STARTS = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "=cmd|'/c calc'!", "@SUM(", "-2+3+", "+HYPERLINK("])


@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    start=FORMULA_STARTS,
    rest=st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc"]), max_size=40),
    control=st.sampled_from(["", "\x01", "\x1b[31m", "\x0b\x0c"]),
)
def test_no_exported_cell_is_ever_a_formula(store, tmp_path, start, rest, control):
    """Whatever a resident, reporter or importer put in text, wijk or theme, no spreadsheet runs it, and
    control characters (which XLSX cannot hold) do not break the export."""
    text = start + "x" + rest + control
    save_contribution(
        consultation=CONSULTATION, channel="straat", text=text, wijk=text, analysis=fresh_analysis(text.strip()),
        store=store,
    )
    with store.session() as session:
        session.execute(update(Theme).where(Theme.key == "duurzame-stad").values(name=text[:200], follow_up=text))
    for export, fmt in ((export_responses, "csv"), (export_responses, "xlsx"), (export_themes, "csv"), (export_themes, "xlsx")):
        out = tmp_path / f"{export.__name__}.{fmt}"
        export(out, consultation=CONSULTATION, fmt=fmt, store=store)
        if fmt == "csv":
            with out.open(encoding="utf-8-sig", newline="") as handle:
                cells = [cell for row in csv.reader(handle) for cell in row]
        else:
            sheet = load_workbook(out).active
            cells = []
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", cell.value
                    cells.append(cell.value)
        texts = [cell for cell in cells if isinstance(cell, str)]
        assert not [cell for cell in texts if cell.startswith(FORMULA_PREFIXES)]
        if fmt == "csv":  # the text itself survives, behind the quote (XML turns CR into LF in XLSX)
            stored = text.strip() if export is export_responses else text  # staff edits are kept as typed
            assert any(cell.removeprefix("'") == stored for cell in texts), (fmt, text)
