"""Every route of the app, enumerated: a new route that is not protected, or not CSRF-checked, fails here.

To add a public route or a CSRF exemption, list it below on purpose.
"""

from __future__ import annotations

import re

import pytest
from fastapi import routing

from samenspraak.web.security import require_reporter, require_staff
from tests.web.conftest import page_token

# Routes a visitor may use without logging in.
PUBLIC = {
    ("GET", "/"),
    ("GET", "/chat"),
    ("GET", "/gezondheid"),
    ("GET", "/mijn-bijdrage"),
    ("POST", "/mijn-bijdrage"),
    ("POST", "/mijn-bijdrage/verwijderen"),
    ("POST", "/mijn-bijdrage/downloaden"),
    ("GET", "/inloggen"),
    ("POST", "/inloggen"),
    ("POST", "/uitloggen"),
    ("GET", "/reporter/sw.js"),
    ("POST", "/api/chat"),
    ("GET", "/api/chat/status"),
}
# The chat API is cookie-less (the widget runs on other sites too), so there is no session to forge.
CSRF_EXEMPT = {("POST", "/api/chat")}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def routes(app) -> list[tuple[str, str]]:
    # FastAPI ≥ 0.130 nests included routers; iter_route_contexts flattens them. Mounts (static) have no methods.
    flat = routing.iter_route_contexts(app.routes) if hasattr(routing, "iter_route_contexts") else app.routes
    found = []
    for route in flat:
        found.extend((method, route.path) for method in sorted(getattr(route, "methods", None) or ()))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def call(client, method: str, path: str, token: str | None):
    headers = {"X-CSRF-Token": token} if token else {}
    return client.request(method, concrete(path), headers=headers, follow_redirects=False)


def test_public_list_names_only_existing_routes(app):
    assert PUBLIC <= set(routes(app)), PUBLIC - set(routes(app))
    assert CSRF_EXEMPT <= PUBLIC


def test_every_non_public_route_refuses_anonymous_visitors(app, anonymous):
    token = page_token(anonymous, "/inloggen")
    checked = 0
    for method, path in routes(app):
        if (method, path) in PUBLIC:
            continue
        response = call(anonymous, method, path, token)
        if "/api/" in path:
            assert response.status_code == 401, (method, path, response.status_code)
            assert "ingelogd" in response.json()["detail"]
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            # A form sent without a Referer has no page to return to (its own address takes only a POST).
            location = response.headers["location"]
            assert location.startswith("/inloggen?volgende=") if method == "GET" else location == "/inloggen", (
                method,
                path,
            )
        checked += 1
    assert checked > 20


def test_public_routes_do_not_ask_for_a_login(app, anonymous):
    for method, path in sorted(PUBLIC):
        # A fresh token each time: POST /uitloggen clears the session.
        response = call(anonymous, method, path, page_token(anonymous, "/inloggen"))
        assert response.status_code not in (401, 403), (method, path, response.status_code)
        assert not response.headers.get("location", "").startswith("/inloggen?"), (method, path)


def test_staff_routes_refuse_reporters(app, reporter):
    token = page_token(reporter, "/reporter/")
    staff_routes = [(m, p) for m, p in routes(app) if p.startswith("/beheer")]
    assert len(staff_routes) > 15
    for method, path in staff_routes:
        response = call(reporter, method, path, token)
        assert response.status_code == 403, (method, path, response.status_code)


@pytest.mark.parametrize("role", ["reporter", "staff", "admin"])
def test_reporter_pages_are_open_to_every_role_with_an_account(make_client, role):
    assert make_client(role).get("/reporter/").status_code == 200


def test_every_unsafe_route_checks_the_csrf_token(app, make_client):
    admin = make_client("admin")
    checked = 0
    for method, path in routes(app):
        if method not in UNSAFE or (method, path) in CSRF_EXEMPT:
            continue
        for token in (None, "a-forged-token"):
            response = call(admin, method, path, token)
            assert response.status_code == 403, (method, path, token, response.status_code)
            assert "verlopen" in response.text
        checked += 1
    assert checked > 10


def role_checks(dependant) -> set:
    """The role dependencies anywhere in a route's dependency tree (router-level ones included)."""
    found = set()
    for sub in dependant.dependencies:
        if sub.call in (require_staff, require_reporter):
            found.add(sub.call)
        found |= role_checks(sub)
    return found


def test_every_non_public_route_declares_its_role(app):
    """The same rule read from the code: staff pages need staff, reporter pages an account, nothing else is open."""
    flat = routing.iter_route_contexts(app.routes) if hasattr(routing, "iter_route_contexts") else app.routes
    mounts = []
    for context in flat:
        route = getattr(context, "_effective_route", context)
        if not hasattr(route, "dependant"):
            mounts.append(context.path)
            continue
        for method in context.methods:
            if (method, context.path) in PUBLIC:
                continue
            expected = require_staff if context.path.startswith("/beheer") else require_reporter
            assert role_checks(route.dependant) == {expected}, (method, context.path)
    assert mounts == ["/static"]  # a new mount (files from var/?) must be looked at on purpose
