# Bingel beheer — everything a fresh machine needs is done by these targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_HOST ?= 127.0.0.1:8000
IDP_HOST ?= localhost:8001
# The key the demo's reference LVS accepts (integrations/demo.py DEMO_LVS_KEY).
DEMO_LVS_KEY := demo-momento-2026-7Q4K

# `make test` runs against real services; override these to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bingel
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
TEST_ENV := DJANGO_ENV=test DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL)

.PHONY: help install demo test lint services chromium messages lock clean bench-roster bench-pages bench-load bench-results

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
	$(PY) manage.py demo_results
	@echo "Demo: open http://$(DEMO_HOST) — log in as Sanne de Vries (coordinator) or Mark Jansen (teacher)."
	@echo "Result link: Beheer → Resultaatkoppelingen → Momento, key $(DEMO_LVS_KEY); the reference LVS shows what it got on http://127.0.0.1:8002/"
	@trap 'kill $$idp $$lvs 2>/dev/null' EXIT; \
	  $(PY) devidp/manage.py runserver $(IDP_HOST) --noreload & idp=$$!; \
	  $(PY) -m integrations.reference_lvs --port 8002 --key $(DEMO_LVS_KEY) & lvs=$$!; \
	  $(PY) manage.py runserver $(DEMO_HOST)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit --quiet --recursive bingel_admin roster licenses integrations devidp --severity-level high

services: install
	@$(TEST_ENV) $(PY) .ci/check_services.py

chromium:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install lint services chromium node_modules/axe-core/axe.min.js
	$(TEST_ENV) $(PY) -m pytest

# The nightly roster import at national scale against a COPY baseline; needs PostgreSQL.
# BENCH_SCALE=0.1 runs a tenth of the country; figures go to docs/PERFORMANCE.md.
BENCH_SCALE ?= 1
bench-roster: install
	$(PY) bench/roster_sync.py --scale $(BENCH_SCALE)

# Licence pages of the largest school: server time, and throughput under gunicorn driven by wrk.
bench-pages: install
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/pages.py

# 50 coordinators browsing and linking for 60 s against gunicorn; fails on any error or over-used seat.
bench-load: install
	$(PY) bench/load.py --users 50 --seconds 60

# 1,000,000 practice results through the export to the reference LVS on loopback.
bench-results: install
	$(PY) bench/results_export.py

messages: install
	$(PY) manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=devidp
	$(PY) manage.py compilemessages -l en --ignore=.venv

# axe-core (from npm, pinned in package-lock.json) is injected into pages by the accessibility test;
# vnu-jar (the W3C Nu Html Checker, run with the machine's Java 17+) validates every page the
# browser tests visit. Its install script only fetches a Java we already have, so scripts are off.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

lock:
	rm -rf /tmp/bingel-lock && $(PYTHON) -m venv /tmp/bingel-lock
	/tmp/bingel-lock/bin/pip install -q '.[dev]'
	{ echo '# Exact versions `make` installs. Regenerate with `make lock` after changing pyproject.toml.'; \
	  /tmp/bingel-lock/bin/pip freeze --exclude-editable | grep -v '^bingel-beheer'; } > requirements.lock

clean:
	rm -rf $(VENV) var static_root .pytest_cache .ruff_cache
