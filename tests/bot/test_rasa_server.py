"""bot/rasa_server.py, run in the Rasa venv as bot/services.py starts it: the same checks of action server
replies as Rasa's own, and the tracker store on SQLite with the response store's pragmas."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from bot import services
from samenspraak.config import REPO_ROOT

pytestmark = pytest.mark.skipif(not services.RASA_PYTHON.is_file(), reason="no Rasa venv: make rasa-venv")

CHECK = """
import json, sys
import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import SQLTrackerStore
from bot import rasa_server

action = RemoteAction("action_save_contribution", None)
good = {"events": [{"event": "slot", "name": "theme", "value": "wonen"}], "responses": [{"response": "utter_saved"}]}
bads = [
    {"events": [{"event": "slot", "name": "theme", "value": "wonen"}], "responses": "nee"},
    {"events": [{"event": "slot", "name": 12}], "responses": []},
    {"events": "geen lijst"},
]

def outcomes():
    found = [action._validate_action_result(good)]
    for bad in bads:
        try:
            action._validate_action_result(bad)
            found.append("accepted")
        except jsonschema.ValidationError as error:
            found.append(error.message)
    return found

rasa_own = outcomes()
rasa_server.validate_replies_with_one_validator()
rasa_server.tracker_store_like_the_response_store()
patched = outcomes() + outcomes()
engine = SQLTrackerStore(host="sqlite:///" + sys.argv[1]).engine  # as endpoints.yml configures it
for _ in range(3):
    with engine.connect() as connection:
        pragmas = [connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in ("journal_mode", "synchronous")]
print(json.dumps({"rasa": rasa_own, "patched": patched, "built": rasa_server._reply_validator.cache_info().misses,
                  "pragmas": pragmas, "connections": engine.pool.checkedin()}))
"""


def test_replies_are_judged_as_rasa_does_and_the_tracker_store_keeps_wal_connections(tmp_path):
    run = subprocess.run(
        [str(services.RASA_PYTHON), "-c", CHECK, str(tmp_path / "tracker.db")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, env=dict(os.environ, **services.QUIET_ENV),
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["rasa"][0] is True and "accepted" not in result["rasa"]
    assert result["patched"] == result["rasa"] * 2  # same verdicts, same messages
    assert result["built"] == 1  # the schema is checked once, not per reply
    assert result["pragmas"] == ["wal", 1]  # synchronous=NORMAL
    assert result["connections"] == 1  # kept open and used again, not closed after every query
