# tenant_sso: `make demo` runs the example with the local identity provider; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: install system-deps test test-fast demo lint bench clean

$(STAMP): pyproject.toml requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	$(PIP) install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Debian packages the full test suite needs (a real browser, PostgreSQL, Redis, Node.js for oidc-provider).
system-deps:
	@bash scripts/system-deps.sh

OP_MODULES := tests/interop/op/node_modules/.package-lock.json

# panva's oidc-provider and oauth2-mock-server for the interop tests, pinned by tests/interop/op/package-lock.json.
$(OP_MODULES): tests/interop/op/package-lock.json | system-deps
	npm ci --prefix tests/interop/op --no-audit --no-fund

test: install system-deps $(OP_MODULES)
	$(VENV)/bin/pytest

test-fast: install
	$(VENV)/bin/pytest -m "not browser and not services and not node"

demo: install
	cd example && ../$(PY) manage.py demo

lint: install
	$(VENV)/bin/ruff check src tests example benchmarks
	$(VENV)/bin/mypy src/tenant_sso

bench: install system-deps
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) example/db.sqlite3 example/.demo .pytest_cache tests/interop/op/node_modules tests/artifacts
