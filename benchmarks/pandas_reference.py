"""The pipeline in pandas, doing the work of the dbt build's Python models: the reference the build is
measured against.

Read the raw file whole and clean it with the project's rules (pandas in place of the SQL layer),
then build in pandas the two inputs the Python models read: the customer features
(int_customer_features: recency, frequency, monetary, tenure) and the first purchases
(int_customer_first_purchases: first-invoice features, next-year targets, training flag). On those
it calls the same library functions, with the same default settings, as the build's Python models:

  product_categories / customer_category_shares -> segmentation.categories
  segment_k_diagnostics    -> clustering.build_k_diagnostics (KMeans k = 3..10, silhouette, the
                              bootstrap and run-to-run stability of each k)
  segment_centroids        -> clustering.fit_centroids
  segment_model_versions   -> model_versions.append_version
  customer_segments        -> clustering.assign_segments
  prediction_metrics       -> prediction.evaluate_models (time-ordered cross-validation of every
                              new-customer model and baseline)
  customer_next_year_predictions -> prediction.predict_new_customers

so the Python-model work is the same on both sides and the comparison measures what differs: the
SQL layer against pandas, and dbt's own cost. Nothing is streamed or chunked, as in a notebook.

    python benchmarks/pandas_reference.py PATH      # .parquet, .csv or .csv.gz, either UCI layout

Prints stage timings to stderr and one ``RESULT {json}`` line (customers, total monetary, chosen k,
customers predicted, training customers) to stdout, which the harness checks against the build.
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation.categories import CategoryConfig, categorise_products, category_shares, with_category_shares
from segmentation.clustering import (
    SegmentationConfig,
    assign_segments,
    build_k_diagnostics,
    chosen_k,
    fit_centroids,
)
from segmentation.model_versions import append_version
from segmentation.prediction import PredictionConfig, evaluate_models, predict_new_customers
from segmentation.synthetic import COLUMNS

PROJECT_DIR = Path(__file__).resolve().parent.parent
NON_PRODUCT_CODES = PROJECT_DIR / "seeds" / "non_product_stock_codes.csv"

# Online Retail (2011) and Online Retail II (2009-2011) name three columns differently.
UCI_COLUMNS = {
    "InvoiceNo": "Invoice",
    "UnitPrice": "Price",
    "CustomerID": "Customer ID",
}
# The dbt vars of int_customer_first_purchases (dbt_project.yml), at their defaults.
PREDICTION_HORIZON_DAYS = 365
PREDICTION_LEFT_CENSORING_DAYS = 60
# The labels the SQL layer gives a missing description and country (macros unknown_*_label).
UNKNOWN_DESCRIPTION = "Unknown"
UNKNOWN_COUNTRY = "Unspecified"
TRAILING_ZEROS = re.compile(r"\.0+$")


def load(path: Path) -> pd.DataFrame:
    """The whole file in memory, columns named as in Online Retail II."""
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
    else:
        df = pd.read_csv(
            path, encoding="ISO-8859-1", dtype={"Invoice": str, "InvoiceNo": str, "StockCode": str}
        )
    df = df.rename(columns=UCI_COLUMNS)[list(COLUMNS)]
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
    return df


def non_product_codes(path: Path = NON_PRODUCT_CODES) -> tuple[set[str], tuple[str, ...]]:
    """(exact codes, prefixes), upper-cased, from the project's seed."""
    seed = pd.read_csv(path)
    patterns = seed["stock_code_pattern"].str.upper()
    return set(patterns[seed["match_type"] == "exact"]), tuple(patterns[seed["match_type"] == "prefix"])


def customer_ids(values: pd.Series) -> pd.Series:
    """Customer ids as the staging model writes them: a whole number without '.0' (12346.0 ->
    '12346'), text without a trailing '.0'; missing stays missing (a guest)."""
    if pd.api.types.is_numeric_dtype(values):
        whole = values.notna() & (values == np.floor(values))
        out = values.astype(str).astype(object).where(values.notna(), None)
        out[whole] = values[whole].astype("int64").astype(str)
        return out
    text = values.astype("string").str.strip()
    text = text.where(~text.str.lower().isin(["", "nan", "none", "null"]))
    return text.str.replace(TRAILING_ZEROS, "", regex=True).astype(object).where(text.notna(), None)


@dataclass(frozen=True)
class Lines:
    """The clean lines, as the SQL layer's int_purchase_lines and int_cancellation_lines, and the
    data's first day and snapshot date (int_snapshot_date)."""

    purchases: pd.DataFrame  # guests too; customer_id None for a guest
    cancellations: pd.DataFrame  # identified customers only: customer_id, InvoiceDate
    data_start: pd.Timestamp
    snapshot: pd.Timestamp


def classify(df: pd.DataFrame, codes: tuple[set[str], tuple[str, ...]]) -> Lines:
    """The rules of int_transaction_lines_classified.

    Incomplete lines, exact duplicates (first kept), bad-debt adjustments (invoice A...),
    non-product stock codes and price <= 0 go; a cancellation (invoice C...) needs a negative
    quantity, a purchase a positive one. The snapshot is the day after the last invoice.
    """
    data_start = df["InvoiceDate"].min().normalize()
    snapshot = df["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)
    df = df.dropna(subset=["Invoice", "StockCode", "Quantity", "InvoiceDate", "Price"])
    df = df.drop_duplicates()
    invoice = df["Invoice"].astype(str).str.upper()
    stock_code = df["StockCode"].astype(str).str.upper()
    exact, prefixes = codes
    non_product = stock_code.isin(exact) | stock_code.str.startswith(prefixes)
    passes = ~invoice.str.startswith("A") & ~non_product & (df["Price"] > 0)
    cancelled = invoice.str.startswith("C")
    purchases = df[passes & ~cancelled & (df["Quantity"] > 0)].copy()
    purchases["LineValue"] = purchases["Quantity"] * purchases["Price"]
    purchases["customer_id"] = customer_ids(purchases["Customer ID"])
    purchases["Description"] = purchases["Description"].fillna(UNKNOWN_DESCRIPTION)
    purchases["Country"] = purchases["Country"].fillna(UNKNOWN_COUNTRY)
    cancellations = df.loc[passes & cancelled & (df["Quantity"] < 0), ["Customer ID", "InvoiceDate"]]
    cancellations = cancellations.assign(customer_id=customer_ids(cancellations["Customer ID"]))
    cancellations = cancellations.loc[cancellations["customer_id"].notna(), ["customer_id", "InvoiceDate"]]
    return Lines(purchases.drop(columns="Customer ID"), cancellations, data_start, snapshot)


def purchase_invoices(purchases: pd.DataFrame) -> pd.DataFrame:
    """int_purchase_invoices: one row per invoice; the invoice counts from its first timestamp."""
    invoices = purchases.groupby("Invoice", sort=False).agg(
        customer_id=("customer_id", "max"),
        invoiced_at=("InvoiceDate", "min"),
        country=("Country", "max"),
        line_count=("Invoice", "size"),
        total_units=("Quantity", "sum"),
        invoice_value=("LineValue", "sum"),
    )
    invoices["invoice_date"] = invoices["invoiced_at"].dt.normalize()
    invoices["is_guest"] = invoices["customer_id"].isna()
    return invoices.reset_index()


def customer_features(invoices: pd.DataFrame, snapshot: pd.Timestamp) -> pd.DataFrame:
    """The columns of int_customer_features that the Python models read with the default settings:
    recency (days from the last purchase date to the snapshot), frequency (invoices), monetary and
    tenure (which the segment names read)."""
    per_customer = (
        invoices.loc[~invoices["is_guest"]]
        .groupby("customer_id")
        .agg(
            frequency=("Invoice", "size"),
            monetary=("invoice_value", "sum"),
            first_purchase=("invoice_date", "min"),
            last_purchase=("invoice_date", "max"),
        )
    )
    per_customer["recency_days"] = (snapshot - per_customer["last_purchase"]).dt.days
    per_customer["tenure_days"] = (per_customer["last_purchase"] - per_customer["first_purchase"]).dt.days
    columns = ["recency_days", "frequency", "monetary", "tenure_days"]
    return per_customer[columns].reset_index()


def home_country(invoices: pd.DataFrame) -> str:
    """The country with the most purchase invoices of identified customers (ties: name order)."""
    counts = invoices.groupby("country").size().rename("n").reset_index()
    return str(counts.sort_values(["n", "country"], ascending=[False, True])["country"].iloc[0])


def first_purchases(
    invoices: pd.DataFrame, lines: Lines, segments: pd.DataFrame, horizon_days: int = PREDICTION_HORIZON_DAYS
) -> pd.DataFrame:
    """int_customer_first_purchases: the first invoice's features, the next-year targets and the
    training flag per identified customer, with the segment they end in."""
    identified = invoices.loc[~invoices["is_guest"]]
    horizon = pd.Timedelta(days=horizon_days)
    ordered = identified.sort_values(["customer_id", "invoiced_at", "Invoice"], kind="mergesort")
    rank = ordered.groupby("customer_id", sort=False).cumcount()
    first = ordered.loc[rank == 0].set_index("customer_id")
    later = ordered.loc[rank > 0, ["customer_id", "invoice_date", "invoice_value"]]
    within = later["invoice_date"] <= later["customer_id"].map(first["invoice_date"]) + horizon
    next_year = later.loc[within].groupby("customer_id")["invoice_value"].agg(["size", "sum"])
    first_lines = lines.purchases.loc[
        lines.purchases["customer_id"].notna() & lines.purchases["Invoice"].isin(first["Invoice"])
    ]
    products = first_lines.groupby("Invoice").agg(
        distinct_products=("StockCode", "nunique"), mean_unit_price=("Price", "mean")
    )
    cancelled = lines.cancellations.loc[
        lines.cancellations["InvoiceDate"]
        <= lines.cancellations["customer_id"].map(first["invoiced_at"])  # NaT (no first invoice): False
    ]
    is_training = first["invoice_date"] + horizon < lines.snapshot
    frame = pd.DataFrame(
        {
            "first_invoiced_at": first["invoiced_at"],
            "first_invoice_date": first["invoice_date"],
            "is_training": is_training,
            "first_invoice_value": first["invoice_value"].astype("float64"),
            "first_invoice_lines": first["line_count"],
            "first_invoice_distinct_products": first["Invoice"].map(products["distinct_products"]),
            "first_invoice_units": first["total_units"],
            "first_invoice_mean_unit_price": first["Invoice"].map(products["mean_unit_price"]),
            "first_invoice_country": first["country"],
            "first_invoice_is_home_country": first["country"] == home_country(identified),
            "first_invoice_month": first["invoiced_at"].dt.month,
            "first_invoice_weekday": first["invoiced_at"].dt.dayofweek,  # Monday 0, as ISO - 1
            "first_invoice_hour": first["invoiced_at"].dt.hour,
            "had_cancellation_before_first_invoice": first.index.isin(cancelled["customer_id"]),
            "next_year_purchase_count": next_year["size"].reindex(first.index).fillna(0).where(is_training),
            "next_year_purchase_value": next_year["sum"].reindex(first.index).fillna(0.0).where(is_training),
        }
    )
    frame = frame.rename_axis("customer_id").reset_index()
    final = segments.loc[:, ["customer_id", "segment_id", "segment_name"]].rename(
        columns={"segment_id": "final_segment_id", "segment_name": "final_segment_name"}
    )
    frame = frame.merge(final, on="customer_id", how="inner")
    censored = lines.data_start + pd.Timedelta(days=PREDICTION_LEFT_CENSORING_DAYS)
    return frame.loc[frame["first_invoice_date"] >= censored].reset_index(drop=True)


def run(path: Path) -> dict[str, object]:
    """The whole pipeline; returns what the harness checks, with seconds per stage."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal started
        seconds[stage] = round(time.perf_counter() - started, 2)
        print(f"  pandas {stage}: {seconds[stage]:.1f}s", file=sys.stderr, flush=True)
        started = time.perf_counter()

    raw = load(path)
    lap("read")
    lines = classify(raw, non_product_codes())
    del raw  # as a careful notebook does (del df), so leftovers do not inflate pandas' peak memory
    lap("clean")
    invoices = purchase_invoices(lines.purchases)
    features = customer_features(invoices, lines.snapshot)
    lap("customer features")
    products = categorise_products(
        lines.purchases.loc[:, ["StockCode", "Description"]].set_axis(["stock_code", "description"], axis=1),
        CategoryConfig(),
    )
    identified = lines.purchases.loc[lines.purchases["customer_id"].notna()]
    shares = category_shares(
        identified.loc[:, ["customer_id", "StockCode", "LineValue"]].set_axis(
            ["customer_id", "stock_code", "line_value"], axis=1
        ),
        products,
    )
    del identified
    customers = with_category_shares(features, shares)
    lap("product categories")
    config = SegmentationConfig()
    diagnostics = build_k_diagnostics(customers, config)
    lap("k diagnostics and stability")
    centroids = fit_centroids(customers, config, chosen_k(diagnostics))
    append_version(None, centroids, lines.data_start.date(), lines.snapshot.date())
    # The first version keeps the trained ids, so the centroids score as the build's current ones.
    segments = assign_segments(customers, centroids, config)
    lap("centroids and segments")
    first = first_purchases(invoices, lines, segments)
    del invoices, lines
    lap("first purchases")
    prediction_config = PredictionConfig()
    metrics = evaluate_models(first, prediction_config)
    lap("prediction cross-validation")
    predictions = predict_new_customers(first, prediction_config, metrics=metrics)
    lap("predictions")
    return {
        "customers": len(features),
        "monetary": float(features["monetary"].sum()),
        "chosen_k": chosen_k(diagnostics),
        "predicted_customers": len(predictions),
        "training_customers": int(metrics["n_train"].iloc[0]) if len(metrics) else 0,
        "seconds": seconds,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(f"usage: python {Path(__file__).name} PATH", file=sys.stderr)
        return 2
    print("RESULT " + json.dumps(run(Path(args[0]))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
