"""Analysis runs started from the staff pages run in a separate process and report back."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from samenspraak.store import AuditLog
from samenspraak.web.jobs import JobError
from tests.web.conftest import page_token

WAIT_SECONDS = 180  # the child process imports numpy/torch: slow on a busy machine


def wait_until_finished(client) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        status = client.get("/beheer/api/analyse").json()
        if not status["running"]:
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.5)


def test_an_analysis_runs_in_the_background_and_is_logged(staff, app, store):
    token = page_token(staff, "/beheer/analyse")
    response = staff.post("/beheer/analyse", data={"kind": "assign", "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    # The request returned while the run goes on: a second one is refused until it ends.
    assert app.state.jobs.status().running
    with pytest.raises(JobError, match="loopt al een analyse"):
        app.state.jobs.start("assign", "zoetermeer-2040")
    status = wait_until_finished(staff)
    assert status["kind"] == "assign" and status["failed"] is False
    assert "Klaar: Nieuwe reacties indelen." in staff.get("/beheer/analyse").text
    with store.session() as session:
        assert session.scalar(select(AuditLog.action)) == "topics.start"


def test_a_failing_run_is_reported_in_dutch(staff, app):
    # No responses at all: topics refuses a fit with a Dutch message, which the page shows.
    app.state.jobs.start("fit", "zoetermeer-2040")
    status = wait_until_finished(staff)
    assert status["failed"] is True and "nog geen reacties" in status["error"]
    assert "Mislukt: Consultatie" in staff.get("/beheer/analyse").text


def test_an_unknown_kind_is_refused(staff, app):
    token = page_token(staff, "/beheer/analyse")
    page = staff.post("/beheer/analyse", data={"kind": "alles-wissen", "csrf_token": token})
    assert "Onbekende soort analyse" in page.text  # shown once, after the redirect
    assert not app.state.jobs.status().kind
