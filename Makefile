# The forum's everyday commands. `make run` serves the Tornado flavour on SQLite at http://127.0.0.1:8888/
# (another address: make run PORT=8080 HOST=0.0.0.0). `make test` first installs and starts what the
# tests need (make services). Anything after the target's variables is passed on:
# make test PYTEST_ARGS="tests/storage -x"

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# pip runs only when pyproject.toml changed since the last install, so `make test` starts at once.
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8888

.PHONY: install run services test lint docs bench messages

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench,uwsgi]'
	touch $(STAMP)

run: install
	$(BIN)/forum migrate
	$(BIN)/forum seed --demo
	$(BIN)/forum serve tornado --host $(HOST) --port $(PORT)

# What the tests need from the machine (Debian packages, MariaDB and Redis running): installed and
# started when this user may, else it says exactly what to run.
services:
	.ci/services

# First the layer contracts (pyproject.toml's [tool.importlinter]: what imports what), then the tests.
# CI=true passes through to the tests: there, a test skipped for want of MySQL, nginx, uWSGI or
# Chromium fails instead (tests/support/services.py).
test: services install
	$(BIN)/lint-imports --no-logo
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# The reference in docs/reference/ (settings, commands, API), written from the code; a test fails when stale.
docs: install
	$(BIN)/python -m shared.cli.reference

# The one message catalog of both apps (docs/i18n.md): extract every marked message from the code and
# both template sets (babel.cfg), merge them into each language's .po (translate what is new there),
# compile the .mo the apps read. tests/test_i18n.py fails while a message is missing or untranslated.
MESSAGES := shared/translations
messages: install
	$(BIN)/pybabel --quiet extract -F babel.cfg -k _l -k _ln:1,2 --add-location=file --sort-by-file --no-wrap \
		--omit-header -o $(MESSAGES)/messages.pot .
	$(BIN)/pybabel --quiet update -i $(MESSAGES)/messages.pot -d $(MESSAGES) -l zh_CN --no-wrap \
		--ignore-pot-creation-date --init-missing --no-fuzzy-matching
	$(BIN)/pybabel compile -d $(MESSAGES) --statistics

bench: install
	$(BIN)/forum bench $(BENCH_ARGS)
