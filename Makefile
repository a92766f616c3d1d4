# Bingel beheer — everything a fresh machine needs is done by these targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_HOST ?= 127.0.0.1:8000
IDP_HOST ?= localhost:8001

# `make test` runs against real services; override these to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bingel
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
TEST_ENV := DJANGO_ENV=test DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL)

.PHONY: help install demo test lint services chromium messages lock clean

help:
	@echo "make demo   – install, load the demo world and serve it on http://$(DEMO_HOST)"
	@echo "make test   – lint and the whole test suite on PostgreSQL, Redis and Chromium"

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.lock
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_world
	$(PY) devidp/manage.py devidp_setup
	@echo "Demo: open http://$(DEMO_HOST) — log in as Sanne de Vries (coordinator) or Mark Jansen (teacher)."
	@trap 'kill $$idp 2>/dev/null' EXIT; \
	  $(PY) devidp/manage.py runserver $(IDP_HOST) --noreload & idp=$$!; \
	  $(PY) manage.py runserver $(DEMO_HOST)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

services: install
	@$(TEST_ENV) $(PY) .ci/check_services.py

chromium:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install lint services chromium
	$(TEST_ENV) $(PY) -m pytest

messages: install
	$(PY) manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=devidp
	$(PY) manage.py compilemessages -l en --ignore=.venv

lock:
	rm -rf /tmp/bingel-lock && $(PYTHON) -m venv /tmp/bingel-lock
	/tmp/bingel-lock/bin/pip install -q '.[dev]'
	{ echo '# Exact versions `make` installs. Regenerate with `make lock` after changing pyproject.toml.'; \
	  /tmp/bingel-lock/bin/pip freeze --exclude-editable | grep -v '^bingel-beheer'; } > requirements.lock

clean:
	rm -rf $(VENV) var static_root .pytest_cache .ruff_cache
