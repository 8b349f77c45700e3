"""The main job end to end on synthetic data: generate, land, dbt build (all dbt tests), summary."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from segmentation import dbt_runner, pipeline, synthetic
from segmentation.money import Currency
from tests.python.conftest import PROJECT_DIR, copy_project, run_dbt

pytestmark = pytest.mark.integration

SMALL = synthetic.SyntheticConfig(n_customers=400, seed=7)


@pytest.fixture(scope="module")
def small_log() -> pd.DataFrame:
    return synthetic.generate_transactions(SMALL)


def test_main_job_builds_and_prints_a_reconciled_summary(
    tmp_path: Path, small_log: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = synthetic.write_transactions(small_log, tmp_path / "log.csv.gz")
    warehouse = tmp_path / "warehouse.duckdb"

    reports = tmp_path / "reports"
    args = ["--input", str(raw), "--warehouse", str(warehouse), "--report-dir", str(reports)]
    # Vars reach dbt from the command line: a fixed k the default rule would not choose by itself,
    # and a dollar log's currency, which must replace the default pounds in the summary and report.
    assert pipeline.main([*args, "--vars", "{segmentation: {fixed_k: 7}, currency: USD}"]) == 0

    out = capsys.readouterr().out
    page = (reports / "segment_report.html").read_text(encoding="utf-8")
    assert f"Report: {reports / 'segment_report.html'}" in out
    summary = out[out.index("Raw lines read:") :]
    # The embedded PNGs are base64, whose letters may spell any code by chance.
    page = re.sub(r"data:image/png;base64,[^\"]+", "", page)
    dollars, pounds = Currency("USD"), Currency("GBP")
    assert "value (USD)" in summary and "purchase value: USD " in summary
    assert dollars.symbol in page
    for text in (summary, page):
        assert pounds.code not in text and pounds.symbol not in text
    assert f"Raw lines read: {len(small_log):,}" in out
    with duckdb.connect(str(warehouse), read_only=True) as con:
        customers = con.execute("select count(*) from customers").fetchone()[0]
        segmented = con.execute("select count(*) from customer_segments").fetchone()[0]
        chosen = con.execute("select k from segment_k_diagnostics where is_chosen").fetchall()
        reasons = dict(
            con.execute(
                "select exclusion_reason, sum(line_count) from transaction_line_outcomes group by 1"
            ).fetchall()
        )
    assert f"Customers: {customers:,}" in out
    assert "Models: retrained at the" in summary
    assert customers == segmented > 0
    assert chosen == [(7,)]
    # The generator's flaws reach the quarantine under their own reasons.
    for reason in ["duplicate_row", "non_product_stock_code", "non_positive_unit_price"]:
        assert reasons.get(reason, 0) > 0, reason


def test_second_build_on_another_file_replaces_every_table(tmp_path: Path, small_log: pd.DataFrame) -> None:
    """A build on a shorter file, into the warehouse of a first build, leaves nothing of the first.

    The second file stops 60 days earlier, so every table's content differs between the two
    files (dates, recency, segments, metrics); a table the second build did not replace still
    holds the first build's rows. The seeds and the time spine are the same for both, so they are
    not compared; the views read the tables (or the landed file) at query time.
    """
    first_raw = synthetic.write_transactions(small_log, tmp_path / "first.parquet")
    cut = small_log["InvoiceDate"].max().normalize() - pd.Timedelta(days=60)
    shorter = small_log[small_log["InvoiceDate"] < cut]
    second_raw = synthetic.write_transactions(shorter, tmp_path / "second.parquet")
    warehouse = tmp_path / "warehouse.duckdb"
    # The seeds and the semantic layer's time spine (a fixed calendar) are the same for both files.
    seeds = {path.stem for path in (PROJECT_DIR / "seeds").glob("*.csv")} | {"metricflow_time_spine"}

    def tables() -> dict[str, pd.DataFrame]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            names = [
                name
                for (name,) in con.execute(
                    "select table_name from information_schema.tables"
                    " where table_schema = 'main' and table_type = 'BASE TABLE'"
                ).fetchall()
                if name not in seeds
            ]
            return {name: con.execute(f'select * from "{name}" order by all').df() for name in names}

    first = run_dbt(["build"], first_raw, warehouse)
    assert first.returncode == 0, first.output[-3000:]
    after_first = tables()
    second = run_dbt(["build"], second_raw, warehouse)
    assert second.returncode == 0, second.output[-3000:]
    after_second = tables()

    assert sorted(after_second) == sorted(after_first)
    assert len(after_first) >= 20  # every table model, not a handful
    unchanged = [name for name, table in after_second.items() if table.equals(after_first[name])]
    assert unchanged == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        end = con.execute("select data_end_date from data_coverage").fetchone()[0]
    assert end == shorter["InvoiceDate"].max().date()


def test_workbook_in_the_online_retail_layout_builds(
    tmp_path: Path, small_log: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    """An .xlsx with two sheets, renamed to the older UCI layout, goes through the landing step."""
    legacy = small_log.rename(
        columns={"Invoice": "InvoiceNo", "Price": "UnitPrice", "Customer ID": "CustomerID"}
    )
    half = len(legacy) // 2
    workbook = tmp_path / "online_retail.xlsx"
    with pd.ExcelWriter(workbook) as writer:
        legacy.iloc[:half].to_excel(writer, sheet_name="2010", index=False)
        legacy.iloc[half:].to_excel(writer, sheet_name="2011", index=False)

    warehouse = tmp_path / "warehouse.duckdb"
    args = ["--input", str(workbook), "--warehouse", str(warehouse), "--report-dir", str(tmp_path / "r")]
    assert pipeline.main(args) == 0
    out = capsys.readouterr().out
    assert f"Raw lines read: {len(small_log):,}" in out
    # No currency var: the UCI files' pounds.
    assert "value (GBP)" in out and "purchase value: GBP " in out


def test_missing_input_fails_with_the_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.csv"
    assert pipeline.main(["--input", str(missing), "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    assert f"{missing}: file not found" in capsys.readouterr().err


def test_unknown_layout_names_the_missing_columns(tmp_path: Path, small_log: pd.DataFrame) -> None:
    raw = tmp_path / "renamed.parquet"
    small_log.rename(columns={"Quantity": "Qty"}).to_parquet(raw)
    result = run_dbt(["build"], raw, tmp_path / "w.duckdb")
    assert result.returncode != 0
    # without a quantity the unit price is no amount: what is required, missing and found is named
    assert (
        "Required: customer_id, invoiced_at, and a money amount: line_total, or quantity and unit_price"
        in (result.output)
    )
    assert "Missing: a money amount" in result.output
    assert "quantity (Quantity)" in result.output
    assert "Qty" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{segmentation: [", "--vars is not YAML"),
        ("[1, 2]", "must be a mapping"),
    ],
)
def test_vars_that_are_not_a_mapping_stop_the_main_job_before_dbt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    args = [
        "--input",
        str(tmp_path / "unused.csv"),
        "--warehouse",
        str(tmp_path / "w.duckdb"),
        "--vars",
        text,
    ]
    assert pipeline.main(args) == pipeline.EXIT_INPUT_ERROR
    assert message in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


# --------------------------------------------------------------------------------------------------
# Exit codes (README, "When things go wrong"): 2 bad input, 3 locked warehouse, 1 failed build


def pipeline_args(raw: Path, root: Path, *extra: str) -> list[str]:
    return [
        "--input",
        str(raw),
        "--warehouse",
        str(root / "warehouse.duckdb"),
        "--report-dir",
        str(root / "reports"),
        "--publication-dir",
        str(root / "published"),
        *extra,
    ]


def test_a_var_dbt_refuses_while_parsing_exits_2_naming_it(
    tmp_path: Path, small_log: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = synthetic.write_transactions(small_log, tmp_path / "log.parquet")
    args = pipeline_args(raw, tmp_path, "--vars", "{currency: US$}")
    assert pipeline.main(args) == pipeline.EXIT_INPUT_ERROR
    err = capsys.readouterr().err
    assert f"error: dbt stopped on the input: {pipeline.BAD_INPUT_MARKER}var currency='US$'" in err
    assert not (tmp_path / "published").exists()


@pytest.fixture
def held_warehouse(tmp_path: Path) -> Iterator[Path]:
    """A warehouse file another process holds open for writing, as a notebook or a build would."""
    warehouse = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('held', flush=True)"
            "; sys.stdin.read()",
            str(warehouse),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    yield warehouse
    holder.communicate(input="")


def test_a_locked_warehouse_exits_3_before_dbt_starts(
    tmp_path: Path, small_log: pd.DataFrame, held_warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = synthetic.write_transactions(small_log, tmp_path / "log.parquet")
    assert pipeline.main(pipeline_args(raw, tmp_path)) == pipeline.EXIT_WAREHOUSE_LOCKED
    captured = capsys.readouterr()
    assert f"error: the warehouse {held_warehouse} is in use by another process" in captured.err
    assert "dbt build" not in captured.out, "dbt must not be started"


def test_a_warehouse_locked_after_the_check_exits_3_from_dbts_message(
    tmp_path: Path,
    small_log: pd.DataFrame,
    held_warehouse: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another build takes the file between the main job's check and dbt opening it."""
    raw = synthetic.write_transactions(small_log, tmp_path / "log.parquet")
    monkeypatch.setattr(pipeline, "warehouse_lock_conflict", lambda _warehouse: None)
    assert pipeline.main(pipeline_args(raw, tmp_path)) == pipeline.EXIT_WAREHOUSE_LOCKED
    err = capsys.readouterr().err
    assert f"error: the warehouse {held_warehouse} is in use by another process" in err
    assert pipeline.LOCK_ERROR_MARKER in err


def test_a_failed_build_exits_1_and_publishes_nothing(
    tmp_path: Path,
    small_log: pd.DataFrame,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A copy of the project with a data test that fails on any line: not the input's fault."""
    project = copy_project(tmp_path / "project")
    # On the first model, so that dbt skips everything downstream and stops within seconds.
    (project / "tests" / "dbt" / "assert_deliberately_failing.sql").write_text(
        "select source_row_number from {{ ref('stg_retail__transactions') }}\n"
    )
    monkeypatch.setattr(
        pipeline.dbt_runner,
        "dbt_invocation",
        functools.partial(dbt_runner.dbt_invocation, project_dir=project),
    )
    raw = synthetic.write_transactions(small_log, tmp_path / "log.parquet")
    assert pipeline.main(pipeline_args(raw, tmp_path)) == 1
    captured = capsys.readouterr()
    assert "assert_deliberately_failing" in captured.out
    assert "error: dbt build failed after" in captured.err
    assert "Nothing was published" in captured.err
    assert not (tmp_path / "published").exists()


def test_an_interrupted_default_generation_leaves_no_file_to_reuse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = tmp_path / "synthetic" / "online_retail_synthetic.csv.gz"
    default.parent.mkdir()

    def write_then_fail(frame: pd.DataFrame, path: Path) -> Path:
        Path(path).write_bytes(b"half a gzip")
        raise KeyboardInterrupt

    monkeypatch.setattr(synthetic, "write_transactions", write_then_fail)
    with pytest.raises(KeyboardInterrupt):
        pipeline.ensure_default_input(default, n_customers=20, seed=1)
    assert list(default.parent.iterdir()) == []


def test_the_default_input_is_generated_once_and_then_reused(tmp_path: Path) -> None:
    default = tmp_path / "online_retail_synthetic.csv.gz"
    assert pipeline.ensure_default_input(default, n_customers=20, seed=1) == default
    written = default.stat().st_mtime_ns
    assert pipeline.ensure_default_input(default, n_customers=20, seed=1) == default
    assert default.stat().st_mtime_ns == written
    assert list(tmp_path.iterdir()) == [default]
