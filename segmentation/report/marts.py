"""The marts the segment report reads, loaded read-only from the warehouse as pandas DataFrames."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from segmentation.money import Currency, currency_of

# The marts the report needs: only public SQL marts with enforced contracts (the `segment_report`
# exposure lists the same), so a model refactor cannot silently change what the report reads.
REQUIRED_TABLES: dict[str, tuple[str, ...]] = {
    "snapshot": ("data_coverage",),
    "profiles": ("segment_profiles",),
    "customers": ("customers_segmented",),
    "centroids": ("segment_model_parameters",),
    "k_diagnostics": ("segment_k_selection",),
    "crosstab": ("segment_rfm_crosstab",),
    "monthly": ("monthly_sales",),
    "countries": ("country_sales",),
    "outcomes": ("transaction_line_outcomes",),
}
OPTIONAL_TABLES = {
    "prediction_metrics": ("new_customer_model_metrics",),
    "migrations": ("segment_migrations",),
}


class ReportDataError(RuntimeError):
    """The warehouse is missing or lacks a mart the report needs."""


# --------------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class Marts:
    """Everything the report reads, as DataFrames. `prediction_metrics` is None when not built yet."""

    snapshot: pd.DataFrame
    profiles: pd.DataFrame
    customers: pd.DataFrame
    centroids: pd.DataFrame
    k_diagnostics: pd.DataFrame
    crosstab: pd.DataFrame
    monthly: pd.DataFrame
    countries: pd.DataFrame
    outcomes: pd.DataFrame
    prediction_metrics: pd.DataFrame | None
    features: tuple[str, ...]
    tables: dict[str, str] = field(default_factory=dict)
    # segment_migrations (segments over time); None when the history is not built.
    migrations: pd.DataFrame | None = None

    @property
    def currency(self) -> Currency:
        """The currency of every amount, as the build recorded it (data_coverage)."""
        return currency_of(self.snapshot)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in con.execute(f"describe {_quote(table)}").fetchall()]


def load_marts(warehouse: Path) -> Marts:
    """Read the marts from the DuckDB file, read-only, with `con.execute(sql).df()`."""
    warehouse = Path(warehouse)
    if not warehouse.exists():
        raise ReportDataError(f"warehouse {warehouse} not found: run `python -m segmentation.pipeline` first")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        existing = {
            row[0].lower()
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = current_schema()"
            ).fetchall()
        }

        def pick(names: tuple[str, ...]) -> str | None:
            return next((name for name in names if name in existing), None)

        tables = {key: pick(names) for key, names in {**REQUIRED_TABLES, **OPTIONAL_TABLES}.items()}
        missing = [REQUIRED_TABLES[key][0] for key in REQUIRED_TABLES if tables[key] is None]
        if missing:
            raise ReportDataError(
                f"warehouse {warehouse} lacks {', '.join(missing)}: "
                "run `python -m segmentation.pipeline` first"
            )

        def read(key: str, order_by: str = "") -> pd.DataFrame:
            sql = f"select * from {_quote(tables[key])}" + (f" order by {order_by}" if order_by else "")
            return con.execute(sql).df()

        centroids = read("centroids", "segment_id, feature_position")
        customer_columns = _table_columns(con, tables["customers"])
        features = tuple(
            feature
            for feature in dict.fromkeys(centroids["feature"].astype(str))
            if feature in customer_columns
        )
        selected = ["customer_id", "segment_id", "segment_name", "distance_to_centroid", *features]
        customers = con.execute(
            f"select {', '.join(_quote(c) for c in selected if c in customer_columns)}"
            f" from {_quote(tables['customers'])} order by customer_id"
        ).df()
        marts = Marts(
            snapshot=read("snapshot"),
            profiles=read("profiles", "segment_id"),
            customers=customers,
            centroids=centroids,
            k_diagnostics=read("k_diagnostics", "k"),
            crosstab=read("crosstab", "segment_id, rfm_segment"),
            monthly=read("monthly", "sales_month"),
            countries=read("countries", "purchase_value desc, country"),
            outcomes=read("outcomes", "line_status, exclusion_reason, is_guest"),
            prediction_metrics=(
                read("prediction_metrics", "target, metric, model") if tables["prediction_metrics"] else None
            ),
            features=features,
            tables={key: name for key, name in tables.items() if name},
            migrations=(
                read("migrations", "to_snapshot_date, from_state, from_segment_id, to_segment_id")
                if tables["migrations"]
                else None
            ),
        )
    return marts
