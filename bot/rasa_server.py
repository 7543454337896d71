"""`rasa` as bot/services.py starts it: `python -m bot.rasa_server run --model ...`, from the Rasa venv.

Two per-message costs of Rasa 3.6, found with py-spy under `bench/load.py` (docs/reliability.md), are taken
away before Rasa's own command line runs:

- Rasa checks every action server reply with `jsonschema.validate(reply, schema)`, which first checks the
  schema itself against the JSON Schema meta-schema, on every call: about half of Rasa's CPU per message.
  The schema is a constant, so here it is checked once and one validator serves every reply. A valid reply
  passes as before; an invalid one goes through Rasa's own check and fails with the same error and message.
- The SQL tracker store on SQLite opens a new connection for every query (SQLAlchemy 1.4 pools no SQLite
  file connections) with SQLite's defaults: a rollback journal with two fsyncs per commit, and Rasa commits
  two or three times per message. It gets a pool, as SQLAlchemy 2 gives the response store, and that
  store's pragmas (samenspraak/store/db.py): WAL and synchronous=NORMAL. (WAL without the pool is slower:
  closing the last connection checkpoints the WAL, with an fsync, every time.) The database stays
  consistent after a crash; a power loss can undo the last turns of a conversation, never a saved
  contribution (those are in the response store). PostgreSQL is left as Rasa sets it up.

Runs in the Rasa venv (Python 3.10): imports nothing from the main venv.
"""

from __future__ import annotations

import sqlite3
import sys
from functools import lru_cache


@lru_cache(maxsize=1)
def _reply_validator():
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_replies_with_one_validator() -> None:
    from rasa.core.actions.action import RemoteAction

    rasa_check = RemoteAction._validate_action_result

    def validate_action_result(self, result) -> bool:
        if _reply_validator().is_valid(result):
            return True
        return rasa_check(self, result)  # raises Rasa's own ValidationError

    RemoteAction._validate_action_result = validate_action_result


def sqlite_pragmas(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def tracker_store_like_the_response_store() -> None:
    from rasa.core import tracker_store
    from sqlalchemy import event
    from sqlalchemy.engine import Engine, make_url
    from sqlalchemy.pool import QueuePool

    rasa_engine_kwargs = tracker_store.create_engine_kwargs

    def engine_kwargs(url) -> dict:
        if make_url(url).get_backend_name() != "sqlite":
            return rasa_engine_kwargs(url)
        # A pooled connection is used by one session at a time, whichever thread that runs in.
        return {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}}

    tracker_store.create_engine_kwargs = engine_kwargs
    event.listen(Engine, "connect", sqlite_pragmas)


if __name__ == "__main__":
    validate_replies_with_one_validator()
    tracker_store_like_the_response_store()
    from rasa.__main__ import main

    sys.argv[0] = "rasa"
    main()
