"""The DuckDB/Spark mart comparison and the export of the trained models, without Spark."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from segmentation import compare_warehouses as cw
from segmentation import export_trained_model as etm


def frame(**columns: list[object]) -> pd.DataFrame:
    return pd.DataFrame(columns)


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        (None, None, True),
        (float("nan"), None, True),
        (None, 0, False),
        (Decimal("1.2300"), Decimal("1.23"), True),
        (Decimal("1.2300"), Decimal("1.2301"), False),
        (Decimal("2"), 2, True),
        (Decimal("1.5"), 1.5, False),
        (0.1 + 0.2, 0.3, True),
        (1.0, 1.0 + 1e-6, False),
        ("Champions", "Champions", True),
        ("Champions", "champions", False),
        (True, True, True),
    ],
)
def test_values_equal(left: object, right: object, equal: bool) -> None:
    assert cw.values_equal(left, right) is equal


def test_identical_frames_in_another_row_order_do_not_differ() -> None:
    left = frame(customer_id=["a", "b"], monetary=[Decimal("1.5000"), Decimal("2.0000")], share=[0.25, 0.75])
    right = left.iloc[::-1].reset_index(drop=True)
    result = cw.compare_frames("customers", left, right, ["customer_id"])
    assert result.differences == 0
    assert (result.left_rows, result.right_rows) == (2, 2)


def test_rows_whose_key_holds_a_missing_value_match() -> None:
    left = frame(from_state=["new", "segment"], from_segment_id=[None, 1.0], customers=[3, 4])
    right = frame(from_state=["new", "segment"], from_segment_id=[float("nan"), 1.0], customers=[3, 5])
    result = cw.compare_frames("segment_migrations", left, right, ["from_state", "from_segment_id"])
    assert (result.only_left, result.only_right, result.differing_rows) == (0, 0, 1)


def test_missing_rows_and_differing_values_are_counted() -> None:
    left = frame(customer_id=["a", "b", "c"], segment_id=[1, 2, 2], distance=[0.5, 1.0, 2.0])
    right = frame(customer_id=["a", "b", "d"], segment_id=[1, 3, 2], distance=[0.5 + 1e-15, 1.0, 2.0])
    result = cw.compare_frames("customers_segmented", left, right, ["customer_id"])
    assert (result.only_left, result.only_right, result.differing_rows) == (1, 1, 1)
    assert result.differing_columns == ("segment_id",)
    assert result.differences == 3
    assert "'b'" in result.examples[0] and "segment_id: 2 vs 3" in result.examples[0]


def test_a_column_on_one_side_only_is_a_difference() -> None:
    result = cw.compare_frames("m", frame(k=[1], x=[1]), frame(k=[1]), ["k"])
    assert result.missing_columns == ("x",)
    assert result.differences == 1


def test_duplicate_keys_are_not_hidden() -> None:
    result = cw.compare_frames("m", frame(k=[1, 1], x=[1, 1]), frame(k=[1], x=[1]), ["k"])
    assert result.only_left == 1


def test_report_table_and_verdict() -> None:
    same = cw.MartComparison("customers", 3000, 3000)
    other = cw.MartComparison("monthly_sales", 25, 24, only_left=1, examples=("x",))
    report = cw.format_report([same, other])
    lines = report.splitlines()
    assert lines[0].split()[:3] == ["mart", "duckdb", "rows"]
    assert any(line.startswith("customers ") and "3000" in line for line in lines)
    assert "  monthly_sales: x" in lines
    assert lines[-1] == "2 marts, 3025 duckdb rows compared: 1 differences."
    assert cw.format_report([same]).endswith("no differences.")


def test_spark_tables_are_read_from_their_parquet_files(tmp_path: Path) -> None:
    folder = tmp_path / "analytics.db" / "customers"
    folder.mkdir(parents=True)
    con = duckdb.connect()
    con.sql(f"copy (select 'a' as customer_id, 1.5::decimal(18,4) as m) to '{folder / 'part-0.parquet'}'")
    table = cw.read_spark_table(con, tmp_path, "analytics", "customers")
    assert table.to_dict("records") == [{"customer_id": "a", "m": Decimal("1.5000")}]
    with pytest.raises(FileNotFoundError, match="build the project on Spark first"):
        cw.read_spark_table(con, tmp_path, "analytics", "monthly_sales")


def test_main_exits_non_zero_on_a_difference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.sql("create table country_sales as select 'France' as country, 2::bigint as customers")
    spark = tmp_path / "spark" / "analytics.db" / "country_sales"
    spark.mkdir(parents=True)
    duckdb.sql(f"copy (select 'France' as country, 3::bigint as customers) to '{spark / 'p.parquet'}'")
    args = [
        "--duckdb",
        str(warehouse),
        "--spark-warehouse",
        str(tmp_path / "spark"),
        "--marts",
        "country_sales",
    ]
    assert cw.main(args) == 1
    assert "customers" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("duckdb_type", "seed_type"),
    [("BIGINT", "bigint"), ("DOUBLE", "double"), ("VARCHAR", "string"), ("DECIMAL(18, 4)", "decimal(18,4)")],
)
def test_seed_column_types_are_valid_in_spark_and_duckdb(duckdb_type: str, seed_type: str) -> None:
    assert etm.seed_column_type(duckdb_type) == seed_type


def test_unknown_type_is_refused() -> None:
    with pytest.raises(ValueError, match="no seed type"):
        etm.seed_column_type("STRUCT(a INTEGER)")


def test_seed_csv_keeps_doubles_exact(tmp_path: Path) -> None:
    values = [0.1 + 0.2, 1 / 3, -math.inf, math.inf, float("nan"), 6.594413459749778]
    path = etm.write_seed_csv(
        frame(x=values, name=["Can't lose them", "a", "b", "c", None, "d"]), tmp_path / "s.csv"
    )
    read = pd.read_csv(path, keep_default_na=False, dtype=str)
    assert [float(text) for text in read["x"][:4]] == values[:4]
    assert read["x"][5] == "6.594413459749778"
    assert read["x"][4] == "" and read["name"][4] == ""
    assert read["name"][0] == "Can't lose them"


def test_export_writes_spark_only_seeds_with_types(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.sql(
        "create table segment_centroids as "
        "select 1::bigint as segment_id, 'Champions' as segment_name, 0.5 as x"
    )
    written = etm.export_trained_model(con, tmp_path, tables=["segment_centroids"])
    assert [p.name for p in written] == ["trained_segment_centroids.csv", etm.PROPERTIES_FILE]
    properties = yaml.safe_load((tmp_path / etm.PROPERTIES_FILE).read_text())
    (seed,) = properties["seeds"]
    assert seed["name"] == "trained_segment_centroids"
    assert seed["config"]["enabled"] == "{{ target.type == 'spark' }}"
    assert seed["config"]["column_types"] == {
        "segment_id": "bigint",
        "segment_name": "string",
        "x": "decimal(2,1)",
    }
    assert [column["name"] for column in seed["columns"]] == ["segment_id", "segment_name", "x"]
    with pytest.raises(LookupError, match="build the project on DuckDB first"):
        etm.export_trained_model(con, tmp_path, tables=["prediction_metrics"])
