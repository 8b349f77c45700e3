# Two commands on a fresh machine with Python 3 and make:
#   make run    set up, generate the synthetic default, dbt build, print the summary, write the report
#   make test   set up, then linters, pytest (dbt builds on synthetic and real data, dbt tests,
#               the report and docs site opened in headless Chromium)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
INPUT ?=

.PHONY: setup browser run test lint pytest build docs benchmark-segments lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

# Headless Chromium for the report and docs checks (Debian's package; root or sudo needed once).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

run: setup
	$(BIN)/python -m segmentation.pipeline $(if $(INPUT),--input "$(INPUT)")

lint: setup
	$(BIN)/ruff check segmentation python_models tests
	$(BIN)/ruff format --check segmentation python_models tests
	$(BIN)/sqlfluff lint models tests/dbt analyses

pytest: setup browser
	$(BIN)/python -m pytest

test: lint pytest

# For analytics engineers with the environment already set up: plain dbt on the current input.
build: setup
	$(BIN)/dbt build

docs: setup
	$(BIN)/dbt docs generate --static
	@echo "Docs site: target/static_index.html"

# Not a test: the KMeans chain on N synthetic customers (default 1,000,000), time and peak memory.
benchmark-segments: setup
	$(BIN)/python benchmarks/segment_model.py --customers $(or $(CUSTOMERS),1000000)

lock:
	(grep "^#" requirements.lock; $(BIN)/python -m pip freeze --exclude-editable) > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf target logs data/landed reports customer_segmentation.duckdb
