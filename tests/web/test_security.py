"""Security behaviour: headers, cookies, sessions, escaping, rate limits and error pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from samenspraak.accounts import set_active
from samenspraak.contributions import save_contribution
from samenspraak.web import public
from samenspraak.web.app import create_app
from samenspraak.web.security import SESSION_COOKIE
from tests.conftest import fresh_analysis
from tests.web.conftest import PASSWORD, SLUG, csrf_from, login, page_token

NASTY = '<script>alert("x")</script> <b>vet</b> <img src=x onerror=alert(1)>'
LONG_WORD = "Zoetermeer" * 600


def assert_security_headers(response) -> None:
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/inloggen", "/api/chat/status", "/bestaat-niet", "/static/css/app.css"])
def test_security_headers_on_every_kind_of_response(anonymous, path):
    assert_security_headers(anonymous.get(path))


def test_unexpected_errors_give_a_dutch_page_without_a_stack_trace(anonymous, monkeypatch):
    def broken(_slug):
        raise RuntimeError("geheime interne details")

    monkeypatch.setattr(public, "load_consultation", broken)
    response = anonymous.get("/")
    assert response.status_code == 500
    assert "Er ging iets mis" in response.text
    assert "geheime interne details" not in response.text and "Traceback" not in response.text
    assert_security_headers(response)


def test_not_found_and_wrong_method_are_answered_in_dutch(anonymous):
    page = anonymous.get("/bestaat-niet")
    assert page.status_code == 404 and "Pagina niet gevonden" in page.text and 'lang="nl"' in page.text
    api = anonymous.get("/api/bestaat-niet")
    assert api.status_code == 404 and "bestaat niet" in api.json()["detail"]
    assert anonymous.put("/").status_code == 405


def test_session_cookie_is_httponly_and_samesite(anonymous):
    response = anonymous.get("/inloggen")  # the form's CSRF token starts a session
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(SESSION_COOKIE) and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http in this test


def test_session_cookie_is_secure_over_https(app, accounts):
    with TestClient(app, base_url="https://testserver") as client:
        token = csrf_from(client.get("/inloggen").text)
        response = client.post(
            "/inloggen",
            data={"username": "test-staff", "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert "; secure" in response.headers["set-cookie"].lower()
        assert "max-age" in response.headers["strict-transport-security"]


def test_login_starts_a_fresh_session(anonymous):
    before_token = page_token(anonymous, "/inloggen")
    before_cookie = anonymous.cookies[SESSION_COOKIE]
    login(anonymous, "test-staff")
    assert anonymous.cookies[SESSION_COOKIE] != before_cookie
    # The token handed out before login is worthless now.
    response = anonymous.post("/uitloggen", data={"csrf_token": before_token}, follow_redirects=False)
    assert response.status_code == 403


def test_wrong_password_is_refused_in_dutch(anonymous):
    token = page_token(anonymous, "/inloggen")
    response = anonymous.post(
        "/inloggen", data={"username": "test-staff", "password": "fout-wachtwoord", "csrf_token": token}
    )
    assert response.status_code == 400
    assert "klopt niet" in response.text
    assert anonymous.get("/beheer", follow_redirects=False).status_code == 303


def test_login_never_redirects_to_another_site(anonymous):
    token = page_token(anonymous, "/inloggen")
    response = anonymous.post(
        "/inloggen",
        data={"username": "test-staff", "password": PASSWORD, "csrf_token": token, "volgende": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/beheer"


def test_login_returns_to_the_page_asked_for(anonymous):
    redirect = anonymous.get("/beheer/logboek", follow_redirects=False)
    assert redirect.headers["location"] == "/inloggen?volgende=%2Fbeheer%2Flogboek"
    page = anonymous.get(redirect.headers["location"])
    response = anonymous.post(
        "/inloggen",
        data={
            "username": "test-staff",
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
            "volgende": "/beheer/logboek",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/beheer/logboek"


def test_logout_ends_the_session(staff):
    token = page_token(staff, "/beheer")
    assert staff.post("/uitloggen", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert staff.get("/beheer", follow_redirects=False).status_code == 303


def test_a_deactivated_account_loses_access_at_once(staff, accounts, store):
    assert staff.get("/beheer").status_code == 200
    set_active(accounts["staff"], False, store=store)
    assert staff.get("/beheer", follow_redirects=False).status_code == 303


def test_resident_text_is_escaped_and_long_words_wrap(anonymous, store):
    code = "ABCDE-FGHJK"
    for text in (NASTY, LONG_WORD):
        save_contribution(
            consultation=SLUG, channel="chat", text=text, personal_code=code, analysis=fresh_analysis(text), store=store
        )
    token = page_token(anonymous, "/mijn-bijdrage")
    page = anonymous.post("/mijn-bijdrage", data={"code": code, "csrf_token": token}).text
    assert '<script>alert("x")</script>' not in page and "<b>vet</b>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert LONG_WORD in page and 'class="resident-text"' in page


@pytest.fixture
def limited(settings, store, fake_nlp) -> TestClient:
    with TestClient(create_app(settings, store, rate_limits=True)) as client:
        yield client


def test_public_forms_are_rate_limited(limited):
    token = page_token(limited, "/mijn-bijdrage")
    statuses = [
        limited.post("/mijn-bijdrage", data={"code": "AAAAA-BBBBB", "csrf_token": token}).status_code for _ in range(11)
    ]
    assert statuses[:10] == [404] * 10
    assert statuses[10] == 429
    refused = limited.post("/mijn-bijdrage", data={"code": "AAAAA-BBBBB", "csrf_token": token})
    assert "te vaak" in refused.text


def test_the_chat_api_is_rate_limited(limited):
    answers = [limited.get("/api/chat/status").status_code for _ in range(61)]
    assert answers[-1] == 429 and set(answers[:60]) == {200}


def test_cors_is_open_for_the_chat_api_only(anonymous):
    origin = {"Origin": "https://www.zoetermeer.nl"}
    assert anonymous.get("/api/chat/status", headers=origin).headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in anonymous.get("/inloggen", headers=origin).headers
    preflight = anonymous.options(
        "/api/chat",
        headers=origin | {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 200


def test_oversized_bodies_are_refused_before_they_are_read(anonymous):
    huge = b"x" * (1024 * 1024 + 1)
    response = anonymous.post("/api/chat", content=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "te veel" in response.text
    assert_security_headers(response)

    def chunks():
        yield b'{"message": "hallo"}'

    unknown_length = anonymous.post("/api/chat", content=chunks(), headers={"Content-Type": "application/json"})
    assert unknown_length.status_code == 411
