"""The backfilled segment history: incremental = full refresh, and on Online Retail II the last
snapshot is exactly customer_segments."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from segmentation import synthetic
from tests.python.conftest import run_dbt, shared_file

SMALL = synthetic.SyntheticConfig(n_customers=400, seed=7)
HISTORY_MODELS = ["int_segment_snapshot_dates", "int_customer_snapshot_features", "customer_segment_history"]
# Online Retail II runs from 2009-12-01 to 2011-12-09: 24 month ends inside it, then the build's date.
REAL_MONTHLY_SNAPSHOTS = 25
HISTORY_ORDER = "order by snapshot_date, customer_id"
# Tests that also read an unselected model (e.g. customer_segments) are left out, not failed.
CAUTIOUS = ["--indirect-selection", "cautious"]
# The upstream models' own tests run in the other modules' builds: here they only cost time.
MODELS_AND_SEEDS = ["--resource-type", "model", "--resource-type", "seed"]


def _history_rows(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(f"select * from customer_segment_history {HISTORY_ORDER}").fetchall()


def _build(command: list[str], raw: Path, warehouse: Path, frequency: str) -> None:
    result = run_dbt(command, raw, warehouse, f"{{segment_history_snapshots: {frequency}}}")
    assert result.returncode == 0, f"dbt failed:\n{result.output[-6000:]}"


@pytest.fixture(scope="module")
def incremental_and_full_histories(tmp_path_factory: pytest.TempPathFactory) -> tuple[list, list, list]:
    """Quarterly history built, then extended to monthly incrementally, then rebuilt in full."""
    root = tmp_path_factory.mktemp("history")
    raw = synthetic.write_transactions(synthetic.generate_transactions(SMALL), root / "log.parquet")
    warehouse = root / "warehouse.duckdb"
    history_only = ["build", *CAUTIOUS, "--select", *HISTORY_MODELS]
    _build(["build", *MODELS_AND_SEEDS, "--select", "+customer_segment_history"], raw, warehouse, "quarter")
    quarterly = _history_rows(warehouse)
    _build(history_only, raw, warehouse, "month")
    incremental = _history_rows(warehouse)
    _build([*history_only, "--full-refresh"], raw, warehouse, "month")
    return quarterly, incremental, _history_rows(warehouse)


def test_incremental_history_equals_a_full_refresh(
    incremental_and_full_histories: tuple[list, list, list],
) -> None:
    quarterly, incremental, full = incremental_and_full_histories
    assert len(incremental) > len(quarterly)
    assert incremental == full


def test_incremental_run_keeps_the_earlier_snapshot_rows(
    incremental_and_full_histories: tuple[list, list, list],
) -> None:
    quarterly, incremental, _ = incremental_and_full_histories
    assert set(quarterly) <= set(incremental)


@pytest.fixture(scope="module")
def real_history(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """Online Retail II built up to the history marts, with their dbt tests, monthly snapshots."""
    raw = shared_file("online_retail_II.parquet")
    warehouse = tmp_path_factory.mktemp("real_history") / "warehouse.duckdb"
    _build(
        ["build", *CAUTIOUS, "--select", "+segment_movers", "+segment_migrations", "customer_segments"],
        raw,
        warehouse,
        "month",
    )
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def test_real_history_has_a_snapshot_per_month_end_and_the_build_date(
    real_history: duckdb.DuckDBPyConnection,
) -> None:
    dates = [
        row[0]
        for row in real_history.sql(
            "select distinct snapshot_date from customer_segment_history order by 1"
        ).fetchall()
    ]
    (build_date,) = real_history.sql("select snapshot_date from int_snapshot_date").fetchone()
    assert len(dates) == REAL_MONTHLY_SNAPSHOTS
    assert dates[-1] == build_date
    assert all(date.day == 1 for date in dates[:-1])


def test_real_history_at_the_last_snapshot_is_customer_segments(
    real_history: duckdb.DuckDBPyConnection,
) -> None:
    differences = real_history.sql(
        """
        select count(*)
        from customer_segments as segments
        full outer join (
            select * from customer_segment_history
            where snapshot_date = (select snapshot_date from int_snapshot_date)
        ) as history
            on segments.customer_id = history.customer_id
        where history.customer_id is null or segments.customer_id is null
            or segments.segment_id <> history.segment_id or segments.segment_name <> history.segment_name
        """
    ).fetchone()
    assert differences == (0,)


def _segments(warehouse: Path, query: str) -> dict[str, tuple[int, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {row[0]: (row[1], row[2]) for row in con.sql(query).fetchall()}


def test_the_stored_versions_stable_ids_reach_customer_segments_and_the_history(tmp_path: Path) -> None:
    """As if an earlier model had numbered the same groups the other way round: a rebuild scores
    every customer under the stored version's ids and names, not the ids the model was trained with."""
    raw = synthetic.write_transactions(synthetic.generate_transactions(SMALL), tmp_path / "log.parquet")
    warehouse = tmp_path / "warehouse.duckdb"
    segments_query = "select customer_id, segment_id, segment_name from customer_segments"
    latest_history_query = (
        "select customer_id, segment_id, segment_name from customer_segment_history"
        " where snapshot_date = (select max(snapshot_date) from customer_segment_history)"
    )
    scoring = ["int_current_segment_centroids", "customer_segments", "int_customers_scored_by_centroids"]
    _build(
        ["build", *MODELS_AND_SEEDS, "--select", "+customer_segments", "+customer_segment_history"],
        raw,
        warehouse,
        "quarter",
    )
    trained = _segments(warehouse, segments_query)
    with duckdb.connect(str(warehouse)) as con:
        (k,) = con.sql("select max(segment_id) from segment_model_versions").fetchone()
        con.execute(
            f"update segment_model_versions set segment_id = {k} + 1 - segment_id,"
            f" segment_name = 'Stable ' || cast({k} + 1 - segment_id as varchar)"
        )
    _build(
        ["build", *CAUTIOUS, "--select", "segment_model_versions", *scoring, "customer_segment_history"],
        raw,
        warehouse,
        "quarter",
    )
    expected = {
        customer: (k + 1 - segment_id, f"Stable {k + 1 - segment_id}")
        for customer, (segment_id, _) in trained.items()
    }
    assert k > 1
    assert _segments(warehouse, segments_query) == expected
    assert _segments(warehouse, latest_history_query) == expected
