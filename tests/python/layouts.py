"""Test tooling: a synthetic invoice-line log rewritten in the other grains the project reads.

The grains of issue "any transaction log": invoice lines (the UCI files), orders (one row per order
with its total, as dbt's jaffle-shop `orders`) and the minimal customer/date/amount log of
lifetimes and PyMC-Marketing. Each is derived from the same clean purchases, so a test knows the
customers and money every grain must give.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from segmentation import synthetic


def clean_purchases(lines: pd.DataFrame) -> pd.DataFrame:
    """The sale lines of a synthetic invoice-line log with a customer and a positive total, as text."""
    sales = lines.loc[
        lines["Customer ID"].notna()
        & ~lines["Invoice"].astype(str).str[0].isin(["C", "A"])
        & (lines["Quantity"].astype(float) > 0)
        & (lines["Price"].astype(float) > 0)
    ].copy()
    totals = [
        Decimal(str(q)) * Decimal(str(p)) for q, p in zip(sales["Quantity"], sales["Price"], strict=True)
    ]
    return pd.DataFrame(
        {
            "invoice": sales["Invoice"].astype(str).to_numpy(),
            "customer": sales["Customer ID"].astype(float).astype(int).astype(str).to_numpy(),
            "at": pd.to_datetime(sales["InvoiceDate"]).to_numpy(),
            "total": totals,
        }
    )


def orders(purchases: pd.DataFrame) -> pd.DataFrame:
    """One row per invoice with its total, under the jaffle-shop names (recognised with no var)."""
    grouped = purchases.groupby("invoice", sort=True).agg(
        customer_id=("customer", "first"), ordered_at=("at", "min"), order_total=("total", "sum")
    )
    frame = grouped.reset_index().rename(columns={"invoice": "order_id"})
    frame["ordered_at"] = frame["ordered_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    frame["order_total"] = frame["order_total"].map(str)
    return frame.loc[:, ["order_id", "customer_id", "ordered_at", "order_total"]]


def customer_days(purchases: pd.DataFrame, date_format: str = "%Y%m%d") -> pd.DataFrame:
    """One row per customer and day with the day's spend: the minimal log, under names of its own."""
    days = purchases.assign(day=purchases["at"].dt.normalize())
    grouped = days.groupby(["customer", "day"], sort=True)["total"].sum().reset_index()
    return pd.DataFrame(
        {
            "cust": grouped["customer"],
            "date": grouped["day"].dt.strftime(date_format),
            "dollars": grouped["total"].map(str),
        }
    )


def small_invoice_lines(n_customers: int = 300, seed: int = 11) -> pd.DataFrame:
    return synthetic.generate_transactions(synthetic.SyntheticConfig(n_customers=n_customers, seed=seed))
