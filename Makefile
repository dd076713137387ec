# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export FLASK_APP := wsgi
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: install run serve test test-db e2e browser nginx nginx-test lint fuzz bench translations catalog clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d marketplace/translations -D messages >/dev/null

## make catalog: extract new UI strings into the catalog (then translate the empty msgstr in
## marketplace/translations/zh_Hans_CN/LC_MESSAGES/messages.po and run make translations)
catalog: $(STAMP)
	$(BIN)/pybabel -q extract --no-location --sort-output -F babel.cfg -k _l -k lazy_gettext -k N_ -o marketplace/translations/messages.pot .
	$(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete -i marketplace/translations/messages.pot -d marketplace/translations

## make run: install, migrate, load demo data, train the ranker, serve on http://127.0.0.1:5000
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	$(BIN)/flask ranker train --promote-if-better
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## make test: the whole suite (services, web, API, migrations, browser) on SQLite
test: install browser
	$(BIN)/pytest -q -p no:cacheprovider

## make test-db: the suite without the browser, on the database in DATABASE_URL
test-db: install
	$(BIN)/pytest -q -p no:cacheprovider -m "not e2e"

## make e2e: only the browser tests
e2e: install browser
	$(BIN)/pytest -q -p no:cacheprovider -m e2e

# Debian's chromium and a CJK font for the browser tests (Playwright drives it; never downloads one).
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi wqy || { \
	  echo "Installing chromium and fonts-wqy-microhei with apt-get ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

## make nginx-test: the shipped nginx site (deploy/nginx/) in front of gunicorn: 64 idle
## half-open connections, body limit, HSTS, static files, logs (see README "Production")
nginx-test: install nginx
	$(BIN)/pytest -q -p no:cacheprovider -m nginx tests/deploy

# Debian's nginx for the deployment test (run from a temporary prefix; the service is not used).
nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  echo "Installing nginx with apt-get ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }

lint: install
	$(BIN)/ruff check marketplace tests bench

## make fuzz: schemathesis over /api/v1/openapi.json as every role against a served app with the
## demo data (a fresh SQLite file; the PostgreSQL database in DATABASE_URL, recreated, if set).
## About 4 minutes; the server log is kept in instance/fuzz/server.log (FUZZ_DIR to move it).
fuzz: install
	$(BIN)/python tests/fuzz/run_schemathesis.py

## make bench: every benchmark in bench/ (slow; wants an idle machine); figures in bench/results/
bench: install
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	command -v wrk >/dev/null || (apt-get install -y wrk >/dev/null 2>&1 || sudo apt-get install -y wrk)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) instance .pytest_cache
