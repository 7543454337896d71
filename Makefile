# Samenspraak — the two commands of the README:
#   make run    set everything up, load the demo consultation and data, start every service on localhost
#   make test   set everything up and run all tests (SQLite and a throwaway PostgreSQL)
# Every step is idempotent: a re-run with nothing changed does nothing.

SHELL := /bin/bash
PYTHON311 ?= $(shell scripts/find-python.sh 3.11)
PY ?= .venv/bin/python
VENV_STAMP := .venv/.installed
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup run test test-sqlite venv system-deps node lock clean-var help
.DEFAULT_GOAL := help

help:
	@echo "make run    – set up, load the demo, start all services (URLs are printed)"
	@echo "make test   – set up and run the whole test suite (SQLite + PostgreSQL)"

venv: $(VENV_STAMP)

# torch first, from the CPU wheel on disk, so nothing pulls a CUDA build; then the locked set.
$(VENV_STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON311) -m venv .venv
	$(PY) -m pip install -q --upgrade "pip>=24" wheel
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e ".[dev]"
	touch $@

# Re-resolve the main venv from pyproject.toml and freeze it (run after changing dependencies).
lock:
	rm -rf .venv-lock && $(PYTHON311) -m venv .venv-lock
	.venv-lock/bin/pip install -q torch==2.13.0 && .venv-lock/bin/pip install -q ".[dev]"
	.venv-lock/bin/pip freeze --exclude-editable | grep -v '^samenspraak' > requirements.lock
	rm -rf .venv-lock

system-deps:
	scripts/system-deps.sh

node: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

setup: venv system-deps node rasa-venv embedding-model bot-train

run: setup
	$(PY) -m samenspraak.run

# Rasa's own checks first (data validation, every test story), then the whole pytest suite.
# Strict: a skipped test fails the run, and the live Rasa tests are switched on.
test: setup bot-validate bot-test
	SAMENSPRAAK_TEST_STRICT=1 SAMENSPRAAK_TEST_RASA=1 scripts/with-postgres.sh $(PY) -m pytest -q -rs

# Quick loop while developing: SQLite only, no set-up checks.
test-sqlite:
	$(PY) -m pytest -q

clean-var:
	rm -rf var/

include $(wildcard mk/*.mk)
