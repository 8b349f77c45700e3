"""The checks that need the data's meaning stop the build with the same sentence on DuckDB and Spark.

A file can be well formed (the landing step accepts it) and still be unusable: no line has a date
that parses, or var snapshot_date lies before the first invoice. `int_snapshot_date`, the first
table of the build, stops on both, through the cross-db `raise_error`. Each case lands a file of
two or three lines and builds staging and `int_snapshot_date` only, on DuckDB and, where
`make spark-setup` has installed it (as `.ci/run` does), on Spark.
"""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from segmentation import dbt_runner, pipeline
from tests.python.conftest import PROJECT_DIR, land_beside, run_dbt

pytestmark = pytest.mark.integration

SPARK_DBT = PROJECT_DIR / ".venv-spark" / "bin" / "dbt"
SELECT = ["run", "--select", "stg_retail__transactions", "int_snapshot_date"]
HEADER = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]

# name -> (invoice dates of the lines, --vars, what the build must say)
CASES: dict[str, tuple[list[str], str | None, str]] = {
    "no_date_parses": (
        ["1 Jan 1997", "2 Jan 1997"],
        None,
        "None of the 2 landed lines has an invoice date that parses (e.g. '2 Jan 1997'). "
        "Add its format to the var raw_date_formats",
    ),
    "snapshot_before_the_data": (
        ["2012-01-10 10:00:00", "2012-01-11 10:00:00", "2012-01-12 10:00:00"],
        "{snapshot_date: '2011-12-01'}",
        "var snapshot_date=2011-12-01 is on or before the first invoice (2012-01-10): every line would "
        "be quarantined as after_snapshot_date and no customer would remain. Use a date after the first "
        "invoice (the file ends on 2012-01-12)",
    ),
}


def write_case(path: Path, dates: list[str]) -> Path:
    buffer = io.StringIO()
    rows = [
        [f"5000{i}", "85123A", "HEART", "6", date, "2.55", "17850", "United Kingdom"]
        for i, date in enumerate(dates)
    ]
    csv.writer(buffer, lineterminator="\n").writerows([HEADER, *rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue())
    return path


def run_on_spark(raw: Path, root: Path, dbt_vars: str | None) -> dbt_runner.DbtRun:
    """The same selection through dbt-spark's local session, with its own warehouse and metastore."""
    landed = land_beside(raw, root / "unused.duckdb")
    invocation = dbt_runner.dbt_invocation(SELECT, landed, root / "unused.duckdb", dbt_vars, state_dir=root)
    argv = (str(SPARK_DBT), *invocation.argv[1:], "--target", "spark")
    env = {**invocation.env, "DBT_SPARK_WAREHOUSE": str(root / "spark-warehouse")}
    return dbt_runner.run(dbt_runner.DbtInvocation(argv, env, invocation.cwd))


@pytest.fixture(scope="module")
def duckdb_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dbt_runner.DbtRun]:
    root = tmp_path_factory.mktemp("data_checks_duckdb")
    return {
        name: run_dbt(SELECT, write_case(root / name / "raw.csv", dates), root / name / "w.duckdb", dbt_vars)
        for name, (dates, dbt_vars, _) in CASES.items()
    }


@pytest.fixture(scope="module")
def spark_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dbt_runner.DbtRun]:
    if not SPARK_DBT.exists():
        pytest.skip(f"{SPARK_DBT} is absent: `make spark-setup` installs dbt-spark (needs Java 17+)")
    root = tmp_path_factory.mktemp("data_checks_spark")

    def run(name: str) -> dbt_runner.DbtRun:
        dates, dbt_vars, _ = CASES[name]
        return run_on_spark(write_case(root / name / "raw.csv", dates), root / name, dbt_vars)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(CASES, pool.map(run, CASES), strict=True))


@pytest.mark.parametrize("name", CASES)
def test_duckdb_stops_at_the_snapshot_date_with_the_reason(
    duckdb_runs: dict[str, dbt_runner.DbtRun], name: str
) -> None:
    run = duckdb_runs[name]
    assert run.returncode == 1, run.output[-3000:]
    assert "Runtime Error in model int_snapshot_date" in run.output
    assert CASES[name][2] in run.output, run.output[-3000:]


@pytest.mark.parametrize("name", CASES)
def test_spark_stops_with_the_same_sentence(spark_runs: dict[str, dbt_runner.DbtRun], name: str) -> None:
    run = spark_runs[name]
    assert run.returncode == 1, run.output[-3000:]
    assert "int_snapshot_date" in run.output
    assert CASES[name][2] in run.output, run.output[-3000:]


def test_the_main_job_exits_2_when_dbt_stops_on_the_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dates, _, message = CASES["no_date_parses"]
    raw = write_case(tmp_path / "raw.csv", dates)
    args = ["--input", str(raw), "--warehouse", str(tmp_path / "w.duckdb"), "--report-dir", str(tmp_path)]
    assert pipeline.main(args) == pipeline.EXIT_INPUT_ERROR
    err = capsys.readouterr().err
    assert f"error: dbt stopped on the input: {pipeline.BAD_INPUT_MARKER}" in err
    assert message in err
