# slahmr-opt: two commands on a fresh machine: `make demo` and `make test`.
PYTHON_SYS ?= python3
VENV       ?= .venv
PY         := $(VENV)/bin/python
PIP        := $(PY) -m pip
STAMP      := $(VENV)/.installed
OUT        ?= runs

.PHONY: install demo test test-slow bench lint format clean

# Idempotent install: re-runs only when the package metadata or the pins change.
# constraints.txt pins torch to the CPU wheel so that pip never pulls a CUDA build. The ray extra
# is installed too, so that `make test` runs batch on a local Ray instance (CPU wheel).
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON_SYS) -m venv $(VENV)
	$(PIP) install --quiet -c constraints.txt -e '.[dev,ray]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/slahmr-opt demo --out $(OUT)/demo

test: install
	$(PY) -m pytest -q -m "not slow"

test-slow: install
	$(PY) -m pytest -q -m slow

bench: install
	$(VENV)/bin/slahmr-opt bench-startup --json $(OUT)/bench_startup.json
	$(VENV)/bin/slahmr-opt bench-body --json $(OUT)/bench_body.json
	$(VENV)/bin/slahmr-opt bench --preset medium --people 2 --frames 300 --scenes 5 --methods naive,fast --threads 1 --json $(OUT)/bench.json
	$(VENV)/bin/slahmr-opt bench --preset medium --people 2 --frames 60 --scenes 5 --methods naive,fast,slahmr --threads 1 --json $(OUT)/bench_short.json

lint: install
	$(VENV)/bin/ruff check slahmr_opt tests examples
	$(VENV)/bin/ruff format --check slahmr_opt tests examples

format: install
	$(VENV)/bin/ruff format slahmr_opt tests examples
	$(VENV)/bin/ruff check --fix slahmr_opt tests examples

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache *.egg-info
