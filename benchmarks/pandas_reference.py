"""The pipeline as a notebook writes it in pandas: the reference the dbt project is measured against.

Read the raw file whole, clean it with the project's rules, compute RFM per customer, log1p +
StandardScaler, then KMeans for k = k_min..k_max of SegmentationConfig (3..10) scored by
silhouette. Nothing is streamed or chunked, because a notebook does not do that; the point of the
benchmark is to see where that stops working.

    python benchmarks/pandas_reference.py PATH      # .parquet, .csv or .csv.gz, either UCI layout

Prints stage timings to stderr and one ``RESULT {json}`` line (customers, total monetary, chosen k)
to stdout, which the harness checks against the dbt customers mart.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from segmentation.clustering import SegmentationConfig
from segmentation.synthetic import COLUMNS

PROJECT_DIR = Path(__file__).resolve().parent.parent
NON_PRODUCT_CODES = PROJECT_DIR / "seeds" / "non_product_stock_codes.csv"

# Online Retail (2011) and Online Retail II (2009-2011) name three columns differently.
UCI_COLUMNS = {
    "InvoiceNo": "Invoice",
    "UnitPrice": "Price",
    "CustomerID": "Customer ID",
}


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


def clean(df: pd.DataFrame, codes: tuple[set[str], tuple[str, ...]]) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Purchase lines of identified customers, and the snapshot date (day after the last invoice).

    The rules of int_transaction_lines_classified: incomplete lines, exact duplicates (first kept),
    bad-debt adjustments (invoice A...), non-product stock codes, price <= 0 and quantity <= 0 go;
    cancellations (invoice C...) are not purchases. Guests (no customer id) only leave at the end.
    """
    snapshot = df["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)
    df = df.dropna(subset=["Invoice", "StockCode", "Quantity", "InvoiceDate", "Price"])
    df = df.drop_duplicates()
    invoice = df["Invoice"].astype(str).str.upper()
    stock_code = df["StockCode"].astype(str).str.upper()
    exact, prefixes = codes
    non_product = stock_code.isin(exact) | stock_code.str.startswith(prefixes)
    keep = (
        ~invoice.str.startswith(("A", "C"))
        & ~non_product
        & (df["Price"] > 0)
        & (df["Quantity"] > 0)
        & df["Customer ID"].notna()
    )
    purchases = df[keep].copy()
    purchases["LineValue"] = purchases["Quantity"] * purchases["Price"]
    return purchases, snapshot


def rfm(purchases: pd.DataFrame, snapshot: pd.Timestamp) -> pd.DataFrame:
    """Recency (days from the last purchase date to the snapshot), frequency (invoices), monetary."""
    per_customer = purchases.groupby("Customer ID").agg(
        last_purchase=("InvoiceDate", "max"),
        frequency=("Invoice", "nunique"),
        monetary=("LineValue", "sum"),
    )
    per_customer["recency"] = (snapshot - per_customer["last_purchase"].dt.normalize()).dt.days
    return per_customer[["recency", "frequency", "monetary"]]


def scale(features: pd.DataFrame) -> np.ndarray:
    return StandardScaler().fit_transform(np.log1p(features))


def k_search(matrix: np.ndarray, config: SegmentationConfig) -> pd.DataFrame:
    """Inertia and silhouette for every k, with the project's n_init, seed and silhouette sample."""
    rows = []
    for k in range(config.k_min, config.k_max + 1):
        model = KMeans(n_clusters=k, n_init=config.n_init, random_state=config.random_state).fit(matrix)
        silhouette = silhouette_score(
            matrix,
            model.labels_,
            sample_size=min(config.silhouette_sample_size, len(matrix)),
            random_state=config.random_state,
        )
        rows.append({"k": k, "inertia": model.inertia_, "silhouette": silhouette})
    return pd.DataFrame(rows)


def run(path: Path) -> dict[str, object]:
    """The whole notebook; returns what the harness checks, with seconds per stage."""
    config = SegmentationConfig()
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal started
        seconds[stage] = round(time.perf_counter() - started, 2)
        print(f"  pandas {stage}: {seconds[stage]:.1f}s", file=sys.stderr, flush=True)
        started = time.perf_counter()

    raw = load(path)
    lap("read")
    purchases, snapshot = clean(raw, non_product_codes())
    del raw  # as a careful notebook does (del df), so leftovers do not inflate pandas' peak memory
    lap("clean")
    features = rfm(purchases, snapshot)
    del purchases
    lap("rfm")
    diagnostics = k_search(scale(features), config)
    lap("kmeans k-search")
    return {
        "customers": len(features),
        "monetary": float(features["monetary"].sum()),
        "chosen_k": int(diagnostics.loc[diagnostics["silhouette"].idxmax(), "k"]),
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
