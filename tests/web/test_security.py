"""Security behaviour: headers, cookies, sessions, escaping, rate limits and error pages."""

from __future__ import annotations

import dataclasses
import logging
import re
import subprocess

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from samenspraak import config
from samenspraak.accounts import set_active
from samenspraak.config import REPO_ROOT
from samenspraak.contributions import save_contribution
from samenspraak.web import public
from samenspraak.web.app import create_app
from samenspraak.web.security import SESSION_COOKIE
from samenspraak.web.templating import STATIC_DIR
from tests.conftest import fail_response_inserts, fresh_analysis
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
    response = submit_login(anonymous, page.text, "/beheer/logboek", follow_redirects=False)
    assert response.headers["location"] == "/beheer/logboek"


def submit_login(client, page_text: str, volgende: str, **options):
    """Log in as test-staff with the form on `page_text`, asking to go on to `volgende`."""
    form = {"username": "test-staff", "password": PASSWORD, "csrf_token": csrf_from(page_text), "volgende": volgende}
    return client.post("/inloggen", data=form, **options)


def test_a_form_sent_after_the_session_ended_returns_to_its_page(staff, make_client):
    token = page_token(staff, "/beheer/accounts")
    elsewhere = make_client("staff")
    elsewhere.post("/uitloggen", data={"csrf_token": page_token(elsewhere, "/beheer")})  # ends every session
    form = {"username": "nieuw", "password": "een-lang-wachtwoord", "role": "reporter", "csrf_token": token}
    sent = staff.post(
        "/beheer/accounts", data=form, headers={"Referer": "http://testserver/beheer/accounts"}, follow_redirects=False
    )
    assert sent.headers["location"] == "/inloggen?volgende=%2Fbeheer%2Faccounts"
    page = staff.get(sent.headers["location"])
    assert "niet opgeslagen" in page.text
    response = submit_login(staff, page.text, "/beheer/accounts")
    assert response.status_code == 200 and str(response.url).endswith("/beheer/accounts")
    # Without a Referer from this site there is no page to return to: the login page's own default.
    staff.post("/uitloggen", data={"csrf_token": page_token(staff, "/beheer")})
    token = page_token(staff, "/inloggen")
    for headers in ({}, {"Referer": "https://evil.example/beheer/accounts"}):
        sent = staff.post("/beheer/accounts", data=form | {"csrf_token": token}, headers=headers, follow_redirects=False)
        assert sent.headers["location"] == "/inloggen"


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


@pytest.mark.parametrize("path", ["/inloggen", "/mijn-bijdrage"])
def test_a_non_ascii_csrf_token_is_refused_not_crashed(anonymous, path):
    page_token(anonymous, path)
    in_form = anonymous.post(path, data={"code": "AAAAA-BBBBB", "csrf_token": "é"})
    assert in_form.status_code == 403 and "verlopen" in in_form.text
    in_header = anonymous.post(path, data={"code": "AAAAA-BBBBB"}, headers={"X-CSRF-Token": "é".encode("latin-1")})
    assert in_header.status_code == 403


def test_a_non_ascii_csrf_token_is_refused_by_the_reporter_api(reporter):
    response = reporter.post("/api/reporter/interviews", json={}, headers={"X-CSRF-Token": "é".encode("latin-1")})
    assert response.status_code == 403 and "verlopen" in response.json()["detail"]


def test_a_broken_multipart_body_is_answered_in_dutch(anonymous):
    page_token(anonymous, "/mijn-bijdrage")
    response = anonymous.post(
        "/mijn-bijdrage", content=b"code=x", headers={"Content-Type": "multipart/form-data"}
    )
    assert response.status_code == 400
    assert "Missing boundary" not in response.text and "Uw verzoek kon niet worden verwerkt." in response.text


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


# ------------------------------------------------------------------------------------ sessions (fixation)


def test_a_cookie_from_before_login_never_becomes_a_login(app, anonymous):
    page_token(anonymous, "/inloggen")
    planted = anonymous.cookies[SESSION_COOKIE]  # what an attacker could have planted in the browser
    login(anonymous, "test-staff")
    with TestClient(app, cookies={SESSION_COOKIE: planted}) as attacker:
        assert attacker.get("/beheer", follow_redirects=False).status_code == 303
        assert attacker.get("/api/reporter/session").status_code == 401


def test_logout_makes_every_copy_of_the_session_cookie_worthless(app, staff, make_client):
    copied = staff.cookies[SESSION_COOKIE]
    elsewhere = make_client("staff")  # the same account on another device
    with TestClient(app, cookies={SESSION_COOKIE: copied}) as thief:
        assert thief.get("/beheer").status_code == 200
        staff.post("/uitloggen", data={"csrf_token": page_token(staff, "/beheer")})
        assert thief.get("/beheer", follow_redirects=False).status_code == 303
        assert thief.get("/beheer/api/analyse").status_code == 401
    assert elsewhere.get("/beheer", follow_redirects=False).status_code == 303
    login(staff, "test-staff")  # a new login works as before
    assert staff.get("/beheer").status_code == 200


# -------------------------------------------------------------------------------------------- brute force


def wrong_login(client, username: str = "test-staff", password: str = "fout-wachtwoord"):
    token = page_token(client, "/inloggen")
    return client.post(
        "/inloggen", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False
    )


def test_guessing_passwords_from_one_address_is_stopped(limited, accounts):
    statuses = [wrong_login(limited).status_code for _ in range(10)]
    assert statuses == [400] * 10
    refused = wrong_login(limited, password=PASSWORD)  # even the right password, from this address, for a minute
    assert refused.status_code == 429 and "te vaak" in refused.text


def test_guessing_one_accounts_password_from_many_addresses_is_stopped(settings, store, fake_nlp, accounts):
    app = create_app(settings, store, rate_limits=True)

    def from_address(number: int) -> TestClient:
        return TestClient(app, client=(f"192.0.2.{number}", 50000))

    assert [wrong_login(from_address(n)).status_code for n in range(10)] == [400] * 10
    refused = wrong_login(from_address(99), password=PASSWORD)
    assert refused.status_code == 429 and "kwartier" in refused.text
    # Another account is not locked by guesses at this one.
    assert wrong_login(from_address(98), username="test-reporter", password=PASSWORD).status_code == 303


def test_posting_chat_messages_is_rate_limited(limited):
    statuses = [limited.post("/api/chat", json={"message": "hallo"}).status_code for _ in range(41)]
    assert 429 not in statuses[:40] and statuses[40] == 429
    assert "te vaak" in limited.post("/api/chat", json={"message": "hallo"}).json()["detail"]


# ------------------------------------------------------------------------- Rasa and the action server


def test_rasa_and_the_action_server_listen_on_loopback_only(tmp_path, monkeypatch, settings):
    import inspect as source

    import rasa_sdk.endpoint

    from bot import services

    started: list[tuple[list[str], dict]] = []

    class Recorder:
        def __init__(self, command, *, env, **_):
            started.append((command, env))

        def poll(self):
            return None

    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"model")
    monkeypatch.setattr(services, "RASA_BIN", model)
    monkeypatch.setattr(services.subprocess, "Popen", Recorder)
    monkeypatch.setattr(services.httpx, "get", lambda *args, **kwargs: httpx.Response(200))  # health checks
    monkeypatch.setattr(services, "_listening", lambda port: False)  # nothing really starts: ports stay free
    monkeypatch.setenv("SAMENSPRAAK_RASA_URL", "http://127.0.0.1:5005")
    config.get_settings.cache_clear()
    services.start(model)
    (actions, action_env), (rasa, _) = started
    assert action_env["SANIC_HOST"] == "127.0.0.1"
    # rasa_sdk binds to SANIC_HOST (0.0.0.0 without it): keep that assumption checked.
    assert 'os.environ.get("SANIC_HOST"' in source.getsource(rasa_sdk.endpoint.run)
    assert rasa[rasa.index("-i") + 1] == "127.0.0.1"
    assert "--auth-token" in rasa and "--cors" not in rasa and "--debug" not in rasa and "-v" not in rasa
    assert "--debug" not in actions and "-v" not in actions

    monkeypatch.setenv("SAMENSPRAAK_RASA_URL", "http://0.0.0.0:5005")
    config.get_settings.cache_clear()
    with pytest.raises(services.BotStartError, match="127.0.0.1"):
        services.start(model)
    config.get_settings.cache_clear()


def test_rasa_reaches_the_action_server_on_loopback():
    endpoints = yaml.safe_load((REPO_ROOT / "bot" / "endpoints.yml").read_text())
    assert endpoints["action_endpoint"]["url"].startswith("http://127.0.0.1:")


def test_the_widget_talks_only_to_the_chat_api():
    script = (STATIC_DIR / "chat" / "widget.js").read_text()
    assert re.findall(r"\brequest\(\s*\"([^\"]+)\"", script) == ["/api/chat", "/api/chat/status"]
    assert script.count("fetch(") == 1 and "fetch(ORIGIN + path" in script  # only through request()
    assert not re.search(r"XMLHttpRequest|WebSocket|sendBeacon|webhooks|:5005|:5055", script)


# ------------------------------------------------------------------------------- no personal data in logs

PERSONAL = {"name": "Annemarie Pietersma", "mail": "annemarie.pietersma@example.nl", "phone": "06-41234567"}
PERSONAL_TEXT = f"Ik ben {PERSONAL['name']}, mail {PERSONAL['mail']} of bel {PERSONAL['phone']}: meer groen!"


def assert_nothing_personal_logged(caplog) -> None:
    logged = "\n".join(
        record.getMessage() + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        for record in caplog.records
    )
    for value in PERSONAL.values():
        assert value not in logged


def test_no_personal_data_in_the_logs_of_the_app(settings, store, rasa, staff, reporter, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    chat_app = create_app(dataclasses.replace(settings, rasa_url=rasa), store, rate_limits=False)
    with TestClient(chat_app) as resident:
        assert resident.post("/api/chat", json={"message": PERSONAL_TEXT}).status_code == 200
    with TestClient(create_app(settings, store, rate_limits=False)) as down:  # Rasa unreachable: logged
        assert down.post("/api/chat", json={"message": PERSONAL_TEXT}).status_code == 503
    reporter_token = {"X-CSRF-Token": page_token(reporter, "/reporter/")}
    entry = {"id": "c" * 20, "place": PERSONAL["name"], "statements": [{"text": PERSONAL_TEXT}]}
    assert reporter.post("/api/reporter/interviews", json=entry, headers=reporter_token).status_code == 200
    upload = f"tekst;wijk\n{PERSONAL_TEXT};{PERSONAL['name']}\n".encode()
    staff_token = page_token(staff, "/beheer/import")
    imported = staff.post(
        "/beheer/import", data={"csrf_token": staff_token}, files={"file": ("reacties.csv", upload, "text/csv")}
    )
    assert imported.status_code == 200
    assert wrong_login(TestClient(chat_app), username=PERSONAL["mail"], password=PERSONAL["phone"]).status_code == 400
    # A database failure is logged with its traceback: that must not carry what the resident typed either.
    fail_response_inserts(store)
    entry["id"] = "d" * 20
    failed = reporter.post("/api/reporter/interviews", json=entry, headers=reporter_token)
    assert failed.status_code == 500 and any(record.exc_info for record in caplog.records)
    assert_nothing_personal_logged(caplog)


# ---------------------------------------------------------------------------- secrets only from configuration

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS key": re.compile(r"AKIA[0-9A-Z]{16}"),
    "GitHub token": re.compile(r"gh[pousr]_[A-Za-z0-9]{36}"),
    "Slack token": re.compile(r"xox[abprs]-[A-Za-z0-9-]{10,}"),
    "password in a URL": re.compile(r"\b[a-z+]+://[^:/\s'\"@]+:(?!pass@|password@|\*\*\*@)[^@\s'\"/]+@"),
}
# Throwaway passwords of test and benchmark accounts are fine; anywhere else a literal is a leak.
SECRET_ASSIGNMENT = re.compile(r"(?i)\b(secret(_key)?|password|passwd|token|api_?key)\b\s*[:=]\s*[\"'][^\"'\s]{8,}[\"']")


def test_no_secret_literal_in_the_repository():
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    found, scanned = [], 0
    for name in listed:
        path = REPO_ROOT / name
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        try:
            content = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # binary files (images, models) hold no configuration
            continue
        scanned += 1
        patterns = dict(SECRET_PATTERNS)
        if not name.startswith(("tests/", "bench/")):
            patterns["literal secret"] = SECRET_ASSIGNMENT
        found += [f"{name}: {kind}" for kind, pattern in patterns.items() if pattern.search(content)]
    assert scanned > 100 and found == []


def test_the_secret_key_comes_from_the_environment_or_var(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMENSPRAAK_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SAMENSPRAAK_SECRET_KEY", raising=False)
    config.get_settings.cache_clear()
    generated = config.get_settings().secret_key
    key_file = tmp_path / "secret.key"
    assert key_file.read_text() == generated and len(generated) >= 48
    assert key_file.stat().st_mode & 0o777 == 0o600  # readable by the service account only
    config.get_settings.cache_clear()
    assert config.get_settings().secret_key == generated  # stable: sessions survive a restart
    monkeypatch.setenv("SAMENSPRAAK_SECRET_KEY", "uit-de-omgeving-gezet")
    config.get_settings.cache_clear()
    assert config.get_settings().secret_key == "uit-de-omgeving-gezet"
    config.get_settings.cache_clear()


def test_the_trusted_proxies_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMENSPRAAK_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SAMENSPRAAK_TRUSTED_PROXIES", raising=False)
    config.get_settings.cache_clear()
    assert config.get_settings().trusted_proxies == ("127.0.0.1", "::1")
    monkeypatch.setenv("SAMENSPRAAK_TRUSTED_PROXIES", " 10.0.0.5, 10.1.0.0/24 ")
    config.get_settings.cache_clear()
    assert config.get_settings().trusted_proxies == ("10.0.0.5", "10.1.0.0/24")
    monkeypatch.setenv("SAMENSPRAAK_TRUSTED_PROXIES", "*")
    config.get_settings.cache_clear()
    assert config.get_settings().trusted_proxies == ("*",)
    # Each of these uvicorn would keep as a plain string that matches no client: trusting nobody, silently.
    for wrong in ("loadbalancer.intern", "10.0.0.5/24", "*, 10.0.0.5"):
        monkeypatch.setenv("SAMENSPRAAK_TRUSTED_PROXIES", wrong)
        config.get_settings.cache_clear()
        with pytest.raises(ValueError, match="SAMENSPRAAK_TRUSTED_PROXIES"):
            config.get_settings()
    config.get_settings.cache_clear()


def test_uvicorn_trusts_the_configured_proxies(settings, store, monkeypatch):
    """Behind a load balancer on another machine, each resident keeps their own rate limit and cookies get Secure."""
    import uvicorn
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from samenspraak import web

    served = {}
    monkeypatch.setenv("SAMENSPRAAK_TRUSTED_PROXIES", "10.0.0.5")
    monkeypatch.setenv("DATABASE_URL", store.url)
    config.get_settings.cache_clear()
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    monkeypatch.setattr("samenspraak.web.app.get_store", lambda url: store)
    web.serve()
    assert served["proxy_headers"] is True and served["forwarded_allow_ips"] == ["10.0.0.5"]

    proxied = ProxyHeadersMiddleware(served["app"], trusted_hosts=served["forwarded_allow_ips"])
    forwarded = {"X-Forwarded-Proto": "https"}
    with TestClient(proxied, client=("10.0.0.5", 40000)) as balancer:
        statuses = [
            balancer.get("/api/chat/status", headers=forwarded | {"X-Forwarded-For": "192.0.2.1"}).status_code
            for _ in range(61)
        ]
        assert statuses[-1] == 429
        # Another resident behind the same balancer has a limit of their own.
        other = balancer.get("/inloggen", headers=forwarded | {"X-Forwarded-For": "192.0.2.2"})
        assert other.status_code == 200
        assert balancer.get("/api/chat/status", headers=forwarded | {"X-Forwarded-For": "192.0.2.2"}).status_code == 200
        assert "; secure" in other.headers["set-cookie"].lower()
