# The Dutch Rasa assistant (bot/). Included by the top Makefile; run from the repository root.
# Rasa 3.6 needs Python 3.10 and lives in its own venv; the actions run in the main venv.

PY ?= .venv/bin/python
RASA_VENV ?= .venv-rasa
RASA ?= $(RASA_VENV)/bin/rasa
# Also finds pyenv's interpreter, where the python3.10 shim on PATH refuses when 3.10 is not selected.
PYTHON310 ?= $(shell scripts/find-python.sh 3.10)

RASA_LOCK := bot/requirements-rasa.lock
RASA_DIR := var/rasa
RASA_MODEL := $(RASA_DIR)/models/samenspraak.tar.gz
RASA_GENERATED := $(RASA_DIR)/generated
# Rasa's training cache and test reports stay in var/ like all runtime state.
RASA_ENV := SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONWARNINGS=ignore RASA_CACHE_DIRECTORY=$(RASA_DIR)/cache
BOT_EVAL_MIN_ACCURACY ?= 0.92

.PHONY: rasa-venv bot-generate bot-train bot-validate bot-test bot-eval bot-run

# Idempotent: the venv records the hash of the lock it was built from; an unchanged lock does nothing.
rasa-venv:
	@lock_hash=$$(sha256sum $(RASA_LOCK) | cut -d' ' -f1); \
	if [ "$$(cat $(RASA_VENV)/.lock-sha256 2>/dev/null)" = "$$lock_hash" ]; then \
		echo "rasa-venv: up to date"; exit 0; fi; \
	if [ ! -x $(RASA_VENV)/bin/python ]; then \
		[ -n "$(PYTHON310)" ] || { echo "rasa-venv: Python 3.10 not found; set PYTHON310=/path/to/python3.10" >&2; exit 1; }; \
		$(PYTHON310) -m venv $(RASA_VENV) || exit 1; fi; \
	$(RASA_VENV)/bin/pip install --quiet --no-deps -r $(RASA_LOCK) && \
	$(RASA_VENV)/bin/pip check && \
	$(RASA_ENV) $(RASA) telemetry disable >/dev/null 2>&1 && \
	echo "$$lock_hash" > $(RASA_VENV)/.lock-sha256 && echo "rasa-venv: installed from $(RASA_LOCK)"

bot-generate:
	@$(PY) -m bot.generate

# Trains only when an input changed: the stamp holds the hash of config, domain, data, generated data and lock.
bot-train: rasa-venv bot-generate
	@inputs=$$(find bot/config.yml bot/domain.yml bot/data $(RASA_GENERATED) $(RASA_LOCK) -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1); \
	if [ -f $(RASA_MODEL) ] && [ "$$(cat $(RASA_MODEL).inputs 2>/dev/null)" = "$$inputs" ]; then \
		echo "bot-train: model up to date ($(RASA_MODEL))"; exit 0; fi; \
	$(RASA_ENV) $(RASA) train --config bot/config.yml --domain bot/domain.yml --data bot/data $(RASA_GENERATED) \
		--out $(RASA_DIR)/models --fixed-model-name samenspraak && \
	echo "$$inputs" > $(RASA_MODEL).inputs

bot-validate: rasa-venv bot-generate
	$(RASA_ENV) $(RASA) data validate --fail-on-warnings --config bot/config.yml --domain bot/domain.yml --data bot/data $(RASA_GENERATED)

# Every test story in bot/tests/*stories*.yml must pass; reports land in var/rasa/results/core/<file>.
bot-test: bot-train
	@set -e; for stories in $(wildcard bot/tests/*stories*.yml); do \
		echo "bot-test: $$stories"; \
		$(RASA_ENV) $(RASA) test core --model $(RASA_MODEL) --stories $$stories \
			--out $(RASA_DIR)/results/core/$$(basename $$stories .yml) --fail-on-prediction-errors; \
	done

# NLU on the held-out set (written apart from the training data; never train on it).
bot-eval: bot-train
	$(RASA_ENV) $(RASA) test nlu --model $(RASA_MODEL) --nlu bot/tests/nlu_heldout.yml --out $(RASA_DIR)/results/nlu
	$(PY) -m bot.nlu_report $(RASA_DIR)/results/nlu/intent_report.json --min-accuracy $(BOT_EVAL_MIN_ACCURACY) \
		--entities $(RASA_DIR)/results/nlu/DIETClassifier_report.json

bot-run: bot-train
	$(PY) -m bot.services run
