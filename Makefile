# Bingel beheer — everything a fresh machine needs is done by these targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# One setting moves the whole demo: the app listens on DEMO_PORT, the development identity
# provider on the next port, the reference LVS on the one after, the licence registry after that, the
# Entree stand-in (SimpleSAMLphp, where installed) after that;
# every address the parts give each other (redirects, the provider's URL, the public URL, the LVS
# and the registry) follows. DEMO_HOST / IDP_HOST still move one part by host name and port.
DEMO_PORT ?= 8000
DEMO_HOST ?= 127.0.0.1:$(DEMO_PORT)
IDP_HOST ?= localhost:$(shell echo $$(( $(DEMO_PORT) + 1 )))
LVS_PORT ?= $(shell echo $$(( $(DEMO_PORT) + 2 )))
DEMO_LVS_URL := http://127.0.0.1:$(LVS_PORT)/uwlr
# The key the demo's reference LVS accepts (demo/results.py DEMO_LVS_KEY).
DEMO_LVS_KEY := demo-momento-2026-7Q4K
# The demo's reference licence registry (mutual TLS, certificates made in var/registry-pki).
REGISTRY_PORT ?= $(shell echo $$(( $(DEMO_PORT) + 3 )))
REGISTRY_PKI := var/registry-pki
REGISTRY_ENV := LICENCE_REGISTRY_URL=https://127.0.0.1:$(REGISTRY_PORT)/rest/v1/ \
  LICENCE_REGISTRY_CLIENT_CERT=$(REGISTRY_PKI)/client.pem LICENCE_REGISTRY_CA_BUNDLE=$(REGISTRY_PKI)/ca.pem
# Where the app finds the provider and says it lives; where the provider may send people back to.
APP_ENV = BINGEL_PUBLIC_URL=http://$(DEMO_HOST) BASISPOORT_OIDC_SERVER_URL=http://$(IDP_HOST)/o
DEVIDP_ENV = DEVIDP_REDIRECT_URIS=http://$(DEMO_HOST)/accounts/oidc/basispoort/login/callback/ \
  DEVIDP_POST_LOGOUT_REDIRECT_URIS=http://$(DEMO_HOST)/ DEVIDP_APP_URL=http://$(DEMO_HOST)
DEVIDP_REGISTRY_ENV := DEVIDP_REGISTRY_URL=https://127.0.0.1:$(REGISTRY_PORT)/rest/v1/ \
  DEVIDP_REGISTRY_CLIENT_CERT=$(REGISTRY_PKI)/client.pem DEVIDP_REGISTRY_CA_BUNDLE=$(REGISTRY_PKI)/ca.pem

# The Entree stand-in: SimpleSAMLphp (demo/simplesamlphp.py) where Debian's package is installed.
ENTREE_PORT ?= $(shell echo $$(( $(DEMO_PORT) + 4 )))
ENTREE_DIR := var/entree
SIMPLESAMLPHP_WWW := /usr/share/simplesamlphp/www

# `make test` runs against real services; override these to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bingel
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# The deploy smoke test's Celery may use its own Redis database; empty means TEST_REDIS_URL.
TEST_DEPLOY_REDIS_URL ?=
TEST_ENV := DJANGO_ENV=test DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	DEPLOY_REDIS_URL=$(TEST_DEPLOY_REDIS_URL)

# Locks with hashes: runtime (the image) and dev (runtime plus tools), both from pyproject.toml.
RUNTIME_LOCK := requirements/runtime.lock
DEV_LOCK := requirements/dev.lock

.PHONY: help install demo test lint services chromium simplesamlphp messages lock audit clean bench-roster bench-pages bench-load bench-results bench-registry schema bench-my-schools bench-usage-export bench-keys bench-roster-celery bench-load-night

help: ## this list
	@# Every target carries its line of help after "##"; tests/bingel_admin/test_make_help.py checks none is missing.
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)$$/\1\t\2/' | \
	  sed 's/$$(DEMO_HOST)/$(DEMO_HOST)/' | awk -F'\t' '{printf "make %-15s %s\n", $$1, $$2}'

$(VENV)/.installed: $(DEV_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --require-hashes -r $(DEV_LOCK)
	touch $@

install: $(VENV)/.installed ## .venv from requirements/dev.lock (hashes checked)

demo: install ## install, load the demo world and serve it on http://$(DEMO_HOST) with the dev identity provider, reference LVS and registry
	$(APP_ENV) $(PY) manage.py migrate --noinput
	$(APP_ENV) $(PY) manage.py demo_world
	$(DEVIDP_ENV) $(PY) devidp/manage.py devidp_setup
	$(APP_ENV) $(PY) manage.py demo_results --lvs-url $(DEMO_LVS_URL)
	@echo "Demo: open http://$(DEMO_HOST) — log in as Sanne de Vries (coordinator) or Mark Jansen (teacher)."
	@echo "Result link: Beheer → Resultaatkoppelingen → Momento, key $(DEMO_LVS_KEY); the reference LVS shows what it got on http://127.0.0.1:$(LVS_PORT)/"
	@echo "Portal stand-in: log in on http://$(IDP_HOST)/login/ and open the tab Lesmateriaal (tiles from the licence registry on port $(REGISTRY_PORT))."
	$(PY) -m demo.reference_registry --pki $(REGISTRY_PKI) --make-pki
	@trap 'kill $$idp $$lvs $$reg $$saml 2>/dev/null' EXIT; \
	  entree_env=""; \
	  if test -f $(SIMPLESAMLPHP_WWW)/index.php && command -v php >/dev/null; then \
	    entree_env=$$($(PY) -m demo.simplesamlphp --dir $(ENTREE_DIR) --port $(ENTREE_PORT) --app http://$(DEMO_HOST)); \
	    SIMPLESAMLPHP_CONFIG_DIR=$(ENTREE_DIR)/config php -S 127.0.0.1:$(ENTREE_PORT) -t $(SIMPLESAMLPHP_WWW) \
	      >$(ENTREE_DIR)/php-server.log 2>&1 & saml=$$!; \
	    echo "Entree stand-in (SimpleSAMLphp) on http://127.0.0.1:$(ENTREE_PORT): Inloggen via Entree as sanne, mark, emma or onbekend, password demo."; \
	  else \
	    echo "Inloggen via Entree is hidden: SimpleSAMLphp is not installed (make simplesamlphp, then make demo again)."; \
	  fi; \
	  $(DEVIDP_ENV) $(DEVIDP_REGISTRY_ENV) $(PY) devidp/manage.py runserver $(IDP_HOST) --noreload & idp=$$!; \
	  $(PY) -m demo.reference_lvs --port $(LVS_PORT) --key $(DEMO_LVS_KEY) & lvs=$$!; \
	  $(PY) -m demo.reference_registry --port $(REGISTRY_PORT) --pki $(REGISTRY_PKI) & reg=$$!; \
	  for try in $$(seq 50); do $(APP_ENV) $(REGISTRY_ENV) $(PY) manage.py sync_registry 2>/dev/null && break; sleep 0.2; done; \
	  env $$entree_env $(APP_ENV) $(REGISTRY_ENV) $(PY) manage.py runserver $(DEMO_HOST)

lint: install ## ruff, ruff format, bandit and the import-linter contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit --quiet --recursive bingel_admin audit roster licenses integrations portal demo devidp --severity-level high
	$(VENV)/bin/lint-imports pyproject.toml

services: install ## check that the test PostgreSQL and Redis answer
	@$(TEST_ENV) $(PY) .ci/check_services.py

chromium: ## install Debian's chromium for the browser tests when missing
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# SimpleSAMLphp, the identity provider Kennisnet documents for Entree, runs as its own php -S process
# in the Entree tests (tests/simplesamlphp.py) and in `make demo` where it is installed.
simplesamlphp: ## install Debian's SimpleSAMLphp and php-cli where missing (the Entree tests and demo)
	@test -f /usr/share/simplesamlphp/www/index.php && command -v php >/dev/null || { \
	  echo "Installing Debian's simplesamlphp and php-cli for the Entree tests…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    simplesamlphp php-cli php-xml php-mbstring >/dev/null; }

test: install lint services chromium simplesamlphp node_modules/axe-core/axe.min.js ## lint and the whole test suite on PostgreSQL, Redis, Chromium and SimpleSAMLphp
	$(TEST_ENV) $(PY) -m pytest

# The nightly roster import at national scale against a COPY baseline; needs PostgreSQL.
# BENCH_SCALE=0.1 runs a tenth of the country; figures go to docs/PERFORMANCE.md.
BENCH_SCALE ?= 1
bench-roster: install ## the nightly roster import at national scale (BENCH_SCALE=0.1 for a tenth)
	$(PY) bench/roster_sync.py --scale $(BENCH_SCALE)

# The same night as production runs it: beat's task on a Celery worker (Redis: BENCH_REDIS_URL), against sync_roster.
bench-roster-celery: install ## the nightly roster import through a Celery worker against sync_roster (BENCH_SCALE)
	$(PY) bench/roster_celery.py --scale $(BENCH_SCALE)

# Licence pages of the largest school: server time, and throughput under gunicorn driven by wrk.
bench-pages: install ## licence pages of the largest school: server time and throughput (wrk)
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/pages.py

# 50 coordinators browsing and linking for 60 s against gunicorn; fails on any error or over-used seat.
bench-load: install ## 50 coordinators browsing and linking for 60 s against gunicorn
	$(PY) bench/load.py --users 50 --seconds 60

# The same 50 coordinators (2-5 s between clicks, then without pause) while the changed night imports
# through Celery and the registry reconciles, in one database of BENCH_SCALE's national roster.
bench-load-night: install ## 50 coordinators during the night's import and registry reconciliation (BENCH_SCALE)
	$(PY) bench/load_during_night.py --scale $(BENCH_SCALE) --no-think-round

# 1,000,000 practice results through the export to the reference LVS on loopback.
bench-results: install ## 1,000,000 practice results through the export to the reference LVS
	$(PY) bench/results_export.py

# Mutation testing (mutmut, configured in pyproject.toml) of the access helper, the licence actions
# and the importer's apply step against a focused test selection; not part of `make test`.
# Needs PostgreSQL; the score is kept in docs/TESTING.md.
MUTATE_DATABASE_URL ?= $(TEST_DATABASE_URL)
.PHONY: mutate
# The functions mutated by default: the access query and the licence row lock and seat release
# (a run of about 20 minutes on two busy cores). MUTATE_NAMES='roster.access.* licenses.actions.*
# roster.importer.apply.x__apply_*' mutates all three modules' critical functions (over 1,100 mutants, hours).
MUTATE_NAMES ?= roster.access.x_current_appointments* roster.access.x__gives_rights* roster.access.x_school_for_request* \
  licenses.actions.x_locked_licence* licenses.actions.x_release_seat__* roster.importer.rows.x_sync_pairs*
mutate: install ## mutation testing (mutmut) of access, licence actions and the importer
	rm -rf mutants
	@# A fresh test database, which every mutant's session then reuses (--reuse-db).
	DJANGO_ENV=test DATABASE_URL=$(MUTATE_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(PY) -m pytest -q -p no:cacheprovider --reuse-db --create-db tests/roster/test_access_rules.py
	DJANGO_ENV=test DATABASE_URL=$(MUTATE_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(VENV)/bin/mutmut run --max-children 1 $(foreach n,$(MUTATE_NAMES),'$(n)')
	$(VENV)/bin/mutmut results

# Key rotation and migration 0007's fingerprint backfill over 1.37 M login codes, in short batches.
bench-keys: install ## key rotation and the fingerprint backfill over 1.37 M codes (BENCH_SCALE=0.05 for a twentieth)
	$(PY) bench/key_rotation.py --scale $(BENCH_SCALE)

# Nightly reconciliation of all 6,057 schools with the reference registry over mutual TLS; needs PostgreSQL.
bench-registry: install ## nightly reconciliation of every school with the reference registry
	$(PY) bench/registry_reconcile.py --scale $(BENCH_SCALE)

# The feed's JSON Schema, generated from its one definition (roster/feed/shape.py).
schema: install ## write roster/feed/roster.schema.json from roster/feed/shape.py
	$(PY) -m roster.feed.shape

# "Mijn scholen" for a coordinator of 40 average schools: server time, queries, download sizes.
bench-my-schools: install ## Mijn scholen for a coordinator of 40 schools: server time, queries, download sizes
	$(PY) bench/my_schools.py

bench-usage-export: install ## the back office's licence usage download of 6,057 schools: size, time, memory
	$(PY) bench/usage_export.py

messages: install ## collect the Dutch source strings into locale/en and compile them
	$(PY) manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=devidp --ignore=var --ignore=node_modules --ignore=static_root
	$(PY) manage.py compilemessages -l en --ignore=.venv --ignore=var --ignore=node_modules

# Test tools from npm, pinned in package-lock.json: axe-core (injected into pages by the accessibility
# test), oidc-provider (the OpenID Certified provider the single sign-on tests run as a process) and
# vnu-jar (the W3C Nu Html Checker, run with the machine's Java 17+, validates every page the browser
# tests visit). vnu-jar's install script only fetches a Java we already have, so scripts are off.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# Regenerate both locks from pyproject.toml with pip-tools, keeping every pin that still fits
# (UPGRADE=1 moves everything to the newest allowed versions). Only the package index is used,
# never this machine's pip configuration. Resolve with the image's Python (3.11).
LOCK_TOOLS := var/lock-tools
PIP_COMPILE = env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(LOCK_TOOLS)/bin/pip-compile --quiet \
	--generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
	$(if $(UPGRADE),--upgrade)
lock: ## regenerate requirements/*.lock from pyproject.toml (UPGRADE=1 for newest)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "make lock needs Python 3.11 (the image\x27s); set PYTHON=python3.11")'
	@if grep -qE '^(<<<<<<<|>>>>>>>)' $(RUNTIME_LOCK) $(DEV_LOCK) 2>/dev/null; then \
	  echo "A lock holds merge conflict markers: take either side (git checkout --theirs requirements/), then make lock." >&2; exit 1; fi
	rm -rf $(LOCK_TOOLS) && $(PYTHON) -m venv $(LOCK_TOOLS)
	env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(LOCK_TOOLS)/bin/pip install -q 'pip-tools>=7.4,<8'
	mkdir -p requirements
	$(PIP_COMPILE) --output-file $(RUNTIME_LOCK) pyproject.toml
	$(PIP_COMPILE) --extra dev --constraint $(RUNTIME_LOCK) --output-file $(DEV_LOCK) pyproject.toml
	@echo "Locks written; commit $(RUNTIME_LOCK) and $(DEV_LOCK). make install brings .venv up to date."

# Release step (docs/DEPLOY.md): pip-audit on the runtime lock and a CycloneDX SBOM in var/sbom/.
audit: install ## pip-audit of the runtime lock and a CycloneDX SBOM in var/sbom/
	$(PY) .ci/audit.py

clean: ## remove .venv, var, static_root and caches
	rm -rf $(VENV) var static_root .pytest_cache .ruff_cache
