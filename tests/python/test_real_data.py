"""Build the project on the real UCI files and check the customer mart customer by customer.

The expected values are computed here with pandas straight from the raw file, following the
documented rules but sharing no code with the dbt models.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.python.conftest import SHARED_DATA_DIR, DbtCase, DbtCaseResult, run_dbt_cases, shared_file

pytestmark = [pytest.mark.integration, pytest.mark.real_data]

II_COLUMNS = {"Invoice": "invoice", "Price": "price", "Customer ID": "customer"}
I_COLUMNS = {"InvoiceNo": "invoice", "UnitPrice": "price", "CustomerID": "customer"}
COMMON_COLUMNS = {
    "StockCode": "stock_code",
    "Description": "description",
    "Quantity": "quantity",
    "InvoiceDate": "invoice_date",
    "Country": "country",
}
NON_PRODUCT_CODES = {
    "POST", "DOT", "C2", "C3", "M", "ADJUST", "ADJUST2", "D", "S", "B", "BANK CHARGES",
    "AMAZONFEE", "CRUK", "PADS", "TEST001", "TEST002", "GIFT",
}  # fmt: skip
RECENT_WINDOW_DAYS = 180


def read_raw(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        raw = pd.read_parquet(path)
    else:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    raw = raw.rename(columns={**II_COLUMNS, **I_COLUMNS, **COMMON_COLUMNS})
    raw["quantity"] = pd.to_numeric(raw["quantity"]).astype("int64")
    raw["price"] = pd.to_numeric(raw["price"]).astype(float)
    raw["invoice_date"] = pd.to_datetime(raw["invoice_date"])
    customer = pd.to_numeric(raw["customer"])
    raw["customer"] = customer.map(lambda c: None if pd.isna(c) else str(int(c)))
    return raw


def expected_customers(raw: pd.DataFrame) -> pd.DataFrame:
    lines = raw[~raw.duplicated(keep="first")].copy()
    lines["day"] = lines["invoice_date"].dt.normalize()
    snapshot = lines["day"].max() + pd.Timedelta(days=1)
    code = lines["stock_code"].str.upper()
    product = ~(code.isin(NON_PRODUCT_CODES) | code.str.startswith("GIFT_0001_"))
    invoice = lines["invoice"].str.upper()
    valid = product & (lines["price"] > 0) & ~invoice.str.startswith("A")
    identified = lines["customer"].notna()
    purchases = lines[valid & identified & ~invoice.str.startswith("C") & (lines["quantity"] > 0)]
    cancellations = lines[valid & identified & invoice.str.startswith("C") & (lines["quantity"] < 0)]
    purchases = purchases.assign(value=purchases["quantity"] * purchases["price"])

    invoices = purchases.groupby("invoice").agg(
        customer=("customer", "first"),
        day=("day", "min"),
        country=("country", "first"),
        value=("value", "sum"),
    )
    per_customer = invoices.groupby("customer").agg(
        frequency=("day", "size"),
        monetary=("value", "sum"),
        first_purchase=("day", "min"),
        last_purchase=("day", "max"),
    )
    per_customer["recency_days"] = (snapshot - per_customer["last_purchase"]).dt.days
    per_customer["tenure_days"] = (per_customer["last_purchase"] - per_customer["first_purchase"]).dt.days
    per_customer["distinct_products"] = purchases.groupby("customer")["stock_code"].nunique()
    per_customer["total_units"] = purchases.groupby("customer")["quantity"].sum()
    window_start = snapshot - pd.Timedelta(days=RECENT_WINDOW_DAYS)
    recent = invoices[invoices["day"] >= window_start].groupby("customer").size()
    per_customer["recent_window_frequency"] = recent.reindex(per_customer.index).fillna(0)
    cancelled_value = (
        (-cancellations["quantity"] * cancellations["price"]).groupby(cancellations["customer"]).sum()
    )
    per_customer["cancellation_value"] = cancelled_value.reindex(per_customer.index).fillna(0.0)
    per_customer["cancellation_count"] = (
        cancellations.groupby("customer")["invoice"].nunique().reindex(per_customer.index).fillna(0)
    )
    by_country = (
        invoices.groupby(["customer", "country"])
        .agg(invoices=("value", "size"), value=("value", "sum"))
        .reset_index()
        .sort_values(["customer", "invoices", "value", "country"], ascending=[True, False, False, True])
    )
    per_customer["main_country"] = by_country.groupby("customer")["country"].first()
    return per_customer


REAL_FILES = [
    "online_retail_II.parquet",
    "online_retail_II.csv.gz",
    "online_retail.parquet",
    "online_retail.csv.gz",
]


def built_tables(warehouse: Path) -> dict[str, object]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            "outcome_lines": con.execute(
                "select sum(line_count)::bigint from transaction_line_outcomes"
            ).fetchone()[0],
            "customers": con.execute("select * from customers").df(),
        }


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DbtCaseResult]:
    """The whole build (every dbt test included) of each real file present, two at a time."""
    present = [name for name in REAL_FILES if (SHARED_DATA_DIR / name).exists()]
    cases = [DbtCase(name, ["build"], SHARED_DATA_DIR / name, inspect=built_tables) for name in present]
    return run_dbt_cases(cases, tmp_path_factory.mktemp("real_data"))


@pytest.mark.parametrize("file_name", REAL_FILES)
def test_customer_mart_matches_independent_computation(
    builds: dict[str, DbtCaseResult], file_name: str
) -> None:
    raw_path = shared_file(file_name)
    build = builds[file_name]
    assert build.returncode == 0, f"dbt build failed:\n{build.output[-6000:]}"
    raw = read_raw(raw_path)

    outcome_lines = build.inspected["outcome_lines"]
    assert outcome_lines == len(raw), "every raw line must be accounted for"

    mart = build.inspected["customers"].set_index("customer_id").sort_index()
    expected = expected_customers(raw).sort_index()
    assert list(mart.index) == list(expected.index), "customer sets differ"

    for column in [
        "frequency", "recency_days", "tenure_days", "distinct_products", "total_units",
        "recent_window_frequency", "cancellation_count",
    ]:  # fmt: skip
        mismatched = mart.index[mart[column].astype("int64") != expected[column].astype("int64")]
        assert mismatched.empty, (
            f"{column} differs for {len(mismatched)} customers, e.g. {list(mismatched[:5])}"
        )
    for column in ["monetary", "cancellation_value"]:
        np.testing.assert_allclose(
            mart[column].astype(float), expected[column], rtol=0, atol=0.005, err_msg=column
        )
    np.testing.assert_allclose(
        mart["net_value"].astype(float), expected["monetary"] - expected["cancellation_value"], atol=0.005
    )
    mismatched = mart.index[mart["main_country"] != expected["main_country"]]
    assert mismatched.empty, f"main_country differs for {list(mismatched[:5])}"
