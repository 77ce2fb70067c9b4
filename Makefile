# Licensa: the two commands are `make run` and `make test`; `make help` lists the rest.
#
# Everything runs from the project's own virtual environment in .venv, made with python3.11.
# With no DATABASE_URL and no REDIS_URL the app uses SQLite in var/ and runs tasks in-process.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Written after a successful install; make compares its time with the requirements files' to decide on a re-install.
STAMP := $(VENV)/.requirements.stamp

HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

# Development defaults for commands that load the settings outside the test suite: without a SECRET_KEY the
# settings refuse to start unless DEBUG is on, so DEBUG defaults to on here (an exported DEBUG=0 still wins).
DEV_ENV := DEBUG=$${DEBUG:-1}

.PHONY: help setup install run test lint format messages bench clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]*:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  Variables: HOST=$(HOST) PORT=$(PORT); DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG from the environment."

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(STAMP) ## Create .venv and install requirements (only when they changed)

setup: install ## Install, migrate, load the seed rule pack, the shipped lists and the demo data (idempotent)
	$(DEV_ENV) $(PY) manage.py migrate --no-input
	$(DEV_ENV) $(PY) manage.py load_rule_pack --publish
	$(DEV_ENV) $(PY) manage.py load_shipped_lists
	$(DEV_ENV) $(PY) manage.py seed_demo

run: setup ## Serve on HOST:PORT (runserver with DEBUG, gunicorn without); a Celery worker and beat too when REDIS_URL is set
	@export $(DEV_ENV); \
	if [ -n "$${REDIS_URL:-}" ]; then \
		echo "REDIS_URL is set: starting a Celery worker (with beat, for the periodic tasks) beside the server."; \
		mkdir -p var; \
		$(VENV)/bin/celery -A config worker --beat --schedule var/celerybeat-schedule --loglevel=INFO \
			--concurrency=2 & worker=$$!; \
		trap 'kill $$worker 2>/dev/null || true; wait $$worker 2>/dev/null || true' EXIT; \
		trap 'exit 130' INT; trap 'exit 143' TERM; \
	fi; \
	case "$$DEBUG" in \
	1|true|True|yes|on) \
		$(PY) manage.py runserver $(HOST):$(PORT) ;; \
	*) \
		$(PY) manage.py collectstatic --no-input --verbosity 0; \
		$(VENV)/bin/gunicorn config.wsgi:application --bind $(HOST):$(PORT) \
			--workers $${WEB_CONCURRENCY:-3} --access-logfile - ;; \
	esac

test: install ## Run the whole test suite (PostgreSQL when DATABASE_URL is set, else SQLite)
	@status=0; $(VENV)/bin/pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests: that is a failure." >&2; fi; \
	exit $$status

lint: install ## ruff: lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## ruff: fix what it can and format
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The Chinese catalogue: collect the marked strings into the .po (gettext's xgettext and msgmerge keep what is
# translated), then compile the .mo that is committed beside it, so `make run` needs no gettext.
messages: install ## Update locale/zh_Hans from the marked strings and compile it (needs gettext)
	$(DEV_ENV) $(PY) manage.py makemessages -l zh_Hans --add-location=file \
		--ignore=tests --ignore=benchmarks --ignore=var --ignore=$(VENV)
	msgfmt --check-format -o locale/zh_Hans/LC_MESSAGES/django.mo locale/zh_Hans/LC_MESSAGES/django.po

bench: install ## Run the benchmarks against PostgreSQL and write benchmarks/results.json
	$(PY) -m benchmarks $(BENCH_ARGS)

clean: ## Remove the virtual environment and local data (var/)
	rm -rf $(VENV) var
