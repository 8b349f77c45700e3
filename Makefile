# Two commands on a fresh machine with Python 3 and make:
#   make run    set up, generate the synthetic default, dbt build, print the summary, write the report
#   make test   set up, then linters, pytest (dbt builds on synthetic and real data, dbt tests,
#               the report and docs site opened in headless Chromium)
#   make mutation  deliberate bugs, one at a time: each must fail a fast test (CI runs it too)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
INPUT ?=
VARS ?=

.PHONY: setup browser run test lint pytest mutation build docs dashboard benchmark-segments benchmark lock clean

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
	$(BIN)/python -m segmentation.pipeline $(if $(INPUT),--input "$(INPUT)") $(if $(VARS),--vars '$(VARS)')

lint: setup
	$(BIN)/ruff check segmentation models/segmentation/python tests benchmarks
	$(BIN)/ruff format --check segmentation models/segmentation/python tests benchmarks
	$(BIN)/sqlfluff lint models tests/dbt analyses
	# Metadata quality (descriptions, tests, contracts; rules and thresholds in pyproject's [tool.dbt-score]).
	DBT_TARGET_PATH=target/dbt-score $(BIN)/dbt parse --quiet
	$(BIN)/dbt-score lint --manifest target/dbt-score/manifest.json

# Test files run in PYTEST_WORKERS parallel processes (pytest-xdist), each file whole in one worker so
# that its module fixtures (a dbt build its tests share) are built once. A dbt run on a small log is
# mostly single-threaded Python (parsing alone is 9 s), which a second worker overlaps.
PYTEST_WORKERS ?= 2
pytest: setup browser
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=15

test: lint pytest

# Every deliberate bug of tests/mutation/mutations.yml applied alone to a scratch copy, against the
# fast tests (dbt unit tests, named pytest modules); prints which test caught each, fails if one survives.
mutation: setup
	$(BIN)/python -m tests.mutation.run

# For analytics engineers with the environment already set up: plain dbt on the last landed file
# (`python -m segmentation.land FILE` lands another).
build: setup
	$(BIN)/dbt build

docs: setup
	$(BIN)/dbt docs generate --static
	@echo "Docs site: target/static_index.html"

# The Streamlit dashboard on http://127.0.0.1:$(DASHBOARD_PORT), reading the marts the last successful
# `make run` published (PUBLICATION=DIR reads another publication); settings in .streamlit/config.toml.
DASHBOARD_PORT ?= 8501
dashboard: setup
	$(if $(PUBLICATION),SEGMENTATION_PUBLICATION_DIR="$(PUBLICATION)") \
		$(BIN)/streamlit run segmentation/dashboard/app.py --server.port $(DASHBOARD_PORT)

# Not a test: the KMeans chain on N synthetic customers (default 1,000,000), time and peak memory.
benchmark-segments: setup
	$(BIN)/python benchmarks/segment_model.py --customers $(or $(CUSTOMERS),1000000)

# Not a test: the whole dbt build against a pandas notebook and one DuckDB query, on synthetic logs of
# SIZES rows (default 1M,20M,200M) and the real file; results in benchmarks/results/pipeline.md.
benchmark: setup
	$(BIN)/python benchmarks/pipeline_benchmark.py $(if $(SIZES),--sizes $(SIZES)) $(if $(RUNS),--runs $(RUNS))

lock:
	(grep "^#" requirements.lock; $(BIN)/python -m pip freeze --exclude-editable) > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf target logs data/landed reports customer_segmentation.duckdb customer_segmentation.published

# --- Apache Spark (optional): the same project through dbt-spark on a local pyspark (needs Java 17+) ---
# Its own venv, so the default .venv, `make setup` and `make test` never install Spark.
SPARK_VENV := .venv-spark
SPARK_BIN := $(SPARK_VENV)/bin
SPARK_STAMP := $(SPARK_VENV)/.installed-stamp
SYNTHETIC := data/synthetic/online_retail_synthetic.csv.gz
# Both builds of the comparison live here, apart from the default warehouse and target/.
SPARK_RUN_DIR ?= $(CURDIR)/target/spark-compare
TRAINED_MODEL := data/trained_model

.PHONY: spark-setup spark-build spark-compare

$(SPARK_STAMP): requirements-spark.lock
	test -x $(SPARK_BIN)/python || $(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_BIN)/python -m pip install --quiet --upgrade pip
	$(SPARK_BIN)/python -m pip install --quiet -r requirements-spark.lock
	touch $(SPARK_STAMP)

spark-setup: $(SPARK_STAMP)

# Land the synthetic default once, train on DuckDB (every test), export the trained models as seeds,
# then build the same project on Spark from the same landed file, with every test. Prints both build times.
spark-build: setup spark-setup
	test -f $(SYNTHETIC) || $(BIN)/python -m segmentation.synthetic --out $(SYNTHETIC)
	rm -rf $(SPARK_RUN_DIR) && mkdir -p $(SPARK_RUN_DIR)
	$(BIN)/python -m segmentation.land $(SYNTHETIC) --out $(SPARK_RUN_DIR)/landed.parquet
	@start=$$(date +%s); \
	DBT_DUCKDB_PATH=$(SPARK_RUN_DIR)/duckdb.duckdb DBT_TARGET_PATH=$(SPARK_RUN_DIR)/target-duckdb \
	DBT_LOG_PATH=$(SPARK_RUN_DIR)/logs-duckdb RETAIL_LANDED_PATH=$(SPARK_RUN_DIR)/landed.parquet \
		$(BIN)/dbt build --target duckdb || exit 1; \
	echo "DuckDB build: $$(( $$(date +%s) - start )) s" | tee $(SPARK_RUN_DIR)/build_times.txt
	$(BIN)/python -m segmentation.export_trained_model --duckdb $(SPARK_RUN_DIR)/duckdb.duckdb --out $(TRAINED_MODEL)
	@start=$$(date +%s); \
	DBT_SPARK_WAREHOUSE=$(SPARK_RUN_DIR)/spark-warehouse DBT_TARGET_PATH=$(SPARK_RUN_DIR)/target-spark \
	DBT_LOG_PATH=$(SPARK_RUN_DIR)/logs-spark RETAIL_LANDED_PATH=$(SPARK_RUN_DIR)/landed.parquet \
		$(SPARK_BIN)/dbt build --target spark || exit 1; \
	echo "Spark build: $$(( $$(date +%s) - start )) s" | tee -a $(SPARK_RUN_DIR)/build_times.txt

# spark-build, then every mart of the two builds compared row by row; fails on any difference.
spark-compare: spark-build
	$(BIN)/python -m segmentation.compare_warehouses --duckdb $(SPARK_RUN_DIR)/duckdb.duckdb \
		--spark-warehouse $(SPARK_RUN_DIR)/spark-warehouse
	@cat $(SPARK_RUN_DIR)/build_times.txt
