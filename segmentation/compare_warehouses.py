"""Compare the marts of two builds of the project, e.g. DuckDB against Spark, row by row.

Rows are matched on each mart's key. Text, integers, dates, booleans and decimals (money) must be
equal exactly; doubles (shares, means, distances) within a relative tolerance, because two engines
may round the last bit of a logarithm or a square root differently. The result is a table with,
per mart, the rows on each side, rows found on one side only, and rows whose values differ.

Both builds are read with DuckDB: the DuckDB warehouse file, and the parquet files of Spark's
managed tables (<warehouse dir>/<schema>.db/<table>/), so no Spark is needed to compare.

    python -m segmentation.compare_warehouses --duckdb WAREHOUSE.duckdb --spark-warehouse DIR
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

__all__ = [
    "DEFAULT_REL_TOL",
    "MART_KEYS",
    "MartComparison",
    "compare_frames",
    "format_report",
    "main",
    "read_duckdb_table",
    "read_spark_table",
    "values_equal",
]

# Every SQL mart of the project and the columns that identify its rows.
MART_KEYS: Mapping[str, tuple[str, ...]] = {
    "customers": ("customer_id",),
    "customer_rfm_segments": ("customer_id",),
    "customers_segmented": ("customer_id",),
    "segment_profiles": ("segment_id",),
    "segment_rfm_crosstab": ("segment_id", "rfm_segment"),
    "segment_model_parameters": ("segment_id", "feature"),
    "segment_k_selection": ("k",),
    "new_customer_model_metrics": ("model", "target", "metric"),
    "transaction_line_outcomes": ("line_status", "exclusion_reason", "is_guest"),
    "monthly_sales": ("sales_month",),
    "country_sales": ("country",),
    "data_coverage": ("data_start_date",),
    "customer_outcomes": ("customer_outcome", "main_exclusion_reason"),
    "purchase_invoices": ("invoice_no",),
    "cancellations": ("source_row_number",),
    "segment_migrations": (
        "from_snapshot_date",
        "to_snapshot_date",
        "from_state",
        "from_segment_id",
        "to_segment_id",
    ),
    "segment_movers": ("customer_id",),
}
# Doubles only: about 10 significant digits, far above last-bit noise and far below any real change.
DEFAULT_REL_TOL = 1e-10
# Example differing rows kept per mart for the report.
EXAMPLES_KEPT = 3


@dataclass(frozen=True)
class MartComparison:
    """How one mart differs between the two builds."""

    mart: str
    left_rows: int
    right_rows: int
    only_left: int = 0
    only_right: int = 0
    differing_rows: int = 0
    differing_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()
    examples: tuple[str, ...] = field(default=(), compare=False)

    @property
    def differences(self) -> int:
        return self.only_left + self.only_right + self.differing_rows + len(self.missing_columns)


def values_equal(left: object, right: object, rel_tol: float = DEFAULT_REL_TOL) -> bool:
    """Equal as the comparison means it: both missing, exactly equal, or floats within rel_tol.

    Decimals compare exactly, also against an integer; floats (Python or numpy) within `rel_tol`.
    """
    left_missing, right_missing = _is_missing(left), _is_missing(right)
    if left_missing or right_missing:
        return left_missing and right_missing
    if isinstance(left, float) or isinstance(right, float):
        if isinstance(left, Decimal) or isinstance(right, Decimal):
            return False  # a money column read as a double on one side: a type difference
        try:
            return math.isclose(float(left), float(right), rel_tol=rel_tol, abs_tol=0.0)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    return bool(left == right)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _normalized(frame: pd.DataFrame) -> pd.DataFrame:
    # numpy scalars become Python ones (np.float64 is a float; np.int64 and np.bool_ are not ints).
    out = frame.astype(object).where(frame.notna(), None)
    return out.map(lambda value: value.item() if hasattr(value, "item") else value)


def _row_key(row: pd.Series, keys: Sequence[str]) -> tuple[object, ...]:
    """The row's key, a missing value as None: NaN is not equal to itself, so a key holding one (a
    "new" customer's from_segment_id) would match no row at all."""
    return tuple(None if pd.isna(value) else value for value in row[list(keys)])


def compare_frames(
    mart: str,
    left: pd.DataFrame,
    right: pd.DataFrame,
    keys: Sequence[str],
    rel_tol: float = DEFAULT_REL_TOL,
) -> MartComparison:
    """Match rows of `left` and `right` on `keys` and count what differs (see module docstring)."""
    keys = list(keys)
    missing = tuple(sorted(set(left.columns) ^ set(right.columns)))
    shared = [column for column in left.columns if column in right.columns and column not in keys]
    left_rows, right_rows = _normalized(left), _normalized(right)
    left_by_key = {_row_key(row, keys): row for _, row in left_rows.iterrows()}
    right_by_key = {_row_key(row, keys): row for _, row in right_rows.iterrows()}
    differing_rows = 0
    differing_columns: set[str] = set()
    examples: list[str] = []
    for key in sorted(left_by_key.keys() & right_by_key.keys(), key=repr):
        columns = [c for c in shared if not values_equal(left_by_key[key][c], right_by_key[key][c], rel_tol)]
        if columns:
            differing_rows += 1
            differing_columns.update(columns)
            if len(examples) < EXAMPLES_KEPT:
                shown = ", ".join(
                    f"{c}: {left_by_key[key][c]!r} vs {right_by_key[key][c]!r}" for c in columns
                )
                examples.append(f"{dict(zip(keys, key, strict=True))}: {shown}")
    return MartComparison(
        mart=mart,
        left_rows=len(left),
        right_rows=len(right),
        only_left=len(left_by_key.keys() - right_by_key.keys()) + (len(left) - len(left_by_key)),
        only_right=len(right_by_key.keys() - left_by_key.keys()) + (len(right) - len(right_by_key)),
        differing_rows=differing_rows,
        differing_columns=tuple(sorted(differing_columns)),
        missing_columns=missing,
        examples=tuple(examples),
    )


def format_report(
    comparisons: Sequence[MartComparison], left_name: str = "duckdb", right_name: str = "spark"
) -> str:
    """A plain-text table, one line per mart, then examples of any differences and a verdict."""
    header = (
        "mart",
        f"{left_name} rows",
        f"{right_name} rows",
        f"only {left_name}",
        f"only {right_name}",
        "differing rows",
        "differing columns",
    )
    rows = [
        (
            c.mart,
            str(c.left_rows),
            str(c.right_rows),
            str(c.only_left),
            str(c.only_right),
            str(c.differing_rows),
            ", ".join(c.differing_columns + c.missing_columns) or "-",
        )
        for c in comparisons
    ]
    widths = [max(len(line[i]) for line in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in (header, *rows)
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    for comparison in comparisons:
        lines.extend(f"  {comparison.mart}: {example}" for example in comparison.examples)
    total = sum(c.differences for c in comparisons)
    compared = sum(c.left_rows for c in comparisons)
    lines.append(
        f"{len(comparisons)} marts, {compared} {left_name} rows compared: "
        + ("no differences." if total == 0 else f"{total} differences.")
    )
    return "\n".join(lines)


def _read(con: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    # Through Arrow, so decimals arrive as exact Decimal objects, not as doubles.
    return con.sql(query).to_arrow_table().to_pandas()


def read_duckdb_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> pd.DataFrame:
    """A table of a DuckDB build, decimals exact."""
    return _read(con, f'select * from "{schema}"."{table}"')


def read_spark_table(
    con: duckdb.DuckDBPyConnection, warehouse: Path, schema: str, table: str
) -> pd.DataFrame:
    """A managed parquet table of a local Spark build (dbt-spark `session`), read by DuckDB."""
    folder = warehouse / f"{schema}.db" / table
    if not folder.is_dir():
        raise FileNotFoundError(
            f"no Spark table {schema}.{table} at {folder}: build the project on Spark first"
        )
    path = str(folder / "*.parquet").replace("'", "''")
    return _read(con, f"select * from read_parquet('{path}')")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duckdb", type=Path, required=True, help="DuckDB warehouse file of one build")
    parser.add_argument("--duckdb-schema", default="main")
    parser.add_argument(
        "--spark-warehouse", type=Path, required=True, help="spark.sql.warehouse.dir of the other"
    )
    parser.add_argument("--spark-schema", default="analytics")
    parser.add_argument("--marts", nargs="*", default=list(MART_KEYS), help="marts to compare (default: all)")
    parser.add_argument(
        "--rel-tol", type=float, default=DEFAULT_REL_TOL, help="relative tolerance for doubles"
    )
    args = parser.parse_args(argv)
    comparisons = []
    with duckdb.connect(str(args.duckdb), read_only=True) as warehouse, duckdb.connect() as files:
        for mart in args.marts:
            left = read_duckdb_table(warehouse, args.duckdb_schema, mart)
            right = read_spark_table(files, args.spark_warehouse, args.spark_schema, mart)
            comparisons.append(compare_frames(mart, left, right, MART_KEYS[mart], args.rel_tol))
    print(format_report(comparisons))
    return 0 if all(c.differences == 0 for c in comparisons) else 1


if __name__ == "__main__":
    raise SystemExit(main())
