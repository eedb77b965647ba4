# supplierwatch: `make run` serves the product on 127.0.0.1:8000 with demo data; `make test` tests it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
INSTALLED := $(VENV)/.installed

.PHONY: install run test bench lint format clean

# Reinstalls only when pyproject.toml changes, so a second `make run` starts in seconds.
$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "supplierwatch needs Python 3.11 or newer; set PYTHON=python3.x")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'
	@touch $@

install: $(INSTALLED)

# The web server and a Celery worker with beat (Procfile.dev), side by side under honcho: Ctrl-C
# stops both. Without REDIS_URL their tasks travel as files under var/broker/ (BROKER_URL), so
# queued and periodic tasks run in the worker, as in production. Honcho is given no env file:
# .env belongs to docker compose.
run: install
	@mkdir -p var
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-1} BROKER_URL=$${BROKER_URL-filesystem://} SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} PATH="$(abspath $(VENV))/bin:$$PATH" \
		$(VENV)/bin/honcho start --env /dev/null --procfile Procfile.dev --port $(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) -m bench

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DEBUG=1 $(VENV)/bin/mypy
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var/*.sqlite3* var/broker var/celerybeat-schedule* .pytest_cache .ruff_cache
