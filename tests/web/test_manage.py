"""Staff tools: reporter accounts, import, export and the audit log page."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from samenspraak.contributions import save_contribution
from samenspraak.store import AuditLog, Response
from tests.conftest import fresh_analysis
from tests.web.conftest import SLUG, page_token


def post_form(client, path: str, data: dict, page: str, **kwargs):
    return client.post(path, data=data | {"csrf_token": page_token(client, page)}, follow_redirects=False, **kwargs)


def audit_actions(store) -> list[str]:
    with store.session() as session:
        return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


# ----------------------------------------------------------------------------------------------- accounts


def test_staff_see_and_create_reporter_accounts_only(staff, store):
    page = staff.get("/beheer/accounts").text
    assert "test-reporter" in page and "test-admin" not in page
    assert '<option value="staff"' not in page
    created = post_form(
        staff,
        "/beheer/accounts",
        {"username": "Reporter.Anna", "display_name": "Anna", "password": "anna-haar-wachtwoord", "role": "reporter"},
        "/beheer/accounts",
    )
    assert created.status_code == 303
    assert "reporter.anna" in staff.get("/beheer/accounts").text
    refused = post_form(
        staff,
        "/beheer/accounts",
        {"username": "baas", "display_name": "", "password": "een-lang-wachtwoord", "role": "admin"},
        "/beheer/accounts",
    )
    assert refused.status_code == 403 and "razende reporters" in refused.text
    assert audit_actions(store) == ["account.create"]


def test_admins_manage_every_role(admin):
    page = admin.get("/beheer/accounts").text
    assert "test-staff" in page and '<option value="admin"' in page
    created = post_form(
        admin,
        "/beheer/accounts",
        {"username": "medewerker2", "display_name": "", "password": "een-lang-wachtwoord", "role": "staff"},
        "/beheer/accounts",
    )
    assert created.status_code == 303


def test_account_errors_are_shown_and_the_form_keeps_its_values(staff):
    short = post_form(
        staff,
        "/beheer/accounts",
        {"username": "nieuw", "display_name": "Nieuwe reporter", "password": "kort", "role": "reporter"},
        "/beheer/accounts",
    )
    assert short.status_code == 400 and "minstens 10 tekens" in short.text and 'value="Nieuwe reporter"' in short.text
    taken = post_form(
        staff,
        "/beheer/accounts",
        {"username": "test-reporter", "display_name": "", "password": "een-lang-wachtwoord", "role": "reporter"},
        "/beheer/accounts",
    )
    assert taken.status_code == 400 and "bestaat al" in taken.text


def test_a_display_name_longer_than_the_column_is_refused_in_dutch(staff, store):
    page = staff.get("/beheer/accounts").text
    assert 'name="display_name"' in page and 'maxlength="200"' in page
    refused = post_form(
        staff,
        "/beheer/accounts",
        {"username": "lang", "display_name": "A" * 201, "password": "een-lang-wachtwoord", "role": "reporter"},
        "/beheer/accounts",
    )
    assert refused.status_code == 400 and "maximaal 200 tekens" in refused.text
    assert audit_actions(store) == []


def test_switching_a_reporter_off_locks_them_out(staff, reporter, accounts):
    assert reporter.get("/reporter/").status_code == 200
    switched = post_form(
        staff, f"/beheer/accounts/{accounts['reporter']}/actief", {"active": "false"}, "/beheer/accounts"
    )
    assert switched.status_code == 303
    assert reporter.get("/reporter/", follow_redirects=False).status_code == 303
    post_form(staff, f"/beheer/accounts/{accounts['reporter']}/actief", {"active": "true"}, "/beheer/accounts")
    assert reporter.get("/reporter/").status_code == 200


def test_staff_cannot_switch_off_admins_or_themselves(staff, admin, accounts):
    assert (
        post_form(
            staff, f"/beheer/accounts/{accounts['admin']}/actief", {"active": "false"}, "/beheer/accounts"
        ).status_code
        == 403
    )
    own = post_form(admin, f"/beheer/accounts/{accounts['admin']}/actief", {"active": "false"}, "/beheer/accounts")
    assert own.status_code == 303
    assert "eigen account" in admin.get("/beheer/accounts").text
    assert admin.get("/beheer").status_code == 200


# ------------------------------------------------------------------------------------------------- import

CSV_FILE = (
    "tekst,wijk,leeftijd\n"
    "Meer groen in Meerzicht.,Meerzicht,45\n"
    "Betere fietspaden.,,\n"
    ",Dorp,\n"  # an empty text: refused
    "Het is prima zo.,Dorp,oud\n"  # an unknown age group: refused (row 5)
)


def upload(client, name: str, content: bytes, **fields):
    return post_form(
        client,
        "/beheer/import",
        {"channel": "web", "mapping": ""} | fields,
        "/beheer/import",
        files={"file": (name, content)},
    )


def test_importing_a_csv_reports_added_duplicates_and_bad_rows(staff, store):
    first = upload(staff, "reacties.csv", CSV_FILE.encode())
    assert first.status_code == 200, first.text
    assert '<span class="stat__value">2</span><span class="stat__label">toegevoegd' in first.text
    assert '<td class="number">5</td>' in first.text and "leeftijdsgroep" in first.text
    again = upload(staff, "reacties.csv", CSV_FILE.encode())
    assert '<span class="stat__value">2</span><span class="stat__label">stonden er al' in again.text
    with store.session() as session:
        assert sorted(session.scalars(select(Response.channel))) == ["web", "web"]
    assert audit_actions(store) == ["responses.import", "responses.import"]


def test_importing_an_xlsx_with_a_column_mapping(staff, store):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Wat vindt u?", "Buurt"])
    sheet.append(["Meer speeltuinen.", "Rokkeveen"])
    content = io.BytesIO()
    workbook.save(content)
    response = upload(staff, "enquete.xlsx", content.getvalue(), mapping="Wat vindt u?=text\nBuurt=wijk")
    assert '<span class="stat__value">1</span><span class="stat__label">toegevoegd' in response.text
    with store.session() as session:
        assert session.scalar(select(Response.wijk)) == "Rokkeveen"


def test_a_long_file_name_is_imported_and_logged_in_full(staff, store):
    name = "Reacties inloopavond Stadhuis " + "x" * 80 + " (definitief).csv"
    response = upload(staff, name, CSV_FILE.encode())
    assert response.status_code == 200 and "toegevoegd" in response.text
    with store.session() as session:
        entry = session.scalars(select(AuditLog)).one()
    # The target column holds 100 characters (PostgreSQL refuses more); the payload has the whole name.
    assert entry.target_id == name[:100] and entry.payload["filename"] == name


def test_a_file_name_with_a_nul_is_refused(staff, store):
    # Written by hand: httpx would escape the NUL in the file name.
    token = page_token(staff, "/beheer/import")
    body = (
        f'--grens\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        '--grens\r\nContent-Disposition: form-data; name="file"; filename="reacties\x00.csv"\r\n\r\n'
        f"{CSV_FILE}\r\n--grens--\r\n"
    ).encode()
    response = staff.post(
        "/beheer/import", content=body, headers={"Content-Type": "multipart/form-data; boundary=grens"}
    )
    assert response.status_code == 422 and "niet kunnen opslaan" in response.text
    assert audit_actions(store) == []


def test_an_odd_age_is_a_bad_row_not_a_crash(staff, store):
    rows = "tekst,leeftijd\nMeer groen.,\u2460\nMeer bankjes.,\u00b2\nBetere bus.," + "4" * 5000 + "\nMeer licht.,45\n"
    response = upload(staff, "leeftijden.csv", rows.encode())
    assert response.status_code == 200
    assert '<span class="stat__value">1</span><span class="stat__label">toegevoegd' in response.text
    assert response.text.count("Onbekende leeftijdsgroep") == 3


def test_unreadable_files_are_refused_with_a_reason(staff, store):
    assert "CSV- of XLSX" in upload(staff, "foto.png", b"\x89PNG").text
    broken = upload(staff, "kapot.xlsx", b"geen excel")
    assert broken.status_code == 400 and "kon niet worden ingelezen" in broken.text
    wrong_mapping = upload(staff, "reacties.csv", CSV_FILE.encode(), mapping="tekst=onzin")
    assert wrong_mapping.status_code == 400 and "onbekend veld" in wrong_mapping.text
    with store.session() as session:
        assert session.scalar(select(func.count(Response.id))) == 0


# ------------------------------------------------------------------------------------------------- export


def test_exports_are_valid_files_and_formula_safe(staff, store):
    for text in ("Meer groen.", '=HYPERLINK("http://evil.example")'):
        save_contribution(consultation=SLUG, channel="web", text=text, analysis=fresh_analysis(text), store=store)
    csv_response = staff.get("/beheer/export/reacties.csv")
    assert csv_response.status_code == 200
    assert "attachment" in csv_response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "id" and len(rows) == 3
    assert '\'=HYPERLINK("http://evil.example")' in {row[-1] for row in rows}
    xlsx = staff.get("/beheer/export/reacties.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 3 and sheet.cell(1, 1).value == "id"
    themes = load_workbook(io.BytesIO(staff.get("/beheer/export/themas.xlsx").content)).active
    assert "Zoetermeer is mijn thuis" in [row[4] for row in themes.iter_rows(values_only=True)]
    assert staff.get("/beheer/export/wachtwoorden.csv").status_code == 404
    assert audit_actions(store) == ["responses.export"] * 3


# ---------------------------------------------------------------------------------------------- audit log


def test_the_audit_log_page_shows_who_did_what(staff, store):
    upload(staff, "reacties.csv", CSV_FILE.encode())
    page = staff.get("/beheer/logboek").text
    assert "Bestand geïmporteerd" in page and "Test staff" in page and "reacties.csv" in page
