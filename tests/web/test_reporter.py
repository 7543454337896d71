"""The reporters' API: a street interview is stored once, however often the offline queue sends it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from samenspraak import contributions
from samenspraak.store import Interview, Response

REAL_ANALYSIS = contributions.analyse_texts  # taken before the fixtures replace it

HELD_AT = "2024-10-10T09:30:00.000Z"


def entry(**changes) -> dict:
    base = {
        "id": str(uuid.uuid4()),
        "place": "Stadshart, bij de bieb",
        "held_at": HELD_AT,
        "wijk": "meerzigt",
        "age_group": "35-54",
        "statements": [
            {"text": "Meer bankjes in het park, dan blijven ouderen langer buiten.", "theme": "duurzame-stad"},
            {"text": "De bus naar Den Haag moet vaker rijden.", "theme": ""},
        ],
    }
    return base | changes


def send(client, body: dict, token: str | None = None):
    token = token or client.get("/api/reporter/session").json()["csrf_token"]
    return client.post("/api/reporter/interviews", json=body, headers={"X-CSRF-Token": token})


def test_the_session_endpoint_gives_name_and_token(reporter):
    data = reporter.get("/api/reporter/session").json()
    assert data["name"] == "Test reporter" and len(data["csrf_token"]) > 20


def test_an_interview_is_stored_with_its_statements(reporter, store, accounts):
    response = send(reporter, entry(consultation="zoetermeer-2040"))
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["created"] is True and len(result["responses"]) == 2
    with store.session() as session:
        interview = session.get(Interview, result["interview_id"])
        assert (interview.reporter_id, interview.place, interview.wijk, interview.age_group) == (
            accounts["reporter"],
            "Stadshart, bij de bieb",
            "Meerzicht",
            "35-54",
        )
        assert interview.held_at.replace(tzinfo=timezone.utc) == datetime(2024, 10, 10, 9, 30, tzinfo=timezone.utc)
        rows = session.scalars(
            select(Response).where(Response.interview_id == interview.id).order_by(Response.id)
        ).all()
        assert [(r.channel, r.theme_hint, r.wijk) for r in rows] == [
            ("straat", "duurzame-stad", "Meerzicht"),
            ("straat", None, "Meerzicht"),
        ]


def test_sending_the_same_entry_again_creates_nothing_new(reporter, store):
    body = entry()
    first = send(reporter, body).json()
    again = send(reporter, body).json()
    assert again["created"] is False and again["interview_id"] == first["interview_id"]
    assert [item["duplicate"] for item in again["responses"]] == [True, True]
    assert [item["id"] for item in again["responses"]] == [item["id"] for item in first["responses"]]
    with store.session() as session:
        assert session.scalar(select(func.count(Interview.id))) == 1
        assert session.scalar(select(func.count(Response.id))) == 2


def test_empty_statements_are_skipped_and_an_entry_without_any_is_refused(reporter):
    only_blank = send(reporter, entry(statements=[{"text": "  "}]))
    assert only_blank.status_code == 422 and "minstens één uitspraak" in only_blank.json()["detail"]
    mixed = send(reporter, entry(statements=[{"text": ""}, {"text": "Meer groen."}]))
    assert mixed.status_code == 200 and len(mixed.json()["responses"]) == 1


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"held_at": (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()}, "datum"),
        ({"held_at": "2024-10-10T09:30:00"}, "tijdzone"),
        ({"age_group": "oud"}, "leeftijdsgroep"),
        ({"age_group": "²"}, "leeftijdsgroep"),
        ({"age_group": "①"}, "leeftijdsgroep"),
        ({"statements": [{"text": "Meer groen.", "theme": "bestaat-niet"}]}, "Onbekend thema"),
        # Nothing of the entry is stored, not the interview and not the statements before the bad one.
        ({"statements": [{"text": "Meer groen."}, {"text": "Meer bus.", "theme": "bestaat-niet"}]}, "Onbekend thema"),
        ({"id": "kort"}, "ingevuld"),
        # Queued before the active consultation changed.
        ({"consultation": "een-vorige-consultatie"}, "niet meer openstaat"),
    ],
)
def test_bad_entries_get_a_dutch_reason(reporter, store, changes, expected):
    response = send(reporter, entry(**changes))
    assert response.status_code == 422
    assert expected in response.json()["detail"]
    with store.session() as session:
        assert session.scalar(select(func.count(Response.id))) == 0
        assert session.scalar(select(func.count(Interview.id))) == 0


def test_more_statements_than_fit_get_a_specific_message(reporter, store):
    response = send(reporter, entry(statements=[{"text": f"Uitspraak {n}."} for n in range(21)]))
    assert response.status_code == 422 and "hoogstens 20 uitspraken" in response.json()["detail"]
    assert send(reporter, entry(statements=[{"text": f"Uitspraak {n}."} for n in range(20)])).status_code == 200


def test_an_entry_from_another_account_is_held_back(reporter, store, accounts):
    assert reporter.get("/api/reporter/session").json()["account"] == accounts["reporter"]
    other = send(reporter, entry(account=accounts["staff"]))
    assert other.status_code == 409 and "ander account" in other.json()["detail"]
    with store.session() as session:
        assert session.scalar(select(func.count(Interview.id))) == 0
    assert send(reporter, entry(account=accounts["reporter"])).status_code == 200


def test_sending_needs_the_csrf_token(reporter):
    response = reporter.post("/api/reporter/interviews", json=entry())
    assert response.status_code == 403
    assert "verlopen" in response.json()["detail"]


def test_the_page_lists_places_wijken_age_groups_and_themes(reporter):
    page = reporter.get("/reporter/").text
    assert '<option value="Meerzicht">' in page and '<option value="35-54">' in page
    assert 'value="duurzame-stad"' in page and "<datalist" in page
    assert 'src="/static/js/reporter.js?v=' in page


def test_the_service_worker_is_served_for_the_reporter_scope(anonymous):
    response = anonymous.get("/reporter/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert 'var PAGE = "/reporter/";' in response.text


def test_reporter_text_is_redacted_by_the_real_pipeline(reporter, store, monkeypatch):
    nlp = pytest.importorskip("nlp")
    try:
        nlp.load_pipeline()
    except nlp.PipelineNotFound:
        pytest.skip("the spaCy pipeline is not built (make nlp-train)")
    monkeypatch.setattr(contributions, "analyse_texts", REAL_ANALYSIS)
    statement = "Bel mij gerust op 06-12345678 of mail naar jan.devries@example.nl over de speeltuin."
    result = send(reporter, entry(statements=[{"text": statement}])).json()
    with store.session() as session:
        stored = session.get(Response, result["responses"][0]["id"]).text_redacted
    assert "06-12345678" not in stored and "jan.devries@example.nl" not in stored
    assert "speeltuin" in stored
