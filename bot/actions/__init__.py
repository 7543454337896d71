"""Custom actions of the Rasa assistant, served by rasa-sdk from the main venv:

    SANIC_HOST=127.0.0.1 python -m rasa_sdk --actions bot.actions -p 5055

rasa-sdk imports every module of this package and registers its Action classes.
"""

import logging
import os
import threading

WARM_UP_ENV = "SAMENSPRAAK_ACTIONS_WARM_UP"


def _warm_up() -> None:
    """Load the NLP pipeline now, so the first resident who confirms does not wait for it (~15 s)."""
    try:
        import nlp

        nlp.analyse(["opwarmen"])
    except Exception:  # the first save will report the real problem to the resident and the log
        logging.getLogger(__name__).exception("Warming up the NLP pipeline failed")


# Set by bot/services.py for the action server process only; tests and tools import this package cold.
# Sanic serves the actions from a worker process (it sets SANIC_WORKER_NAME there); the process that starts
# the worker imports this package too and must not load a pipeline it never uses (about 850 MB).
if os.environ.get(WARM_UP_ENV) == "1" and "SANIC_WORKER_NAME" in os.environ:
    threading.Thread(target=_warm_up, name="nlp-warm-up", daemon=True).start()
