"""Product categories on small hand-made descriptions (segmentation.categories)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from segmentation.categories import (
    CATEGORIES,
    OTHER,
    CategoryConfig,
    categorise_products,
    category_shares,
    category_spend_sums,
    share_column,
    shares_of_category_spend,
    with_category_shares,
)


def lines(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["stock_code", "description"])


def test_keywords_in_order_then_nearest_neighbour_then_other() -> None:
    products = categorise_products(
        lines(
            [
                ("1", "JUMBO BAG RED RETROSPOT"),
                ("2", "CHRISTMAS TREE T-LIGHT HOLDER"),  # christmas comes before home_decor
                ("3", "REGENCY CAKESTAND 3 TIER"),
                ("4", "RED RETROSPOT PEG"),  # no keyword; shares RED RETROSPOT with the bag
                ("5", "ZZZ UNRELATED THING"),
            ]
        ),
        CategoryConfig(min_similarity=0.3),
    ).set_index("stock_code")
    assert products["category"].to_dict() == {
        "1": "bags",
        "2": "christmas",
        "3": "kitchen",
        "4": "bags",
        "5": OTHER,
    }
    assert products["assigned_by"].to_dict() == {
        "1": "keyword",
        "2": "keyword",
        "3": "keyword",
        "4": "similarity",
        "5": "none",
    }
    assert products.loc["4", "similarity"] >= 0.3 > products.loc["5", "similarity"]


def test_words_not_substrings_and_most_frequent_description() -> None:
    products = categorise_products(
        lines(
            [
                ("A", "BAGUETTE DISH"),  # BAG inside a word is no keyword: stays unmatched
                ("B", "PARTY BUNTING"),
                ("B", "PARTY BUNTING"),
                ("B", "bunting, misc"),  # the rarer description of B is not used
            ]
        )
    ).set_index("stock_code")
    assert products.loc["A", "category"] == OTHER
    assert products.loc["B", "description"] == "PARTY BUNTING"
    assert products.loc["B", "category"] == "home_decor"  # BUNTING before PARTY's toys_party


def test_counted_descriptions_categorise_as_their_lines_do() -> None:
    """The model passes line counts per stock code and description, not the lines: a rarer
    description with more lines in one row must still lose to the more frequent one."""
    rows = [("A", "BAGUETTE DISH"), ("B", "PARTY BUNTING"), ("B", "PARTY BUNTING"), ("B", "bunting, misc")]
    counted = pd.DataFrame(
        [("A", "BAGUETTE DISH", 1), ("B", "bunting, misc", 1), ("B", "PARTY BUNTING", 2)],
        columns=["stock_code", "description", "line_count"],
    )
    pd.testing.assert_frame_equal(categorise_products(counted), categorise_products(lines(rows)))
    assert categorise_products(counted).set_index("stock_code").loc["B", "description"] == "PARTY BUNTING"


def test_every_description_unmatched_is_other() -> None:
    products = categorise_products(lines([("1", "ZZZ"), ("2", None)]))
    assert products["category"].eq(OTHER).all() and products["assigned_by"].eq("none").all()


def test_spend_shares_sum_to_one_and_join_the_customers() -> None:
    products = pd.DataFrame({"stock_code": ["1", "2"], "category": ["bags", "kitchen"]})
    bought = pd.DataFrame(
        {
            "customer_id": ["c1", "c1", "c2", "c3"],
            "stock_code": ["1", "2", "9", "1"],  # 9 has no category row: other
            "line_value": [30.0, 10.0, 5.0, 0.0],
        }
    )
    shares = category_shares(bought, products).set_index("customer_id")
    assert list(shares.columns) == [share_column(c) for c in CATEGORIES]
    assert shares.loc["c1", "spend_share_bags"] == pytest.approx(0.75)
    assert shares.loc["c2", "spend_share_other"] == 1.0
    assert shares.loc["c3"].eq(0).all()  # bought for 0: no shares
    np.testing.assert_allclose(shares.loc[["c1", "c2"]].sum(axis=1), 1.0)
    customers = pd.DataFrame({"customer_id": ["c1", "c4"], "recency_days": [3, 4]})
    joined = with_category_shares(customers, shares.reset_index())
    assert joined.loc[1, "spend_share_bags"] == 0.0 and joined.loc[0, "spend_share_bags"] == 0.75
    assert list(joined["customer_id"]) == ["c1", "c4"]


def test_shares_from_category_totals_equal_shares_from_products() -> None:
    """The model sums value per customer, a column per category, in SQL (category_spend_sums, in any
    row order); the shares are those of the products."""
    products = pd.DataFrame({"stock_code": ["1", "2"], "category": ["bags", "kitchen"]})
    bought = pd.DataFrame(
        {
            "customer_id": ["c1", "c1", "c1", "c2"],
            "stock_code": ["1", "2", "9", "2"],
            "line_value": [3.0, 1.0, 4.0, 2.0],
        }
    )
    by_category = pd.DataFrame(
        {"customer_id": ["c2", "c1"], "bags": [0.0, 3.0], "kitchen": [2.0, 1.0], OTHER: [0.0, 4.0]}
    ).reindex(columns=["customer_id", *CATEGORIES], fill_value=0.0)
    shares = shares_of_category_spend(by_category)
    pd.testing.assert_frame_equal(shares, category_shares(bought, products))
    assert shares.set_index("customer_id").loc["c1", "spend_share_other"] == 0.5


def test_the_warehouse_sums_give_the_shares_of_the_products() -> None:
    """category_spend_sums run by DuckDB, in exact decimals, as the dbt model runs it."""
    products = pd.DataFrame({"stock_code": ["1", "2"], "category": ["bags", "kitchen"]})
    bought = pd.DataFrame(
        {
            "customer_id": ["c2", "c1", "c1", "c1", "c3"],
            "stock_code": ["2", "1", "2", "9", "1"],
            "line_value": [2.5, 3.1, 1.0, 4.0, 0.0],
        }
    )
    with duckdb.connect() as con:
        con.register("bought_frame", bought)
        con.register("categorised", products)
        category = f"coalesce(categorised.category, '{OTHER}')"
        spend = con.sql(
            f"select bought.customer_id, {category_spend_sums(category, 'bought.purchase_value')}"
            " from (select customer_id, stock_code, cast(line_value as decimal(18, 2)) as purchase_value"
            " from bought_frame) as bought"
            " left join categorised on bought.stock_code = categorised.stock_code"
            " group by bought.customer_id"
        ).df()
    assert list(spend.columns) == ["customer_id", *CATEGORIES]
    pd.testing.assert_frame_equal(shares_of_category_spend(spend), category_shares(bought, products))
