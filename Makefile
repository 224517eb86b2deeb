# The OCPI hub's everyday commands. Only Python 3.11+ is needed: the first target that needs the
# virtualenv creates it and installs the project (again whenever pyproject.toml changes).

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MYPY_TARGETS ?= ocpi_hub parties locations tariffs sessions cdrs tokens errors commands chargingprofiles ops ocpi_party

# The newest-looking Python that is 3.11 or newer; override with `make PYTHON=/path/to/python3.12 ...`.
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
endif

# Each command picks its own settings: runhub/manage.py use ocpi_hub.settings.base, pytest the test
# settings from pyproject.toml. A DJANGO_SETTINGS_MODULE left in the shell would override pytest's.
unexport DJANGO_SETTINGS_MODULE

.PHONY: help install run demo test lint mypy lint-imports migrations-check openapi clean distclean

help:
	@echo "make run               set up and start the hub (web, Celery worker, Celery beat); Ctrl-C stops it"
	@echo "make demo              with the hub running (make run in another terminal): a simulated CPO and eMSP"
	@echo "                       connect and exchange data through it"
	@echo "make test              set up and run the test suite"
	@echo "make lint              ruff check, ruff format --check, mypy, the import contracts (lint-imports)"
	@echo "make migrations-check  fail if a model change has no migration"
	@echo "make openapi           regenerate docs/openapi/ocpi-2.2.1.yaml and ocpi-2.3.0.yaml"
	@echo "make install           only create $(VENV) and install the project"
	@echo "make clean             remove caches and build artefacts"
	@echo "make distclean         clean, and remove $(VENV) and var/ (the local database and broker)"

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed: put python3.11+ on PATH or pass PYTHON=/path/to/python" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "$(PYTHON) is older than Python 3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	@echo "Installing the project into $(VENV) (pip install -e '.[dev]')"
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

# Development: the SSRF guard lets the hub call parties on this machine (make demo's), unless set otherwise.
LOCAL_PARTIES := OCPI_HUB_ALLOWED_PRIVATE_NETWORKS=$${OCPI_HUB_ALLOWED_PRIVATE_NETWORKS-127.0.0.0/8,::1/128}

run: $(STAMP)
	$(LOCAL_PARTIES) DJANGO_SETTINGS_MODULE=ocpi_hub.settings.base $(PY) manage.py runhub

demo: $(STAMP)
	$(LOCAL_PARTIES) DJANGO_SETTINGS_MODULE=ocpi_hub.settings.base $(PY) manage.py demo

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy $(MYPY_TARGETS)
	$(VENV)/bin/lint-imports

mypy: $(STAMP)
	$(PY) -m mypy $(MYPY_TARGETS)

# The dependency rules of docs/architecture.md ([tool.importlinter] in pyproject.toml).
lint-imports: $(STAMP)
	$(VENV)/bin/lint-imports

migrations-check: $(STAMP)
	@mkdir -p "$${OCPI_HUB_VAR_DIR:-var}"
	$(PY) manage.py makemigrations --check --dry-run

openapi: $(STAMP)
	$(PY) manage.py ocpi_openapi

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
	find . -path ./.git -prune -o -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) var
