# Load and fault benchmarks (bench/load.py, bench/faults.py); they start their own servers on free loopback
# ports, on throw-away stores. The short versions run in `make test` (tests/reliability/).
PY ?= .venv/bin/python

.PHONY: load faults reliability-test

load: bot-train ## 20 residents + reporters + staff for 10 minutes through the app, then straight to Rasa
	PYTHONUNBUFFERED=1 $(PY) bench/load.py $(LOAD_ARGS)

faults: bot-train ## kill -9 each server, restart PostgreSQL, fill the disk, all in the middle of a load
	PYTHONUNBUFFERED=1 scripts/with-postgres.sh $(PY) bench/faults.py $(FAULTS_ARGS)

reliability-test: bot-train ## the short versions that make test runs
	SAMENSPRAAK_TEST_RASA=1 scripts/with-postgres.sh $(PY) -m pytest tests/reliability -q -rs
