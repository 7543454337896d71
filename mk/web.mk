# The web application (samenspraak/web/): serve it, test it, look at it. Run from the repository root.
PY ?= .venv/bin/python

.PHONY: web-run web-test web-browser-test web-rasa-test web-screenshots

web-run: ## The web app alone on SAMENSPRAAK_HOST:SAMENSPRAAK_PORT (default 127.0.0.1:8000); chat needs Rasa (make bot-run)
	$(PY) -m samenspraak.web

web-test: ## API, security and route tests of the web app (no browser, no Rasa)
	$(PY) -m pytest tests/web -q -m "not browser and not rasa"

web-browser-test: node ## Browser tests in headless Chromium (/usr/bin/chromium) with axe-core checks
	$(PY) -m pytest tests/web -q -m browser

web-rasa-test: node bot-train ## A whole conversation through the widget, with the trained Rasa model
	$(PY) -m pytest tests/web -q -m rasa

web-screenshots: web-browser-test ## The browser tests write screenshots of the main pages to var/screenshots/
	@ls -1 var/screenshots/*.png
