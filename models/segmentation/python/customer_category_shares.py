"""Each customer's share of purchase value per product category: optional segment features."""

from segmentation.categories import OTHER, shares_of_category_spend
from segmentation.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    products = dbt.ref("int_customer_products").set_alias("bought")
    categories = dbt.ref("product_categories").set_alias("categorised")
    # Summed per customer and category in SQL, exactly in decimals, and sorted: pandas gets one
    # row per customer and category (not one per product bought: at 200M lines that was over
    # 100M rows and ran the build out of memory), and the shares agree to the last bit with a
    # full build however the lines were loaded.
    spend = (
        products.join(categories, "bought.stock_code = categorised.stock_code", how="left")
        .aggregate(
            f"bought.customer_id as customer_id, coalesce(categorised.category, '{OTHER}') as category,"
            " sum(bought.purchase_value) as category_value",
            "bought.customer_id, coalesce(categorised.category, '" + OTHER + "')",
        )
        .order("customer_id, category")
    )
    return shares_of_category_spend(to_pandas(spend))
