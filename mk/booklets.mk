# Feedback booklets (samenspraak/booklets/): make them, look at them, time them.
PY ?= .venv/bin/python
BOOKLET_CONSULTATION ?= zoetermeer-2040
BOOKLET_DIR ?= var/booklets
BOOKLET_AUDIENCES := intern partners inwoners samenvatting

.PHONY: booklets booklet-pages booklet-test booklet-bench

booklets: ## All four booklets of BOOKLET_CONSULTATION as PDF and HTML into var/booklets/
	@for audience in $(BOOKLET_AUDIENCES); do for fmt in pdf html; do \
	  $(PY) -m samenspraak.booklets.cli --consultation $(BOOKLET_CONSULTATION) --audience $$audience \
	    --format $$fmt --out $(BOOKLET_DIR)/$(BOOKLET_CONSULTATION)-$$audience.$$fmt || exit 1; \
	done; done

booklet-pages: booklets ## The PDF pages as PNG (60 dpi) in var/booklets/pages/, to look at before mailing
	@mkdir -p $(BOOKLET_DIR)/pages
	@for audience in $(BOOKLET_AUDIENCES); do \
	  pdftoppm -png -r 60 $(BOOKLET_DIR)/$(BOOKLET_CONSULTATION)-$$audience.pdf $(BOOKLET_DIR)/pages/$$audience || exit 1; \
	done
	@echo "Pagina's staan in $(BOOKLET_DIR)/pages/"

booklet-test: ## Tests of the booklets
	$(PY) -m pytest tests/booklets -q

booklet-bench: ## Time from 1,000 themed responses to finished booklets (target: PDF within 10 s)
	$(PY) bench/booklet_render.py
