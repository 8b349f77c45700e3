"""Any transaction log: the three grains end to end, a warehouse table, and each date form.

Every grain is derived from one synthetic invoice-line log (tests/python/layouts.py), so the
customers and the money each must give are known exactly; a few lines are added by hand for the
rules a grain has of its own (an order id per customer and timestamp, refunds, zero amounts).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from segmentation import dbt_runner, pipeline
from tests.python import layouts
from tests.python.conftest import PROJECT_DIR, DbtCase, run_dbt_cases

pytestmark = pytest.mark.integration

MINIMAL_VARS = "{raw_columns: {customer_id: cust, invoiced_at: date, line_total: dollars}}"
# The one rule of a log without order ids: one order per customer per timestamp.
SAME_DAY_CUSTOMER = "99001"
ZERO_ONLY_CUSTOMER = "99002"
REFUND_CUSTOMER = "99003"


@pytest.fixture(scope="module")
def purchases() -> pd.DataFrame:
    return layouts.clean_purchases(layouts.small_invoice_lines())


def customer_money(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, Decimal, Decimal]]:
    rows = con.execute("select customer_id, frequency, monetary, net_value from customers").fetchall()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def test_minimal_customer_date_amount_log_through_the_main_job(
    tmp_path: Path, purchases: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    days = layouts.customer_days(purchases)
    extra = pd.DataFrame(
        {
            # two purchases of one customer on one day are one order; a zero amount buys nothing
            "cust": [SAME_DAY_CUSTOMER, SAME_DAY_CUSTOMER, SAME_DAY_CUSTOMER, ZERO_ONLY_CUSTOMER],
            "date": ["20110301", "20110301", "20110402", "20110301"],
            "dollars": ["10.005", "2.5", "7", "0"],
        }
    )
    log = pd.concat([days, extra], ignore_index=True)
    raw = tmp_path / "purchases.csv"
    log.to_csv(raw, index=False)
    warehouse = tmp_path / "warehouse.duckdb"

    args = ["--input", str(raw), "--warehouse", str(warehouse), "--report-dir", str(tmp_path / "report")]
    assert pipeline.main([*args, "--vars", MINIMAL_VARS]) == 0
    out = capsys.readouterr().out
    assert (
        "as customer/date/amount (invoiced_at=date, line_total=dollars, customer_id=cust); "
        "dates read as yyyymmdd" in out
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        money = customer_money(con)
        features = con.execute(
            "select count(distinct_products), count(total_units), min(main_country), max(main_country)"
            " from customers"
        ).fetchone()
        left_out = con.execute(
            "select customer_outcome, main_exclusion_reason, customer_count from customer_outcomes"
            " where customer_outcome <> 'in_customers'"
        ).fetchall()
        segmented = con.execute("select count(*) from customers_segmented").fetchone()[0]

    expected = days.assign(dollars=days["dollars"].map(Decimal)).groupby("cust")["dollars"].sum().to_dict()
    assert {c: m for c, (_, m, _) in money.items() if c != SAME_DAY_CUSTOMER} == expected
    # amounts exactly as given, the third decimal included
    assert money[SAME_DAY_CUSTOMER] == (2, Decimal("19.505"), Decimal("19.505"))
    assert features == (0, 0, "Unknown", "Unknown")
    # the customer whose only purchase is worth nothing is counted, with why
    assert left_out == [("only_excluded_lines", "non_positive_line_total", 1)]
    assert segmented == len(money)
    assert f"Customers: {len(money):,}" in out


def write_orders(purchases: pd.DataFrame, path: Path) -> pd.DataFrame:
    orders = layouts.orders(purchases)
    extra = pd.DataFrame(
        {
            "order_id": ["r-1", "r-2", "r-3"],
            "customer_id": [REFUND_CUSTOMER, REFUND_CUSTOMER, REFUND_CUSTOMER],
            "ordered_at": ["2011-03-01 10:00:00", "2011-03-05 11:00:00", "2011-03-06 11:00:00"],
            # a purchase, its partial refund (a negative total), and an order worth nothing
            "order_total": ["120.40", "-20.40", "0.00"],
        }
    )
    log = pd.concat([orders, extra], ignore_index=True)
    log.to_csv(path, index=False)
    return orders


def inspect_orders(warehouse: Path) -> dict[str, object]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            "money": customer_money(con),
            "reasons": dict(
                con.execute(
                    "select coalesce(exclusion_reason, line_status), count(*)"
                    " from int_transaction_lines_classified group by 1"
                ).fetchall()
            ),
            "coverage": con.execute("select raw_layout, raw_date_format from data_coverage").fetchone(),
            "units": con.execute("select count(total_units) from customers").fetchone()[0],
        }


def test_orders_grain_and_a_warehouse_table(tmp_path: Path, purchases: pd.DataFrame) -> None:
    raw = tmp_path / "orders.csv"
    orders = write_orders(purchases, raw)
    expected = (
        orders.assign(total=orders["order_total"].map(Decimal))
        .groupby("customer_id")
        .agg(frequency=("order_id", "count"), monetary=("total", "sum"))
    )

    # A warehouse table of the analytics engineer's own: typed columns, their names, no row number.
    table_warehouse = tmp_path / "table" / "warehouse.duckdb"
    table_warehouse.parent.mkdir()
    with duckdb.connect(str(table_warehouse)) as con:
        con.register("sales", purchases.assign(total=purchases["total"].map(str)))
        con.execute("create schema shop")
        con.execute(
            'create table shop.sales as select customer as buyer, "at" as sold_at, 1 as units,'
            " cast(total as decimal(18, 4)) as amount from sales"
        )
    table_vars = (
        "{raw_landed_path: '', raw_source_schema: shop, raw_source_table: sales, raw_columns: "
        "{customer_id: buyer, invoiced_at: sold_at, quantity: units, line_total: amount}}"
    )
    invocation = dbt_runner.dbt_invocation(
        ["build"], None, table_warehouse, table_vars, PROJECT_DIR, table_warehouse.parent
    )
    results = run_dbt_cases(
        [DbtCase("orders", ["build"], raw, inspect=inspect_orders)], tmp_path / "cases", lanes=1
    )
    table_run = dbt_runner.run(invocation)

    run = results["orders"]
    assert run.returncode == 0, run.output[-4000:]
    found = run.inspected
    money = found["money"]
    refund_customer = money.pop(REFUND_CUSTOMER)
    assert money == {c: (r.frequency, r.monetary, r.monetary) for c, r in expected.iterrows()}
    # the negative order is a refund: out of the purchase value, out of net value
    assert refund_customer == (1, Decimal("120.40"), Decimal("100.00"))
    assert found["reasons"]["cancellation"] == 1
    assert found["reasons"]["non_positive_line_total"] == 1
    assert found["coverage"] == ("orders", "ISO")
    assert found["units"] == 0

    assert table_run.returncode == 0, table_run.output[-4000:]
    with duckdb.connect(str(table_warehouse), read_only=True) as con:
        table_money = con.execute(
            "select sum(monetary), count(*), min(total_units) from customers"
        ).fetchone()
        coverage = con.execute(
            "select raw_layout, raw_columns, raw_date_format from data_coverage"
        ).fetchone()
        lines = con.execute(
            "select count(*), count(distinct source_row_number) from int_transaction_lines_classified"
        ).fetchone()
    assert table_money == (sum(purchases["total"], Decimal(0)), purchases["customer"].nunique(), 1)
    assert coverage == (
        "customer/date/amount",
        "quantity=units, invoiced_at=sold_at, line_total=amount, customer_id=buyer",
        "typed timestamp",
    )
    assert lines == (len(purchases), len(purchases))

    # A row added to the table: numbered by values in staging, it takes an earlier row's number,
    # so the next build cannot append and rebuilds the line tables (macro
    # rebuild_when_not_appending) instead of adding every line a second time.
    with duckdb.connect(str(table_warehouse)) as con:
        con.execute(
            "insert into shop.sales select buyer, sold_at - interval 1 day, units, 7.25"
            " from shop.sales order by sold_at limit 1"
        )
    again = dbt_runner.run(invocation)
    assert again.returncode == 0, again.output[-4000:]
    with duckdb.connect(str(table_warehouse), read_only=True) as con:
        lines_again = con.execute(
            "select count(*), count(distinct source_row_number) from int_transaction_lines_classified"
        ).fetchone()
        money_again = con.execute("select sum(monetary) from customers").fetchone()[0]
    assert lines_again == (len(purchases) + 1, len(purchases) + 1)
    assert money_again == table_money[0] + Decimal("7.25")


# --------------------------------------------------------------------------------------------
# Date forms: staging, the snapshot date and data_coverage only (seconds per file)
# --------------------------------------------------------------------------------------------

DATE_COMMAND = ["run", "--select", "+data_coverage"]
# (dates as written, the family expected, vars), on a customer/date/amount file of three lines.
DATE_CASES: dict[str, tuple[list[str], str, str | None]] = {
    "day_first_with_times": (["01/02/2011 10:00", "25/02/2011 09:30", "03/03/2011 08:00"], "day-first", None),
    "month_first_dates": (["1/2/2011", "2/25/2011", "3/3/2011"], "month-first", None),
    "day_first_dashes": (["01-02-2011", "25-02-2011", "03-03-2011"], "day-first", None),
    "iso_with_t": (["2011-01-02T10:00:00", "2011-02-25T09:30:00", "2011-03-03T08:00:00"], "ISO", None),
    "iso_dates": (["2011-01-02", "2011-02-25", "2011-03-03"], "ISO", None),
    "yyyymmdd_with_times": (["20110102 10:00", "20110225 09:30", "20110303 08:00"], "yyyymmdd", None),
    "yyyymmdd": (["20110102", "20110225", "20110303"], "yyyymmdd", None),
    "ambiguous_read_as_told": (
        ["01/02/2011 10:00", "05/02/2011 09:30", "03/03/2011 08:00"],
        "var raw_date_formats",
        "{raw_date_formats: ['%d/%m/%Y %H:%M']}",
    ),
}
# What each case's first two dates must be read as.
EXPECTED_DAYS = {
    "day_first_with_times": ["2011-02-01", "2011-02-25"],
    "month_first_dates": ["2011-01-02", "2011-02-25"],
    "day_first_dashes": ["2011-02-01", "2011-02-25"],
    "iso_with_t": ["2011-01-02", "2011-02-25"],
    "iso_dates": ["2011-01-02", "2011-02-25"],
    "yyyymmdd_with_times": ["2011-01-02", "2011-02-25"],
    "yyyymmdd": ["2011-01-02", "2011-02-25"],
    "ambiguous_read_as_told": ["2011-02-01", "2011-02-05"],
}


def date_file(path: Path, dates: list[str]) -> Path:
    pd.DataFrame({"customer_id": ["1", "2", "3"], "date": dates, "amount": ["1.50", "2", "3"]}).to_csv(
        path, index=False
    )
    return path


def inspect_dates(warehouse: Path) -> tuple[str, list[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        family = con.execute("select raw_date_format from data_coverage").fetchone()[0]
        days = con.execute(
            "select cast(invoiced_at as date)::varchar from stg_retail__transactions"
            " order by source_row_number"
        ).fetchall()
    return family, [day for (day,) in days[:2]]


def test_each_date_form_is_detected_and_read(tmp_path: Path) -> None:
    cases = [
        DbtCase(
            name, DATE_COMMAND, date_file(tmp_path / f"{name}.csv", dates), dbt_vars, inspect=inspect_dates
        )
        for name, (dates, _, dbt_vars) in DATE_CASES.items()
    ]
    results = run_dbt_cases(cases, tmp_path / "cases")
    for name, (_, family, _) in DATE_CASES.items():
        assert results[name].returncode == 0, results[name].output[-3000:]
        assert results[name].inspected == (family, EXPECTED_DAYS[name]), name


def test_ambiguous_dates_stop_the_main_job_with_the_choices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = date_file(tmp_path / "ambiguous.csv", ["01/02/2011 10:00", "05/02/2011 09:30", "03/03/2011 08:00"])
    args = ["--input", str(raw), "--warehouse", str(tmp_path / "w.duckdb"), "--report-dir", str(tmp_path)]
    assert pipeline.main(args) == pipeline.EXIT_INPUT_ERROR
    err = capsys.readouterr().err
    assert "are ambiguous: all 3 distinct values read both day-first and month-first" in err
    assert "raw_date_formats" in err and "%d/%m/%Y %H:%M" in err and "%m/%d/%Y %H:%M" in err
