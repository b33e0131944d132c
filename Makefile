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

test: venv
	$(PY) -m pytest

bench: venv
	$(PY) -m bench

clean:
	rm -rf $(VENV) build .pytest_cache
