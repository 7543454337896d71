"""Bad input on every surface: no 5xx, a clear Dutch answer, and nothing already stored lost or altered.

schemathesis generates requests (valid and invalid) for every operation in the app's OpenAPI schema, as an
anonymous visitor, a reporter and a staff member; hypothesis adds the inputs that matter most by hand (huge,
binary, invalid UTF-8, emoji, right-to-left, HTML, SQL, path traversal, formulas). Deterministic
(derandomize) and with modest example counts, so the suite stays fast; on SQLite and PostgreSQL (`store`).
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections import Counter
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from schemathesis.generation import GenerationMode
from sqlalchemy import select

from samenspraak.contributions import consultation_by_slug, create_interview, save_contribution
from samenspraak.store import Account, Interview, Response, Theme, ThemeAssignment
from samenspraak.web.errors import FRAMEWORK_DETAILS
from samenspraak.web.security import SESSION_COOKIE
from tests.conftest import fresh_analysis
from tests.web.conftest import SLUG, FakeRasa, page_token

CODE = "K7PQR-M3XWD"
# What people and programs really send: the corner cases hypothesis' random text rarely hits.
NASTY = [
    "",
    "   ",
    "\t\r\n",
    "x" * 100_000,
    "\x00\x01\x02 binair",
    "\ud800 losse surrogaat",
    "🙂🌳🚲 meer groen 👍🏽",
    "مزيد من الأشجار في الحي ‏שלום‎",
    '<script>alert("x")</script><img src=x onerror=alert(1)>',
    "'; DROP TABLE response; --",
    "1 OR 1=1",
    "../../../etc/passwd",
    '=HYPERLINK("http://evil.example","klik")',
    "+31 6 12345678",
    "@SUM(1+1)",
    "\u202egnorw",
    "%00%2e%2e%2f",
    "{{ 7*7 }} ${7*7}",
]
nasty_text = st.sampled_from(NASTY) | st.text(max_size=300)
FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture
def seeded(store) -> dict:
    """Contributions that must survive every bad request unchanged: chat with a code, an interview, a theme."""
    interview_id, _ = create_interview(
        consultation=SLUG, reporter_id=None, place="Stadshart", held_at=None, wijk="Meerzicht",
        age_group="35-54", idempotency_key="reporter:bestaand-interview-01", store=store,
    )
    ids = []
    for number, (text, kwargs) in enumerate(
        [
            ("Meer groen in de wijk.", {"channel": "chat", "personal_code": CODE, "chat_session_id": "s" * 24}),
            ("Meer bankjes bij de Noord Aa.", {"channel": "straat", "interview_id": interview_id}),
            ("Betere fietspaden.", {"channel": "web", "wijk": "Dorp", "age_group": "18-34"}),
        ]
    ):
        saved = save_contribution(
            consultation=SLUG, text=text, idempotency_key=f"reporter:bestaand-interview-01:{number}",
            analysis=fresh_analysis(text), store=store, **kwargs,
        )
        ids.append(saved.response_id)
    with store.session() as session:
        consultation = consultation_by_slug(session, SLUG)
        theme = session.scalar(select(Theme).where(Theme.consultation_id == consultation.id, Theme.key == "duurzame-stad"))
        session.add(ThemeAssignment(response_id=ids[0], theme_id=theme.id, source="staff", confidence=1.0))
    return snapshot(store)


def snapshot(store) -> dict:
    """What a resident or reporter gave us, as stored: bad input must never change any of it."""
    with store.session() as session:
        return {
            "responses": {
                row.id: (
                    row.text_redacted, row.channel, row.wijk, row.age_group, row.consent, row.personal_code_hash,
                    row.chat_session_id, row.interview_id, row.idempotency_key, row.created_at.isoformat(),
                )
                for row in session.scalars(select(Response))
            },
            "interviews": {
                row.id: (row.place, row.wijk, row.age_group, row.idempotency_key)
                for row in session.scalars(select(Interview))
            },
            "assignments": set(session.execute(select(ThemeAssignment.response_id, ThemeAssignment.theme_id)).all()),
            "accounts": {row.id: (row.username, row.role, row.password_hash) for row in session.scalars(select(Account))},
        }


def assert_kept(before: dict, after: dict, *, staff_edits: bool = False) -> None:
    """Everything stored before is still there, unchanged; new rows may have been added.

    Staff may legitimately move responses between themes, so their fuzz run checks the contributions only.
    """
    for table in ("responses", "interviews", "accounts"):
        for key, value in before[table].items():
            assert after[table].get(key) == value, (table, key, value, after[table].get(key))
    if not staff_edits:
        assert before["assignments"] <= after["assignments"]


def post_json(client, path: str, body: object, token: str | None = None):
    """JSON with escapes, so a lone surrogate goes over the wire as a client could send it: '\\ud800'."""
    headers = {"Content-Type": "application/json"} | ({"X-CSRF-Token": token} if token else {})
    return client.post(path, content=json.dumps(body), headers=headers)


def post_form(client, path: str, data: dict, **kwargs):
    """A form post in which a lone surrogate becomes invalid UTF-8, as a broken client would send it."""
    body = urlencode(data, doseq=True, encoding="utf-8", errors="surrogatepass")
    return client.post(path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, **kwargs)


def assert_clear_answer(response, what) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text[:300])
    if response.status_code >= 400 and "/api/" in str(response.url):
        detail = response.json()["detail"]
        assert isinstance(detail, str) and detail and detail not in FRAMEWORK_DETAILS, (what, detail)
    elif response.status_code >= 400 and response.headers.get("content-type", "").startswith("text/html"):
        assert 'lang="nl"' in response.text and "Traceback" not in response.text, what


# ------------------------------------------------------------------------------------------- schemathesis


def openapi_schema(app):
    # The app publishes no schema URL (nothing to hand attackers); FastAPI builds it on request.
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    return schema


def fuzz_operations(schema, client, token: str, operations: list, examples: int) -> Counter:
    """Status codes per (method, path) of the generated requests; fails on the first 5xx."""
    cookies = {SESSION_COOKIE: client.cookies[SESSION_COOKIE]} if SESSION_COOKIE in client.cookies else {}
    statuses: Counter = Counter()
    for operation in operations:
        strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE) | operation.as_strategy(
            generation_mode=GenerationMode.NEGATIVE
        )

        @settings(FUZZ, max_examples=examples)
        @given(case=strategy)
        def run(case) -> None:
            response = case.call(headers={"X-CSRF-Token": token}, cookies=cookies)
            assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, case.body)
            statuses[operation.method.upper(), operation.path, response.status_code] += 1

        run()
    return statuses


def reached(statuses: Counter) -> set[tuple[str, str]]:
    """Operations that accepted at least one generated request: the session and token really worked."""
    return {(method, path) for method, path, status in statuses if status < 400}


def operations(schema, keep) -> list:
    found = [result.ok() for result in schema.get_all_operations()]
    return [op for op in found if keep(op.method.upper(), op.path)]


def test_schemathesis_public_and_reporter_operations(app, rasa, make_client, store, seeded):
    app.state.settings = dataclasses.replace(app.state.settings, rasa_url=rasa)
    schema = openapi_schema(app)
    for role in (None, "reporter"):
        client = make_client(role)
        token = page_token(client, "/reporter/" if role else "/inloggen")
        # Logging out would end the session the rest of the run uses; it has no input to fuzz.
        selected = operations(schema, lambda method, path: not path.startswith("/beheer") and path != "/uitloggen")
        statuses = fuzz_operations(schema, client, token, selected, examples=12)
        if role:
            # The session works (a valid interview is rare in random data: test_reporter_entries covers those).
            assert {("GET", "/reporter/"), ("GET", "/api/reporter/session")} <= reached(statuses)
    assert_kept(seeded, snapshot(store))


def test_schemathesis_staff_operations(app, make_client, store, seeded):
    schema = openapi_schema(app)
    staff = make_client("staff")
    token = page_token(staff, "/beheer")
    # Starting an analysis spawns a process that fits the topic model: too slow to fuzz, its input is one choice.
    selected = operations(schema, lambda method, path: path.startswith("/beheer") and (method, path) != ("POST", "/beheer/analyse"))
    statuses = fuzz_operations(schema, staff, token, selected, examples=8)
    assert len(reached(statuses)) >= 15, reached(statuses)  # the staff session and token really worked
    assert_kept(seeded, snapshot(store), staff_edits=True)
    assert staff.get("/beheer").status_code == 200  # the session survived


# ------------------------------------------------------------------------------------------------ by hand


@pytest.fixture
def chat_client(app, rasa, anonymous):
    app.state.settings = dataclasses.replace(app.state.settings, rasa_url=rasa)
    return anonymous


@settings(FUZZ, max_examples=40)
@given(message=nasty_text)
def test_chat_messages(chat_client, message):
    response = post_json(chat_client, "/api/chat", {"message": message})
    assert_clear_answer(response, message)
    acceptable = message.strip() and len(message.strip()) <= 2000 and not {"\ud800", "\x00"} & set(message)
    assert response.status_code == (200 if acceptable else 422)
    if response.status_code == 200:
        assert FakeRasa.received[-1]["message"] == message.strip()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe\xfa not utf-8", "application/json"),
        (b'{"message": "\xc3\x28"}', "application/json"),
        (b'{"message": "\\ud800"}', "application/json"),
        (b"message=hallo", "application/x-www-form-urlencoded"),
        (b"hallo", "text/plain"),
        (b"", "application/json"),
        (b"[]", "application/json"),
        (b'{"message": ["a"]}', "application/json"),
        (b'{"message": "hallo", "session_id": "../../etc/passwd"}', "application/json"),
        (bytes(range(256)), "application/octet-stream"),
    ],
)
def test_chat_refuses_malformed_bodies_in_dutch(chat_client, body, content_type):
    response = chat_client.post("/api/chat", content=body, headers={"Content-Type": content_type})
    assert_clear_answer(response, body)
    assert response.status_code in (400, 422)


@settings(FUZZ, max_examples=30)
@given(text=nasty_text, place=nasty_text, wijk=nasty_text, age=st.sampled_from(["", "45", "oud", "-1", "18-34", "9" * 30]))
def test_reporter_entries(reporter, store, seeded, text, place, wijk, age):
    token = page_token(reporter, "/reporter/")
    entry = {"id": "a" * 16 + "-fuzz", "place": place[:300], "wijk": wijk[:300], "age_group": age, "statements": [{"text": text}]}
    response = post_json(reporter, "/api/reporter/interviews", entry, token)
    assert_clear_answer(response, entry)
    assert_kept(seeded, snapshot(store))


def test_a_reused_idempotency_key_never_overwrites(reporter, store, seeded):
    token = page_token(reporter, "/reporter/")
    first = {"id": "b" * 20, "statements": [{"text": "Meer bomen."}]}
    assert reporter.post("/api/reporter/interviews", json=first, headers={"X-CSRF-Token": token}).status_code == 200
    stored = snapshot(store)
    for text in ("Iets heel anders.", "<script>x</script>", "x" * 25_000, ""):
        other = {"id": "b" * 20, "statements": [{"text": text}]}
        answer = post_json(reporter, "/api/reporter/interviews", other, token)
        assert_clear_answer(answer, text)
        assert snapshot(store) == stored


@pytest.mark.parametrize("body", [b"\x00\xff", b"{", b'{"id": "x"}', b'{"id": "' + b"a" * 5000 + b'", "statements": []}'])
def test_reporter_refuses_broken_json(reporter, body):
    token = page_token(reporter, "/reporter/")
    response = reporter.post(
        "/api/reporter/interviews", content=body, headers={"X-CSRF-Token": token, "Content-Type": "application/json"}
    )
    assert response.status_code == 422 and "ingevuld" in response.json()["detail"]


@settings(FUZZ, max_examples=30)
@given(code=nasty_text)
def test_personal_code_lookup_and_delete(anonymous, store, seeded, code):
    token = page_token(anonymous, "/mijn-bijdrage")
    for path in ("/mijn-bijdrage", "/mijn-bijdrage/verwijderen", "/mijn-bijdrage/downloaden"):
        response = post_form(anonymous, path, {"code": code, "csrf_token": token})
        assert_clear_answer(response, (path, code))
        assert response.status_code in (400, 404, 422)
        assert "code" in response.text or "tekens" in response.text
    assert_kept(seeded, snapshot(store))


@settings(FUZZ, max_examples=15)
@given(username=nasty_text, password=nasty_text)
def test_login_with_nonsense(anonymous, accounts, username, password):
    token = page_token(anonymous, "/inloggen")
    response = post_form(
        anonymous, "/inloggen", {"username": username, "password": password, "csrf_token": token}, follow_redirects=False
    )
    assert (response.status_code, "\x00" in username + password) in ((400, False), (422, True))
    assert "klopt niet" in response.text or "tekens" in response.text
    assert anonymous.get("/beheer", follow_redirects=False).status_code == 303


@settings(FUZZ, max_examples=15)
@given(text=nasty_text, other_id=st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.sampled_from([0, 1, 2]))
def test_staff_forms(staff, store, seeded, text, other_id):
    token = page_token(staff, "/beheer")
    with store.session() as session:
        theme_id = session.scalar(select(Theme.id).where(Theme.key == "duurzame-stad"))
    response_id = next(iter(seeded["responses"]))
    forms = [
        (f"/beheer/themas/{theme_id}/naam", {"name": text}),
        (f"/beheer/themas/{theme_id}/vervolg", {"text": text}),
        (f"/beheer/themas/{theme_id}/splitsen", {"name": text, "response_ids": [str(other_id)]}),
        (f"/beheer/themas/{theme_id}/samenvoegen", {"target_id": str(other_id)}),
        (f"/beheer/reacties/{response_id}/verplaatsen", {"theme_id": str(theme_id), "to_theme_id": str(other_id)}),
        (f"/beheer/themas/{other_id}/naam", {"name": text}),
        ("/beheer/accounts", {"username": text, "display_name": text, "password": text, "role": "reporter"}),
    ]
    for path, data in forms:
        response = post_form(staff, path, data | {"csrf_token": token})
        assert_clear_answer(response, (path, data))
    assert_kept(seeded, snapshot(store), staff_edits=True)
    assert staff.get(f"/beheer/themas/{theme_id}").status_code in (200, 404)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


UPLOADS = [
    ("../../../../etc/passwd.csv", b"tekst\nMeer groen\n"),
    ("..\\..\\windows\\win.ini.csv", b"tekst\nMeer groen\n"),
    ("/tmp/absoluut.csv", b"tekst\nMeer groen\n"),
    ("naam\x00.csv", b"tekst\nMeer groen\n"),
    (".csv", b""),
    ("leeg.csv", b""),
    ("alleen-kop.csv", b"tekst\n"),
    ("binair.csv", bytes(range(256)) * 64),
    ("utf16.csv", "tekst\nMeer groen 🙂\n".encode("utf-16")),
    ("ongeldig-utf8.csv", b"tekst\n\xc3\x28 \xff\xfe kapot\n"),
    ("rtl.csv", "tekst\nمزيد من الأشجار\n".encode()),
    ("formule.csv", b'tekst\n"=HYPERLINK(""http://evil.example"")"\n@SUM(1)\n'),
    ("sql.csv", b"tekst\n'); DROP TABLE response; --\n"),
    ("nul.csv", b"tekst;wijk;plek;kanaal;interview\nMeer groen;Dorp\x00;Plein\x00;straat;i-1\n"),
    ("html.csv", b"tekst\n<script>alert(1)</script>\n"),
    ("nep.xlsx", b"PK\x03\x04 geen echte zip"),
    ("lege.xlsx", xlsx_bytes([])),
    ("vreemd.xlsx", xlsx_bytes([["tekst", "datum"], ["=1+1", "gisteren"], [None, None], [3.5, 42]])),
    ("foto.png.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
    ("heel-breed.csv", ("tekst," + ",".join(f"k{n}" for n in range(5000)) + "\nMeer groen\n").encode()),
]


@pytest.mark.parametrize(("filename", "content"), UPLOADS, ids=[name.encode("unicode_escape").decode() for name, _ in UPLOADS])
def test_import_uploads(staff, store, seeded, filename, content):
    token = page_token(staff, "/beheer/import")
    response = staff.post(
        "/beheer/import", data={"csrf_token": token, "channel": "import"}, files={"file": (filename, content, "text/csv")}
    )
    assert_clear_answer(response, filename)
    assert response.status_code in (200, 400)
    assert_kept(seeded, snapshot(store))


def test_a_10_mb_upload_is_read_or_refused_cleanly(staff, store, seeded):
    token = page_token(staff, "/beheer/import")
    big = b"tekst\n" + b"Meer groen in de wijk en minder auto's\n" * 260_000
    assert len(big) > 10_000_000
    response = staff.post(
        "/beheer/import", data={"csrf_token": token, "channel": "import"}, files={"file": ("groot.csv", big, "text/csv")}
    )
    assert_clear_answer(response, "10 MB")
    assert_kept(seeded, snapshot(store))
    binary = staff.post(
        "/beheer/import",
        data={"csrf_token": token, "channel": "import"},
        files={"file": ("groot.csv", bytes(range(256)) * 40_000, "application/octet-stream")},
    )
    assert_clear_answer(binary, "10 MB binary")
    assert_kept(seeded, snapshot(store))


def test_uploads_above_the_limit_are_refused_before_reading(staff):
    token = page_token(staff, "/beheer/import")
    too_big = b"tekst\n" + b"x" * (52 * 1024 * 1024)
    response = staff.post(
        "/beheer/import", data={"csrf_token": token}, files={"file": ("groot.csv", too_big, "text/csv")}
    )
    assert response.status_code == 413 and "te veel" in response.text


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("/inloggen", json.dumps({"username": "a"}).encode(), "application/json"),
        ("/mijn-bijdrage", b"\xff\xfe", "application/x-www-form-urlencoded"),
        ("/mijn-bijdrage", b"code=%ff%fe", "application/x-www-form-urlencoded"),
        ("/mijn-bijdrage", b"--x\r\nbroken", "multipart/form-data; boundary=x"),
        ("/mijn-bijdrage", b"<code>1</code>", "application/xml"),
    ],
)
def test_wrong_content_types_on_forms(anonymous, path, body, content_type):
    token = page_token(anonymous, "/mijn-bijdrage")
    response = anonymous.post(path, content=body, headers={"Content-Type": content_type, "X-CSRF-Token": token})
    assert_clear_answer(response, (path, content_type))
