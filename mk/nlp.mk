# nlp/: Dutch spaCy pipeline, personal-data redaction, preprocessing (see docs/nlp.md)
PY ?= .venv/bin/python
NLP_UD_DIR ?= ../shared/data/ud-dutch
NLP_CORPUS ?= var/nlp/corpus
NLP_RUN ?= var/nlp/train
NLP_PII_SET ?= data/eval/pii/sentences.jsonl
NLP_ENV = PYTHONPATH=. OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

.PHONY: nlp-corpus nlp-train nlp-eval nlp-bench nlp-redaction-eval

# UD Dutch treebanks (CoNLL-U) -> spaCy training files in var/ (never in the repository)
nlp-corpus:
	$(NLP_ENV) $(PY) -m nlp.training.convert --ud-dir $(NLP_UD_DIR) --out-dir $(NLP_CORPUS)

# Retrain (3000 steps: ~45 min on 2 busy shared cores), package into nlp/pipeline/nl_samenspraak, score
nlp-train: nlp-corpus
	mkdir -p $(NLP_RUN)
	set -o pipefail; $(NLP_ENV) $(PY) -m spacy train nlp/training/config.cfg -o $(NLP_RUN) \
		--paths.train $(NLP_CORPUS)/train --paths.dev $(NLP_CORPUS)/dev.spacy 2>&1 | tee $(NLP_RUN)/train.log
	$(NLP_ENV) $(PY) -m nlp.training.package --model $(NLP_RUN)/model-best --test $(NLP_CORPUS)/test.spacy
	$(MAKE) nlp-eval

# Scores of the shipped pipeline on the Alpino test set, next to nl_core_news_sm 3.7
nlp-eval:
	test -f $(NLP_CORPUS)/test.spacy || $(MAKE) nlp-corpus
	$(NLP_ENV) $(PY) -m nlp.training.evaluate --test $(NLP_CORPUS)/test.spacy

# Throughput (tokens/s, responses/s) and peak memory over 10k demo-like responses
nlp-bench:
	$(NLP_ENV) $(PY) bench/nlp_speed.py

# Precision and recall per personal-data type
nlp-redaction-eval:
	$(NLP_ENV) $(PY) evals/redaction.py $(NLP_PII_SET)
