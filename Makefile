# Two commands on a fresh machine with Python 3 and make:
#   make run    set up, generate the synthetic default, dbt build, print the summary
#   make test   set up, then linters, pytest (dbt builds on synthetic and real data, dbt tests)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
INPUT ?=

.PHONY: setup run test lint pytest build docs lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/python -m segmentation.pipeline $(if $(INPUT),--input "$(INPUT)")

lint: setup
	$(BIN)/ruff check segmentation python_models tests
	$(BIN)/ruff format --check segmentation python_models tests
	$(BIN)/sqlfluff lint models tests/dbt analyses

pytest: setup
	$(BIN)/python -m pytest

test: lint pytest

# For analytics engineers with the environment already set up: plain dbt on the current input.
build: setup
	$(BIN)/dbt build

lock:
	(grep "^#" requirements.lock; $(BIN)/python -m pip freeze --exclude-editable) > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf target logs data/landed customer_segmentation.duckdb
