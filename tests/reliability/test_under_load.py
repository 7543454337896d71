"""Short versions of `make load` and `make faults`, with the real servers: Rasa, the action server, the web app.

One stack (started once: Rasa needs one to two minutes) serves every test here. Residents, reporters and a
staff user work at once (bench/load.py) with a short think time; the fault tests kill each server once in
the middle of that load, restart PostgreSQL (when SAMENSPRAAK_TEST_POSTGRES_URL is set) and fill the disk
under the SQLite store. Each checks that every contribution a client was told was saved is stored exactly
once, and that clients got a clear answer meanwhile (bench/faults.py `check`). Latency is for bench/, not here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bench import faults, load
from bench._services import Stack, running_stack
from bot import services
from tests.conftest import run_coroutine

pytestmark = [
    pytest.mark.rasa,
    pytest.mark.skipif(os.environ.get("SAMENSPRAAK_TEST_RASA") != "1", reason="set SAMENSPRAAK_TEST_RASA=1"),
]

# Few clients, quick residents: a conversation takes about 20 s, so some are cut off by each fault.
LOAD = load.Load(minutes=1.0, residents=4, reporters=2, staff=1, think=(1.0, 2.0), seed=7)
# The outage is long enough for every reporter (one interview per 10-20 s) to run into it.
BEFORE, AFTER, GRACE, OUTAGE = 12.0, 35.0, 10.0, 20.0


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    if not services.model_path().is_file():
        pytest.fail("no trained model: run make bot-train")
    with running_stack() as running:
        yield running


def test_a_minute_of_load_has_no_errors_and_stores_every_confirmed_contribution_once(stack):
    results = run_coroutine(load.run_phase(stack, LOAD))
    counted = load.count(results)
    assert results.errors == []
    assert results.chat_codes and results.reporter_keys, "the clients saved nothing"
    assert counted.found == counted.confirmed and counted.duplicates == 0
    assert results.conversations["lost its way"] == 0


def survives(stack: Stack, scenario: str) -> None:
    reason = faults.available(scenario)
    if reason:
        pytest.skip(reason)
    outcome = faults.run_scenario(stack, scenario, LOAD, BEFORE, AFTER, GRACE, OUTAGE)
    assert outcome.problems == []
    assert outcome.count.confirmed > 0
    assert outcome.results.errors or outcome.results.save_failed, "nobody noticed the fault: it proves nothing"


@pytest.mark.parametrize("scenario", ["web", "actions", "rasa", "disk-full"])
def test_a_killed_server_or_full_disk_loses_nothing_and_answers_clearly(stack, scenario):
    survives(stack, scenario)


@pytest.mark.postgres
def test_a_postgres_restart_loses_nothing_and_the_app_reconnects(stack):
    survives(stack, "postgres")
