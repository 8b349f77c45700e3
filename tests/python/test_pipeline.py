"""The main job end to end on synthetic data: generate, land, dbt build (all dbt tests), summary."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from segmentation import pipeline, synthetic
from tests.python.conftest import run_dbt

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
    assert pipeline.main(args) == 0

    out = capsys.readouterr().out
    assert (reports / "segment_report.html").stat().st_size > 0
    assert f"Report: {reports / 'segment_report.html'}" in out
    assert f"Raw lines read: {len(small_log):,}" in out
    with duckdb.connect(str(warehouse), read_only=True) as con:
        customers = con.execute("select count(*) from customers").fetchone()[0]
        segmented = con.execute("select count(*) from customer_segments").fetchone()[0]
        chosen = con.execute("select count(*) from segment_k_diagnostics where is_chosen").fetchone()[0]
        reasons = dict(
            con.execute(
                "select exclusion_reason, sum(line_count) from transaction_line_outcomes group by 1"
            ).fetchall()
        )
    assert f"Customers: {customers:,}" in out
    assert customers == segmented > 0
    assert chosen == 1
    # The generator's flaws reach the quarantine under their own reasons.
    for reason in ["duplicate_row", "non_product_stock_code", "non_positive_unit_price"]:
        assert reasons.get(reason, 0) > 0, reason


def test_second_run_replaces_results(tmp_path: Path, small_log: pd.DataFrame) -> None:
    raw = synthetic.write_transactions(small_log, tmp_path / "log.parquet")
    warehouse = tmp_path / "warehouse.duckdb"
    first = run_dbt(["build"], raw, warehouse)
    assert first.returncode == 0, first.output[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = con.execute("select * from customer_segments order by customer_id").df()
    second = run_dbt(["build"], raw, warehouse)
    assert second.returncode == 0, second.output[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = con.execute("select * from customer_segments order by customer_id").df()
    pd.testing.assert_frame_equal(before, after)


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
    assert f"Raw lines read: {len(small_log):,}" in capsys.readouterr().out


def test_missing_input_fails_with_the_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.csv"
    assert pipeline.main(["--input", str(missing), "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    assert f"{missing}: file not found" in capsys.readouterr().err


def test_unknown_layout_names_the_missing_columns(tmp_path: Path, small_log: pd.DataFrame) -> None:
    raw = tmp_path / "renamed.parquet"
    small_log.rename(columns={"Quantity": "Qty"}).to_parquet(raw)
    result = run_dbt(["build"], raw, tmp_path / "w.duckdb")
    assert result.returncode != 0
    assert "Missing required columns: quantity (one of: Quantity)" in result.output
    assert "Qty" in result.output
