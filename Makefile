# tenant_sso: `make demo` runs the example with the local identity provider; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
# The second venv: Python 3.13 + Django 6.1 (pyenv's 3.13 when installed, else `python3.13`).
PYTHON313 ?= $(or $(lastword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python)),python3.13)
VENV313 := .venv313
STAMP313 := $(VENV313)/.installed
FAST := not browser and not services and not node

.PHONY: install install313 system-deps test test-fast test313 demo lint dist bench clean

$(STAMP): pyproject.toml requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	$(PIP) install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# requirements-dev.txt's pins with Django 6.1 instead of 5.2 (requirements-django61.txt).
$(STAMP313): pyproject.toml requirements-dev.txt requirements-django61.txt
	test -x $(VENV313)/bin/python || $(PYTHON313) -m venv $(VENV313)
	$(VENV313)/bin/pip install --quiet --upgrade pip
	grep -v -i '^django==' requirements-dev.txt > $(VENV313)/requirements.txt
	$(VENV313)/bin/pip install --quiet -r $(VENV313)/requirements.txt -r requirements-django61.txt
	$(VENV313)/bin/pip install --quiet --no-deps -e .
	touch $(STAMP313)

install313: $(STAMP313)

# Debian packages the full test suite needs (a real browser, PostgreSQL, Redis, Node.js for oidc-provider).
system-deps:
	@bash scripts/system-deps.sh

OP_MODULES := tests/interop/op/node_modules/.package-lock.json

# panva's oidc-provider and oauth2-mock-server for the interop tests, pinned by tests/interop/op/package-lock.json.
$(OP_MODULES): tests/interop/op/package-lock.json | system-deps
	npm ci --prefix tests/interop/op --no-audit --no-fund

SAML_IDP_MODULES := tests/saml/idp/node_modules/.package-lock.json

# mcguinness's saml-idp, the third-party SAML IdP of the SAML browser tests and of `make demo`'s
# initech tenant, pinned by tests/saml/idp/package-lock.json.
$(SAML_IDP_MODULES): tests/saml/idp/package-lock.json | system-deps
	npm ci --prefix tests/saml/idp --no-audit --no-fund

# CI (.ci/run): lint, every test on Python 3.11 + Django 5.2, the fast suite on Python 3.13 + Django 6.1.
test: lint install install313 system-deps $(OP_MODULES) $(SAML_IDP_MODULES)
	$(VENV)/bin/pytest
	$(MAKE) test313

test-fast: install
	$(VENV)/bin/pytest -m "$(FAST)"

test313: install313
	$(VENV313)/bin/pytest -m "$(FAST)"

# The SAML tenant (initech) needs Node.js (the command runs `npm ci` for saml-idp when npm is
# there); without it the demo says so and runs the other tenants.
demo: install
	cd example && ../$(PY) manage.py demo

lint: install
	$(VENV)/bin/ruff check src tests example benchmarks
	$(VENV)/bin/mypy src/tenant_sso

# The release artefacts: sdist + wheel in dist/, checked by twine (tests/recipe/test_dist.py does the same).
dist: install
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(VENV)/bin/twine check --strict dist/*

bench: install system-deps
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) $(VENV313) dist example/db.sqlite3 example/.demo .pytest_cache tests/interop/op/node_modules tests/saml/idp/node_modules tests/artifacts
