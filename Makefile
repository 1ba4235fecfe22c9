# Frankly: `make run` serves the web app on SQLite with demo data; `make test` runs every test.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
LINTED := src tests scripts benchmarks

.PHONY: run test venv system-deps lint format docs bench-check bench-start bench-triage bench-incident bench-web bench-practice eval-triage eval-practice train-triage clean

$(STAMP): pyproject.toml constraints.txt setup.py src/frankly/_speedups.c
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

run: venv
	@$(VENV)/bin/frankly serve --demo

test: venv system-deps
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy src
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest -n 2 --dist loadgroup

lint:
	$(VENV)/bin/ruff check --fix $(LINTED)
	$(VENV)/bin/ruff format $(LINTED)

format: lint

# The generated parts of the docs: every command's --help (docs/cli.md) and the README's
# command list. tests/test_docs.py fails when they are stale.
docs: venv
	$(VENV)/bin/cog -r -I scripts docs/cli.md README.md

eval-deps: venv
	@$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev,eval]'

bench-check: eval-deps
	@command -v npm >/dev/null || { echo "npm is needed for the write-good baseline"; exit 1; }
	@test -d benchmarks/.cache/node_modules/write-good || npm install --silent --no-audit --no-fund --prefix benchmarks/.cache write-good >/dev/null
	$(PY) benchmarks/check_bench.py

bench-start: venv
	$(PY) benchmarks/start_bench.py

bench-triage: venv
	$(PY) benchmarks/triage_bench.py

bench-incident: venv
	$(PY) benchmarks/incident_bench.py

# Practice: ms per simulated customer turn (target < 50 ms), and the realism agreement
bench-practice: venv
	$(PY) benchmarks/practice_bench.py

eval-practice: venv
	$(PY) scripts/eval_practice.py

bench-web: venv
	@FRANKLY_BROWSER_TESTS=0 bash scripts/system-deps.sh
	@command -v wrk >/dev/null || { s=""; [ "$$(id -u)" -ne 0 ] && s=sudo; \
		DEBIAN_FRONTEND=noninteractive $$s apt-get install -y -qq --no-install-recommends wrk >/dev/null \
		|| { $$s apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$s apt-get install -y -qq --no-install-recommends wrk >/dev/null; }; }
	$(PY) benchmarks/web_bench.py

train-deps: venv
	@$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev,train]'

train-triage: train-deps
	$(PY) scripts/train_triage.py

eval-triage: eval-deps
	$(PY) scripts/eval_triage.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache benchmarks/.cache
