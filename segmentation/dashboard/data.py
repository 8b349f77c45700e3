"""What the dashboard shows, as plain pandas: loaded from the published marts, filtered, summed.

The Streamlit script (`app.py`) only lays these out, so every number on the page comes from a
function here that the tests compare with SQL over the marts.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from segmentation import publish
from segmentation.money import Currency, currency_of

# The environment variable that points the dashboard at another publication (tests, other warehouses).
PUBLICATION_DIR_ENV = "SEGMENTATION_PUBLICATION_DIR"
# The R/F/M scatter draws at most this many customers (a fixed random sample): a browser chart of
# every customer of a large file would be slow and no more readable.
MAX_SCATTER_POINTS = 4000
SCATTER_SEED = 0
HISTORY_TABLE = "customer_segment_history"
# transaction_line_outcomes' reason for lines that were not quarantined.
NO_REASON = "none"


@dataclass(frozen=True)
class DashboardData:
    """The published marts the dashboard reads, as DataFrames; `history` is None when not built."""

    version: str
    coverage: pd.DataFrame
    profiles: pd.DataFrame
    customers: pd.DataFrame
    invoices: pd.DataFrame
    outcomes: pd.DataFrame
    model_metrics: pd.DataFrame
    predictions: pd.DataFrame
    history: pd.DataFrame | None

    @property
    def currency(self) -> Currency:
        """The currency of every amount, as the build recorded it (data_coverage)."""
        return currency_of(self.coverage)


@dataclass(frozen=True)
class Filters:
    """The sidebar's choices; an empty tuple means all."""

    countries: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()


def publication_dir() -> Path:
    """The publication the dashboard reads: $SEGMENTATION_PUBLICATION_DIR, else the default warehouse's."""
    configured = os.environ.get(PUBLICATION_DIR_ENV)
    return Path(configured) if configured else publish.DEFAULT_PUBLICATION_DIR


def load(directory: Path) -> DashboardData:
    """Read everything from the current publication at once and close it: the page holds no file open."""
    with publish.connect(directory) as con:
        tables = {row[0] for row in con.execute("show tables").fetchall()}

        def read(sql: str) -> pd.DataFrame:
            return con.execute(sql).df()

        return DashboardData(
            version=con.execute(f"select version from {publish.MANIFEST_TABLE}").fetchone()[0],
            coverage=read("select * from data_coverage"),
            profiles=read("select * from segment_profiles order by segment_id"),
            customers=read(
                "select customers_segmented.*, customers.recent_window_frequency,"
                " customers.cancellation_count, customers.cancellation_value, customers.total_units"
                " from customers_segmented inner join customers using (customer_id) order by customer_id"
            ),
            invoices=read(
                "select invoice_no, customer_id, invoice_date, country, invoice_value from purchase_invoices"
            ),
            outcomes=read("select * from transaction_line_outcomes order by line_status, exclusion_reason"),
            model_metrics=read("select * from new_customer_model_metrics order by target, metric, model"),
            predictions=read("select * from customer_predictions order by customer_id"),
            history=read(f"select * from {HISTORY_TABLE}") if HISTORY_TABLE in tables else None,
        )


def filter_customers(customers: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The customers whose main country and KMeans segment are among the chosen ones."""
    keep = pd.Series(True, index=customers.index)
    if filters.countries:
        keep &= customers["main_country"].isin(filters.countries)
    if filters.segments:
        keep &= customers["segment_name"].isin(filters.segments)
    return customers[keep]


def filter_invoices(data: DashboardData, filters: Filters) -> pd.DataFrame:
    """Purchase invoices in the chosen countries (the invoice's), of customers in the chosen segments.

    With a segment chosen, guests' invoices drop out: a guest has no segment.
    """
    invoices = data.invoices
    if filters.countries:
        invoices = invoices[invoices["country"].isin(filters.countries)]
    if filters.segments:
        chosen = data.customers.loc[data.customers["segment_name"].isin(filters.segments), "customer_id"]
        invoices = invoices[invoices["customer_id"].isin(chosen)]
    return invoices


def headline(customers: pd.DataFrame, invoices: pd.DataFrame) -> dict[str, float]:
    """The figures at the top: customers, their purchase value, invoices, revenue and average order value."""
    revenue = float(invoices["invoice_value"].sum())
    return {
        "customers": len(customers),
        "customer_value": float(customers["monetary"].sum()),
        "invoices": len(invoices),
        "revenue": revenue,
        "average_order_value": revenue / len(invoices) if len(invoices) else 0.0,
    }


def segment_sizes(customers: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
    """Per segment: customers, their share, purchase value and value share, and the recommended action."""
    sizes = (
        customers.groupby(["segment_id", "segment_name"], as_index=False)
        .agg(customer_count=("customer_id", "size"), segment_value=("monetary", "sum"))
        .astype({"segment_value": float})
    )
    total_customers = sizes["customer_count"].sum()
    total_value = sizes["segment_value"].sum()
    sizes["customer_share"] = sizes["customer_count"] / total_customers if total_customers else 0.0
    sizes["value_share"] = sizes["segment_value"] / total_value if total_value else 0.0
    actions = profiles[["segment_id", "recommended_action"]]
    return sizes.merge(actions, on="segment_id", how="left").sort_values("segment_id", ignore_index=True)


def monthly_revenue(invoices: pd.DataFrame) -> pd.DataFrame:
    """Revenue and invoices per calendar month of the invoice date."""
    months = pd.to_datetime(invoices["invoice_date"]).dt.to_period("M").dt.to_timestamp()
    monthly = (
        invoices.assign(sales_month=months)
        .groupby("sales_month", as_index=False)
        .agg(revenue=("invoice_value", "sum"), invoices=("invoice_no", "size"))
        .astype({"revenue": float})
    )
    return monthly.sort_values("sales_month", ignore_index=True)


def scatter_sample(customers: pd.DataFrame, limit: int = MAX_SCATTER_POINTS) -> pd.DataFrame:
    """At most `limit` customers, sampled reproducibly, for the R/F/M scatter."""
    if len(customers) <= limit:
        return customers
    return customers.sample(n=limit, random_state=SCATTER_SEED)


def line_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Where the raw lines went: lines and value per status and reason, guests and customers together."""
    grouped = outcomes.groupby(["line_status", "exclusion_reason"], as_index=False).agg(
        lines=("line_count", "sum"), value=("line_value", "sum")
    )
    grouped["value"] = grouped["value"].astype(float)
    # Purchases and cancellations have no reason ("none"): they are named by their status instead.
    grouped["outcome"] = grouped["line_status"].where(
        grouped["exclusion_reason"] == NO_REASON, grouped["exclusion_reason"]
    )
    return grouped.sort_values("lines", ascending=False, ignore_index=True)


def model_comparison(model_metrics: pd.DataFrame) -> pd.DataFrame:
    """Each new-customer model's score beside its baseline's, per target and metric (baselines left out)."""
    models = model_metrics[~model_metrics["is_baseline"]]
    return models[
        ["target", "metric", "model", "value", "baseline", "baseline_value", "is_best"]
    ].reset_index(drop=True)


def segment_movement(history: pd.DataFrame | None, segments: Sequence[str] = ()) -> pd.DataFrame | None:
    """Customers per segment at each history snapshot, or None when no history was built."""
    if history is None or history.empty:
        return None
    if segments:
        history = history[history["segment_name"].isin(segments)]
    return (
        history.groupby(["snapshot_date", "segment_name"], as_index=False)
        .agg(customers=("customer_id", "nunique"))
        .sort_values(["snapshot_date", "segment_name"], ignore_index=True)
    )


@dataclass(frozen=True)
class CustomerCard:
    """One customer as the lookup shows them: features, both segments, and the prediction if any."""

    customer: pd.Series
    prediction: pd.Series | None


def lookup(data: DashboardData, customer_id: str) -> CustomerCard | None:
    """The customer with this id (spaces trimmed), or None when there is none."""
    wanted = customer_id.strip()
    match = data.customers[data.customers["customer_id"] == wanted]
    if match.empty:
        return None
    prediction = data.predictions[data.predictions["customer_id"] == wanted]
    return CustomerCard(match.iloc[0], None if prediction.empty else prediction.iloc[0])
