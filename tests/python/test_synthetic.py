"""Tests of the synthetic Online-Retail-II-shaped generator (segmentation.synthetic).

They check properties the pipeline and the segmentation rely on, not just that it runs: exact
layout, determinism, the rate of every planted flaw, the latent customer behaviour, and that
every writer round-trips through DuckDB with the same rows.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from segmentation.synthetic import (
    ADJUSTMENT_NOTES,
    BLOCK_CUSTOMERS,
    COLUMNS,
    CUSTOMER_TYPES,
    SyntheticConfig,
    config_for_rows,
    generate_customers,
    generate_transactions,
    iter_transaction_chunks,
    main,
    write_transactions,
    write_transactions_chunked,
)

PRODUCT_CODE = re.compile(r"^\d{5}[A-Z]?$")
NON_PRODUCT_CODES = {
    "POST",
    "DOT",
    "M",
    "C2",
    "D",
    "S",
    "BANK CHARGES",
    "ADJUST",
    "AMAZONFEE",
    "PADS",
    "CRUK",
    "TEST001",
    "B",
}
SMALL = SyntheticConfig(n_customers=1300, seed=11)  # two blocks, the second one partial


@pytest.fixture(scope="module")
def config() -> SyntheticConfig:
    return SyntheticConfig()


@pytest.fixture(scope="module")
def df(config: SyntheticConfig) -> pd.DataFrame:
    return generate_transactions(config)


@pytest.fixture(scope="module")
def customers(config: SyntheticConfig) -> pd.DataFrame:
    return generate_customers(config)


@pytest.fixture(scope="module")
def small_df() -> pd.DataFrame:
    return generate_transactions(SMALL)


def is_cancel(frame: pd.DataFrame) -> pd.Series:
    return frame["Invoice"].str.startswith("C")


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Row order-independent form, for multiset comparisons."""
    out = frame[list(COLUMNS)].copy()
    out["InvoiceDate"] = out["InvoiceDate"].astype("datetime64[ns]")
    return out.sort_values(list(COLUMNS), na_position="first").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Layout, size, determinism
# ---------------------------------------------------------------------------------------------


def test_columns_and_dtypes(df: pd.DataFrame) -> None:
    assert tuple(df.columns) == COLUMNS
    assert df["Quantity"].dtype == np.int64
    assert df["Price"].dtype == np.float64
    assert df["Customer ID"].dtype == np.float64
    assert df["InvoiceDate"].dtype == "datetime64[ns]"
    for col in ("Invoice", "StockCode", "Description", "Country"):
        assert df[col].dtype == object
        assert df[col].dropna().map(type).eq(str).all()
    assert df[["Invoice", "StockCode", "Quantity", "InvoiceDate", "Price", "Country"]].notna().all().all()


def test_default_size(df: pd.DataFrame, config: SyntheticConfig) -> None:
    assert 150_000 <= len(df) <= 250_000
    assert df["Customer ID"].nunique() == config.n_customers
    assert 10_000 <= df["Invoice"].nunique() <= 30_000


def test_same_seed_is_identical_and_other_seed_differs(small_df: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(small_df, generate_transactions(SMALL))
    other = generate_transactions(SyntheticConfig(n_customers=SMALL.n_customers, seed=12))
    assert len(other) != len(small_df) or not other.equals(small_df)


def test_value_formats(df: pd.DataFrame) -> None:
    assert df["Invoice"].str.fullmatch(r"[CA]?\d{6}").all()
    assert df["InvoiceDate"].dt.second.eq(0).all()
    ids = df["Customer ID"].dropna()
    assert (ids == ids.round()).all() and ids.min() >= 12346
    codes = df["StockCode"]
    known = (
        codes.str.fullmatch(PRODUCT_CODE)
        | codes.isin(NON_PRODUCT_CODES)
        | (codes.str.fullmatch(r"gift_0001_\d0"))
    )
    assert known.all()
    assert codes[codes.str.fullmatch(PRODUCT_CODE)].str.endswith(tuple("ABCDEFGLMNPRSW")).any()
    # Two decimals, except bank charges and cushion pads which may have three.
    two = ~codes.isin(["BANK CHARGES", "PADS"])
    assert np.allclose(df.loc[two, "Price"], df.loc[two, "Price"].round(2), rtol=0, atol=1e-9)
    assert np.allclose(df["Price"], df["Price"].round(3), rtol=0, atol=1e-9)
    desc = df["Description"].dropna()
    products = desc[codes.loc[desc.index].str.fullmatch(PRODUCT_CODE)]
    notes = products.isin(ADJUSTMENT_NOTES)  # free-text stock adjustment notes, lower case
    assert notes.any()
    assert products[~notes].str.strip().str.isupper().all()


def test_invoices_are_consistent_and_numbered_in_date_order(df: pd.DataFrame) -> None:
    per_invoice = df.groupby("Invoice")
    assert per_invoice["InvoiceDate"].nunique().eq(1).all()
    assert per_invoice["Country"].nunique().eq(1).all()
    assert per_invoice["Customer ID"].nunique(dropna=False).eq(1).all()
    assert df["InvoiceDate"].is_monotonic_increasing
    number = df["Invoice"].str.lstrip("CA").astype(int)
    assert number.is_monotonic_increasing
    assert number.iloc[0] == 489434
    # Lines of an invoice are contiguous.
    assert (number.diff().fillna(1) != 0).sum() == df["Invoice"].nunique()


def test_calendar(df: pd.DataFrame, config: SyntheticConfig) -> None:
    dates = df["InvoiceDate"]
    assert dates.min() >= pd.Timestamp(config.start)
    assert dates.max() < pd.Timestamp(config.end) + pd.Timedelta(days=1)
    assert not dates.dt.dayofweek.eq(5).any(), "the shop never trades on Saturdays"
    assert dates.dt.dayofweek.eq(6).any(), "some Sundays"
    assert dates.dt.hour.between(7, 21).all()
    assert dates.dt.hour.between(10, 15).mean() > 0.6
    assert not ((dates.dt.month == 12) & (dates.dt.day >= 24)).any(), "closed over Christmas"


# ---------------------------------------------------------------------------------------------
# Planted flaws
# ---------------------------------------------------------------------------------------------


def test_cancellations(df: pd.DataFrame) -> None:
    cancel = is_cancel(df)
    assert 0.01 <= cancel.mean() <= 0.03
    assert (df.loc[cancel, "Quantity"] < 0).all()
    assert df.loc[cancel, "Invoice"].nunique() > 500


def test_cancellations_reverse_earlier_purchases_of_the_same_customer(df: pd.DataFrame) -> None:
    keys = ["Customer ID", "StockCode", "Price"]
    cancels = df[is_cancel(df) & df["Customer ID"].notna()].reset_index(drop=True)
    buys = df[~df["Invoice"].str.startswith(("C", "A")) & (df["Quantity"] > 0)]
    pairs = cancels.reset_index().merge(
        buys[[*keys, "Quantity", "InvoiceDate"]], on=keys, suffixes=("", "_buy")
    )
    ok = (pairs["InvoiceDate_buy"] < pairs["InvoiceDate"]) & (pairs["Quantity_buy"] >= -pairs["Quantity"])
    matched = pairs.loc[ok, "index"].nunique() / len(cancels)
    assert matched > 0.85
    # The rest are discount / commission lines, not product reversals.
    unmatched = cancels.drop(index=pairs.loc[ok, "index"].unique())
    assert unmatched["StockCode"].isin(NON_PRODUCT_CODES).mean() > 0.9


def test_guests_are_whole_invoices(df: pd.DataFrame) -> None:
    guest = df["Customer ID"].isna()
    assert 0.15 <= guest.mean() <= 0.25
    mixed = guest.groupby(df["Invoice"]).nunique()
    assert mixed.eq(1).all(), "an invoice is either all guest or all identified"
    lines = df[guest & ~is_cancel(df)].groupby("Invoice").size()
    assert lines.median() <= 3 and lines.quantile(0.9) >= 30, "mostly tiny, some huge"


def test_zero_and_negative_prices(df: pd.DataFrame) -> None:
    assert 0.002 <= (df["Price"] == 0).mean() <= 0.01
    negative = df[df["Price"] < 0]
    assert 1 <= len(negative) <= 20
    assert negative["Invoice"].str.fullmatch(r"A\d{6}").all()
    assert negative["StockCode"].eq("B").all()
    assert negative["Description"].eq("Adjust bad debt").all()
    assert negative["Customer ID"].isna().all()
    assert set(df.loc[df["Invoice"].str.startswith("A"), "StockCode"]) == {"B"}


def test_non_positive_quantity_on_normal_invoices(df: pd.DataFrame) -> None:
    odd = df[~is_cancel(df) & (df["Quantity"] <= 0)]
    assert 0.001 <= len(odd) / len(df) <= 0.006
    assert odd["Price"].eq(0).all() and odd["Customer ID"].isna().all()


def test_non_product_codes(df: pd.DataFrame) -> None:
    codes = df["StockCode"]
    special = ~codes.str.fullmatch(PRODUCT_CODE)
    assert 0.005 <= special.mean() <= 0.02
    counts = codes[special].value_counts()
    assert set(counts.index[:2]) == {"POST", "DOT"}
    assert set(counts.index) >= NON_PRODUCT_CODES
    assert counts.index.str.fullmatch(r"gift_0001_\d0").any()
    assert (df.loc[codes == "D", "Quantity"] < 0).all()
    assert is_cancel(df[codes == "D"]).all()


def test_exact_duplicates_are_adjacent(df: pd.DataFrame) -> None:
    dup = df.duplicated(keep="first")
    assert 0.004 <= dup.mean() <= 0.015
    same_as_previous = (df == df.shift(1)) | (df.isna() & df.shift(1).isna())
    adjacent = same_as_previous.all(axis=1)
    assert adjacent[dup].mean() > 0.98


def test_missing_descriptions_mostly_on_free_lines(df: pd.DataFrame) -> None:
    missing = df["Description"].isna()
    assert 0.002 <= missing.mean() <= 0.006
    assert (df.loc[missing, "Price"] == 0).mean() > 0.8


def test_countries(df: pd.DataFrame) -> None:
    country = df["Country"]
    assert 0.85 <= (country == "United Kingdom").mean() <= 0.95
    assert country.nunique() >= 10
    top = country.value_counts().index[:6]
    assert top[0] == "United Kingdom"
    assert {"EIRE", "Germany", "France"} & set(top[1:])
    per_customer = df.dropna(subset=["Customer ID"]).groupby("Customer ID")["Country"].nunique()
    assert 1 <= (per_customer > 1).sum() <= 0.02 * len(per_customer)


def test_year_end_peak(df: pd.DataFrame) -> None:
    dates = df["InvoiceDate"]
    monthly = df.groupby([dates.dt.year, dates.dt.month]).size()
    by_month = monthly.groupby(level=1).mean()
    assert min(by_month[10], by_month[11]) > 1.3 * by_month[[1, 2, 3, 4, 5, 6, 7, 8]].max()


def test_heavy_tailed_spend(df: pd.DataFrame) -> None:
    value = (df["Quantity"] * df["Price"]).groupby(df["Customer ID"]).sum()
    top = value.sort_values(ascending=False)
    assert top.iloc[: len(top) // 100].sum() / top.sum() > 0.15
    assert df["Quantity"].max() >= 1000


# ---------------------------------------------------------------------------------------------
# Latent customer types
# ---------------------------------------------------------------------------------------------


def test_generate_customers_matches_the_file(
    df: pd.DataFrame, customers: pd.DataFrame, config: SyntheticConfig
) -> None:
    assert len(customers) == config.n_customers
    assert customers["customer_id"].is_unique
    assert set(customers["customer_id"].astype(float)) == set(df["Customer ID"].dropna())
    assert set(customers["customer_type"]) == set(CUSTOMER_TYPES)
    assert "customer_type" not in df.columns
    buys = df[df["Customer ID"].notna() & ~df["Invoice"].str.startswith(("C", "A"))]
    n_invoices = buys.groupby("Customer ID")["Invoice"].nunique()
    expected = customers.set_index(customers["customer_id"].astype(float))["n_purchases"]
    pd.testing.assert_series_equal(n_invoices.sort_index(), expected.sort_index(), check_names=False)


def test_customer_types_have_distinct_rhythms(
    df: pd.DataFrame, customers: pd.DataFrame, config: SyntheticConfig
) -> None:
    end = pd.Timestamp(config.end) + pd.Timedelta(days=1)
    kind = customers.set_index("customer_type")
    new = kind.loc["new"]
    assert (new["first_purchase"] >= end - pd.Timedelta(days=config.new_customer_days)).all()
    assert (kind.loc["one_off", "n_purchases"] == 1).all()
    assert (kind.loc["churned", "last_purchase"] < end - pd.Timedelta(days=180)).all()
    median = customers.groupby("customer_type")["n_purchases"].median()
    assert median["wholesaler"] > median["loyal"] > median["occasional"] >= median["one_off"]

    types = customers.set_index(customers["customer_id"].astype(float))["customer_type"]
    buys = df[df["Customer ID"].notna() & ~is_cancel(df)]
    buy_type = buys["Customer ID"].map(types)
    seasonal_months = buys.loc[buy_type == "seasonal", "InvoiceDate"].dt.month
    assert seasonal_months.isin([10, 11, 12]).all()
    qty = buys["Quantity"].groupby(buy_type).median()
    assert qty["wholesaler"] >= 3 * qty.drop("wholesaler").max()


# ---------------------------------------------------------------------------------------------
# Sizing, chunking, writing, CLI
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [3_000, 50_000, 1_000_000])
def test_config_for_rows_hits_the_target(target: int) -> None:
    config = config_for_rows(target, seed=3)
    assert config.seed == 3
    assert abs(len(generate_transactions(config)) / target - 1) < 0.10


def test_config_for_rows_generates_that_many_rows() -> None:
    config = config_for_rows(30_000)
    assert abs(len(generate_transactions(config)) / 30_000 - 1) < 0.10


@pytest.mark.parametrize("chunk_customers", [1, BLOCK_CUSTOMERS, 2 * BLOCK_CUSTOMERS])
def test_chunks_equal_the_whole(small_df: pd.DataFrame, chunk_customers: int) -> None:
    chunks = list(iter_transaction_chunks(SMALL, chunk_customers=chunk_customers))
    blocks = -(-SMALL.n_customers // BLOCK_CUSTOMERS)
    blocks_per_chunk = -(-chunk_customers // BLOCK_CUSTOMERS)
    assert len(chunks) == -(-blocks // blocks_per_chunk)
    for chunk in chunks:
        assert tuple(chunk.columns) == COLUMNS
        assert chunk["InvoiceDate"].is_monotonic_increasing
    whole = pd.concat(chunks, ignore_index=True)
    pd.testing.assert_frame_equal(canonical(whole), canonical(small_df))


def test_chunked_writer_equals_generate(
    tmp_path: Path, small_df: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    pq_path = tmp_path / "deep" / "chunked.parquet"
    summary = write_transactions_chunked(SMALL, pq_path, chunk_customers=BLOCK_CUSTOMERS)
    assert "rows" in capsys.readouterr().err
    assert summary.rows == len(small_df) and summary.path == pq_path
    assert summary.customers == SMALL.n_customers
    assert summary.invoices == small_df["Invoice"].nunique()
    back = duckdb.sql(f"select * from read_parquet('{pq_path}')").df()
    pd.testing.assert_frame_equal(canonical(back), canonical(small_df))

    csv_path = tmp_path / "chunked.csv.gz"
    write_transactions_chunked(SMALL, csv_path, progress=False, chunk_customers=BLOCK_CUSTOMERS)
    assert capsys.readouterr().err == ""
    back = duckdb.sql(f"select * from read_csv('{csv_path}')").df()
    pd.testing.assert_frame_equal(canonical(back), canonical(small_df))


@pytest.mark.parametrize("name", ["out.csv.gz", "out.csv"])
def test_csv_round_trip(tmp_path: Path, small_df: pd.DataFrame, name: str) -> None:
    path = write_transactions(small_df, tmp_path / "sub" / name)
    text = duckdb.sql(f"select * from read_csv('{path}', all_varchar=true)").df()
    assert tuple(text.columns) == COLUMNS
    assert len(text) == len(small_df)
    assert text["InvoiceDate"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:00").all()
    ids = text["Customer ID"].dropna()
    assert ids.str.fullmatch(r"\d{5}\.0").all()
    assert len(ids) == small_df["Customer ID"].notna().sum()
    assert text["Description"].isna().sum() == small_df["Description"].isna().sum()
    assert text["Invoice"].tolist() == small_df["Invoice"].tolist()
    typed = duckdb.sql(f"select * from read_csv('{path}')").df()
    pd.testing.assert_frame_equal(canonical(typed), canonical(small_df))


def test_parquet_round_trip(tmp_path: Path, small_df: pd.DataFrame) -> None:
    path = write_transactions(small_df, tmp_path / "out.parquet")
    described = duckdb.sql(f"describe select * from read_parquet('{path}')").fetchall()
    types = {row[0]: row[1] for row in described}
    assert types == {
        "Invoice": "VARCHAR",
        "StockCode": "VARCHAR",
        "Description": "VARCHAR",
        "Quantity": "BIGINT",
        "InvoiceDate": "TIMESTAMP",
        "Price": "DOUBLE",
        "Customer ID": "DOUBLE",
        "Country": "VARCHAR",
    }
    codec = duckdb.sql(f"select distinct compression from parquet_metadata('{path}')").fetchall()
    assert codec == [("ZSTD",)]
    back = duckdb.sql(f"select * from read_parquet('{path}')").df()
    assert len(back) == len(small_df)
    pd.testing.assert_frame_equal(back, small_df, check_dtype=False)


@pytest.mark.parametrize("name", ["a.csv.gz", "a.parquet"])
def test_files_are_byte_identical_for_the_same_config(tmp_path: Path, name: str) -> None:
    config = SyntheticConfig(n_customers=200, seed=9)
    first = write_transactions(generate_transactions(config), tmp_path / "one" / name)
    second = write_transactions_chunked(config, tmp_path / "two" / name, progress=False).path
    third = write_transactions_chunked(config, tmp_path / "three" / name, progress=False).path
    assert first.read_bytes() == second.read_bytes() == third.read_bytes()


def test_rejects_unknown_suffix(tmp_path: Path, small_df: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="suffix"):
        write_transactions(small_df, tmp_path / "out.xlsx")


def test_rejects_bad_config() -> None:
    with pytest.raises(ValueError):
        SyntheticConfig(n_customers=0)
    with pytest.raises(ValueError):
        SyntheticConfig(type_shares=(1.0,))
    with pytest.raises(ValueError):
        SyntheticConfig(start="2011-01-02", end="2011-01-01")


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.parquet"
    assert main(["--out", str(out), "--customers", "300", "--seed", "5"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.count("\n") == 0 and "rows" in line and "300 customers" in line
    rows = duckdb.sql(f"select count(*) from read_parquet('{out}')").fetchone()[0]
    assert f"{rows:,} rows" in line
    assert rows == len(generate_transactions(SyntheticConfig(n_customers=300, seed=5)))

    out = tmp_path / "cli.csv.gz"
    assert main(["--out", str(out), "--rows", "20000", "--stream", "--quiet"]) == 0
    rows = duckdb.sql(f"select count(*) from read_csv('{out}', all_varchar=true)").fetchone()[0]
    assert abs(rows / 20_000 - 1) < 0.10
