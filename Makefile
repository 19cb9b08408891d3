# SmartProduction — every target installs what it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
UV := $(shell command -v uv 2>/dev/null || echo .venv-tools/bin/uv)
export DJANGO_SETTINGS_MODULE ?= smartprod.settings.dev
PORT ?= 8000
# Debian packages: WeasyPrint needs Pango (harfbuzz-subset makes it ~6x faster); gettext compiles the
# translations; Chromium drives the browser tests; zbar decodes QR codes in tests; poppler reads PDFs.
RUN_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext
TEST_DEBS := $(RUN_DEBS) chromium libzbar0 poppler-utils
# wrk drives the HTTP benchmark (bench/http_bench.py).
BENCH_DEBS := $(RUN_DEBS) wrk

.PHONY: help run test install install-test sysdeps sysdeps-test migrate seed worker beat shell fmt lint types \
        pytest check-migrations messages bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(UV):
	@python3 -m venv .venv-tools && .venv-tools/bin/pip install -q uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python 3.11
	@touch $@

install: .venv/.synced sysdeps messages ## install Python deps (from uv.lock) and system libraries

sysdeps:
	@bash scripts/ensure-debs.sh $(RUN_DEBS)

sysdeps-test:
	@bash scripts/ensure-debs.sh $(TEST_DEBS)

messages: .venv/.synced
	@if ! ls locale/*/LC_MESSAGES/*.po >/dev/null 2>&1; then echo "no translation catalogues"; \
	 elif command -v msgfmt >/dev/null; then \
	   $(PY) manage.py compilemessages -v0 --ignore=.venv --ignore=.data; \
	 else echo "gettext (msgfmt) missing: pages stay English until it is installed"; fi

migrate: install ## apply database migrations (embedded PostgreSQL unless DATABASE_URL is set)
	$(PY) manage.py migrate --noinput

seed: migrate ## load the demo cooperatives, people and data (idempotent)
	$(PY) manage.py seed_demo --port $(PORT)

run: seed ## install, migrate, seed and serve on http://localhost:8000 (another port: make run PORT=8100)
	$(PY) manage.py runserver 0.0.0.0:$(PORT)

worker: install ## a Celery worker (needs CELERY_BROKER_URL or REDIS_URL)
	.venv/bin/celery -A smartprod worker -l info

beat: install ## the Celery beat scheduler (run exactly one)
	.venv/bin/celery -A smartprod beat -l info

shell: install ## a Django shell
	$(PY) manage.py shell

fmt: .venv/.synced ## format and auto-fix
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

lint: .venv/.synced
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

types: .venv/.synced
	@# Importing the settings starts no database (the embedded PostgreSQL starts on the first connection).
	DJANGO_SETTINGS_MODULE=smartprod.settings.test .venv/bin/mypy .

check-migrations: .venv/.synced
	DJANGO_SETTINGS_MODULE=smartprod.settings.test $(PY) manage.py makemigrations --check --dry-run

pytest: install sysdeps-test
	DJANGO_ALLOW_ASYNC_UNSAFE=true DJANGO_SETTINGS_MODULE=smartprod.settings.test .venv/bin/pytest -q $(PYTEST_ARGS)

test: install sysdeps-test lint types check-migrations pytest ## what CI runs: lint, types, migrations check, the whole suite

bench: install ## benchmarks (see README)
	@bash scripts/ensure-debs.sh $(BENCH_DEBS)
	DJANGO_SETTINGS_MODULE=smartprod.settings.test $(PY) bench/run.py
	DJANGO_SETTINGS_MODULE=smartprod.settings.test $(PY) bench/http_bench.py

clean: ## remove the virtualenv and local data (embedded database, uploads)
	rm -rf .venv .venv-tools .data
