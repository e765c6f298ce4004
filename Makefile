# Set-up contract: `make demo` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv demo test bench lint tools clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

# External programs the tests drive for real: SAM CLI (own venv), python3.12 for
# `sam build`, Prometheus and Alertmanager from Debian.
tools: venv
	bash scripts/install-tools.sh

# The main job end to end: a simulated fleet, moto's server, plan -> SQS -> scan, report in S3.
demo: venv
	$(PY) scripts/demo.py

test: tools
	$(PY) -m pytest

bench: venv
	$(PY) -m bench

lint: venv
	$(VENV)/bin/ruff check shared functions exporter tests bench scripts
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) .venv-sam .aws-sam bench-results.json demo-output
