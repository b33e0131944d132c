# sisbridge: two commands on a fresh machine, `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: venv run test bench lint clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	$(PIP) install --quiet --no-deps -e .
	touch $(STAMP)

run: venv
	$(VENV)/bin/sisbridge serve

test: venv browser-deps
	$(PY) -m pytest

bench: venv
	$(PY) -m bench

clean:
	rm -rf $(VENV) build .pytest_cache

# ---- browser tests (tests/browser) ---------------------------------------------------------------
# The console's browser tests drive Debian's Chromium through the pinned Playwright client
# (requirements-browser.txt); never `playwright install`. Idempotent: apt runs only while Chromium
# is missing. If it cannot be installed the browser tests skip locally and fail under CI (CI set).
CHROMIUM_PATH ?= /usr/bin/chromium
BROWSER_STAMP := $(VENV)/.browser-installed

.PHONY: browser-deps test-browser

browser-deps: $(BROWSER_STAMP)
	@if [ ! -x "$(CHROMIUM_PATH)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "browser-deps: installing chromium (apt-get)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "browser-deps: chromium could not be installed; browser tests will skip (and fail under CI)"; \
	  else \
	    echo "browser-deps: $(CHROMIUM_PATH) is missing; install chromium as root (apt-get install chromium)"; \
	  fi; \
	fi

$(BROWSER_STAMP): requirements-browser.txt $(STAMP)
	$(PIP) install --quiet -r requirements-browser.txt
	touch $@

test-browser: venv browser-deps
	$(PY) -m pytest tests/browser
# ---- end of browser tests ------------------------------------------------------------------------

# ---- infra / package (infra/, tests/infra, tests/api) ----------------------------------------------
# `make package` stages one deploy bundle per function (build/<fn>/ and build/<fn>.zip, which
# infra/*.tf uploads); standard library only. The check tools (checkov, python-hcl2, schemathesis)
# live in their own venvs pinned in requirements-tools.txt; the tests build them on first use,
# `make tools` builds them ahead.
.PHONY: package tools test-infra test-api

package:
	$(PYTHON) infra/stage.py

tools: venv
	$(PY) tests/infra/tools.py

test-infra: venv
	$(PY) -m pytest tests/infra

test-api: venv
	$(PY) -m pytest tests/api
# ---- end of infra / package ------------------------------------------------------------------------
