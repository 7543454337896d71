"""The Rasa project's files agree with each other and with the actions; helpers around them work."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import time
from pathlib import Path

import pytest
import yaml

from bot import generate, nlu_report, services, tracker as tracker_store
from bot.actions.common import QUESTION_ORDER, interruption_intents
from bot.actions.form import CONSENT_QUESTIONS
from samenspraak import config
from samenspraak.consultations import load_all_consultations

BOT_DIR = Path(__file__).resolve().parents[2] / "bot"
# The held-out evaluation set (bot/tests/nlu_heldout.yml) is written with exactly these intents.
EVALUATED_INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "ask_about_vision", "choose_theme", "give_opinion", "give_idea",
    "inform_wijk", "inform_age_group", "dont_know", "stop", "restart", "go_back", "ask_privacy", "request_delete",
    "out_of_scope", "service_request", "abuse",
}


def test_domain_has_exactly_the_evaluated_intents(domain):
    assert set(domain["intents"]) == EVALUATED_INTENTS


def test_training_data_covers_every_intent():
    content = yaml.safe_load((BOT_DIR / "data" / "nlu.yml").read_text(encoding="utf-8"))
    trained = {block["intent"] for block in content["nlu"] if "intent" in block}
    assert trained == EVALUATED_INTENTS


def test_free_text_answers_never_take_an_interruption(domain):
    """Abuse, privacy questions, stop etc. must never be stored as an answer, in any text slot."""
    must_interrupt = {"abuse", "ask_privacy", "request_delete", "stop", "restart", "go_back", "service_request"}
    for name, slot in domain["slots"].items():
        for mapping in slot["mappings"]:
            if mapping["type"] == "from_text":
                assert must_interrupt <= set(mapping["not_intent"]), name
                assert mapping["conditions"][0]["requested_slot"] == name  # only as the answer to its question
    assert must_interrupt <= interruption_intents(domain)


def test_form_asks_in_the_order_the_actions_expect(domain):
    assert domain["forms"]["contribution_form"]["required_slots"] == ["consent", *QUESTION_ORDER]


def test_every_response_the_actions_send_exists(domain):
    sources = "".join(path.read_text(encoding="utf-8") for path in (BOT_DIR / "actions").glob("*.py"))
    used = set(re.findall(r'response\s*=\s*"(utter_\w+)"', sources))
    assert len(used) > 20, "responses not found in the actions"
    assert used | CONSENT_QUESTIONS <= set(domain["responses"])


def test_fixed_texts_belong_to_no_consultation(domain):
    """One domain serves every consultation, so no response repeats a word of one's title (bar the municipality)."""
    texts = " ".join(variant.get("text", "") for variants in domain["responses"].values() for variant in variants).lower()
    for definition in load_all_consultations():
        words = set(re.findall(r"\w{5,}", definition.title.lower())) - {definition.municipality.lower()}
        assert not {word for word in words if re.search(rf"\b{word}\b", texts)}, definition.slug


def test_every_action_in_the_domain_is_implemented(domain):
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("bot.actions")
    assert set(domain["actions"]) <= set(executor.actions)


def test_generated_data_follows_the_definitions(tmp_path):
    path, changed = generate.write(tmp_path)
    assert changed
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    blocks = {(next(iter(block)), block[next(iter(block))]): block["examples"] for block in content["nlu"]}
    assert "- groen\n" in blocks[("synonym", "duurzame-stad")]
    assert "- meerzigt\n" in blocks[("synonym", "Meerzicht")]
    assert "[meerzicht](wijk)" in blocks[("intent", "inform_wijk")]
    assert "[regiostad](theme)" in blocks[("intent", "choose_theme")]
    assert generate.write(tmp_path) == (path, False)  # unchanged input: file untouched, no retraining


def test_a_word_shared_by_two_consultations_follows_the_active_one():
    definitions = load_all_consultations()
    assert generate.theme_synonyms(definitions, "zoetermeer-2040")["wonen"] == "palet-van-wijken"
    assert generate.theme_synonyms(definitions, "zoetermeer-2015")["wonen"] == "prettig-wonen"


def test_nlu_report_prints_accuracy_and_macro_f1(tmp_path, capsys):
    report = {
        "greet": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 9, "confused_with": {}},
        "deny": {"precision": 0.5, "recall": 1.0, "f1-score": 0.667, "support": 1, "confused_with": {"affirm": 1}},
        "accuracy": 0.9,
        "macro avg": {"precision": 0.75, "recall": 1.0, "f1-score": 0.8335, "support": 10},
        "weighted avg": {"precision": 0.95, "recall": 0.9, "f1-score": 0.97, "support": 10},
    }
    path = tmp_path / "intent_report.json"
    path.write_text(json.dumps(report))

    assert nlu_report.main([str(path), "--min-accuracy", "0.85"]) == 0
    out = capsys.readouterr().out
    assert "intent accuracy: 90.0%" in out and "intent macro-F1: 0.834" in out
    assert out.index("deny") < out.index("greet")  # worst intent first
    assert nlu_report.main([str(path), "--min-accuracy", "0.92"]) == 1


def _tracker_db(path: Path, rows: list[tuple[str, str, str | None, float]]) -> str:
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, timestamp REAL, "
        "intent_name TEXT, action_name TEXT, data TEXT)"
    )
    connection.executemany(
        "INSERT INTO events (sender_id, type_name, action_name, timestamp, data) VALUES (?, ?, ?, ?, '{}')", rows
    )
    connection.commit()
    connection.close()
    return f"sqlite:///{path}"


def _senders(url: str) -> list[str]:
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    rows = [row[0] for row in connection.execute("SELECT sender_id FROM events ORDER BY id")]
    connection.close()
    return rows


def test_forget_conversation_deletes_only_that_conversation(tmp_path):
    url = _tracker_db(tmp_path / "tracker.db", [("a", "user", None, 1.0), ("b", "user", None, 1.0), ("a", "bot", None, 2.0)])
    assert tracker_store.forget_conversation("a", url) == 2
    assert _senders(url) == ["b"]


def test_forget_conversation_without_a_tracker_store_yet(tmp_path):
    assert tracker_store.forget_conversation("a", f"sqlite:///{tmp_path / 'empty.db'}") == 0


def test_forget_after_turn_waits_until_rasa_saved_the_turn(tmp_path):
    started = time.time()
    url = _tracker_db(tmp_path / "tracker.db", [("a", "user", None, started - 5)])
    # The turn has not been saved yet: nothing may be deleted, or Rasa would write it all back.
    assert tracker_store.forget_after_turn("a", "action_delete_contributions", started, url, timeout=0.3, poll_interval=0.05) is False
    assert _senders(url) == ["a"]

    connection = sqlite3.connect(tmp_path / "tracker.db")
    connection.execute(
        "INSERT INTO events (sender_id, type_name, action_name, timestamp, data) VALUES ('a', 'action', ?, ?, '{}')",
        ("action_delete_contributions", started + 0.1),
    )
    connection.commit()
    connection.close()
    assert tracker_store.forget_after_turn("a", "action_delete_contributions", started, url, timeout=2, poll_interval=0.05)
    assert _senders(url) == []


def test_tracker_url_defaults_to_sqlite_in_var(tmp_path, monkeypatch):
    monkeypatch.delenv("SAMENSPRAAK_TRACKER_URL", raising=False)
    monkeypatch.setenv("SAMENSPRAAK_VAR_DIR", str(tmp_path))
    config.get_settings.cache_clear()
    try:
        assert tracker_store.tracker_url() == f"sqlite:///{tmp_path / 'rasa' / 'tracker.db'}"
        monkeypatch.setenv("SAMENSPRAAK_TRACKER_URL", "postgresql://rasa@db/tracker")
        assert tracker_store.tracker_url() == "postgresql://rasa@db/tracker"
    finally:
        config.get_settings.cache_clear()


def test_services_refuse_to_start_without_a_model(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMENSPRAAK_VAR_DIR", str(tmp_path))
    config.get_settings.cache_clear()
    try:
        with pytest.raises(services.BotStartError, match="make bot-train"):
            services.start()
    finally:
        config.get_settings.cache_clear()


def test_services_refuse_to_start_on_a_port_already_in_use(tmp_path, monkeypatch):
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"model")
    monkeypatch.setattr(services, "RASA_BIN", model)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("SAMENSPRAAK_ACTION_PORT", str(taken.getsockname()[1]))
        config.get_settings.cache_clear()
        try:
            with pytest.raises(services.BotStartError, match="al in gebruik.*SAMENSPRAAK_ACTION_PORT"):
                services.start(model)
        finally:
            config.get_settings.cache_clear()


def test_endpoints_use_the_configured_ports_and_tracker_store():
    endpoints = yaml.safe_load((BOT_DIR / "endpoints.yml").read_text(encoding="utf-8"))
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:${SAMENSPRAAK_ACTION_PORT}/webhook"
    assert endpoints["tracker_store"] == {"type": "SQL", "url": "${SAMENSPRAAK_TRACKER_URL}"}
    env = services._server_env(5099)
    assert env["SAMENSPRAAK_ACTION_PORT"] == "5099" and env["SANIC_HOST"] == "127.0.0.1"
    assert env["SAMENSPRAAK_TRACKER_URL"]
