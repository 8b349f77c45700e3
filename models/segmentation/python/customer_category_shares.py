"""Each customer's share of purchase value per product category: optional segment features."""

from segmentation.categories import OTHER, category_spend_sums, shares_of_category_spend
from segmentation.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    # Not read: a ref only orders this model after int_customer_features, so the two never run at
    # once. On the 200M appended day of `make benchmark` (2026-12-07) each aggregated every
    # customer, and side by side they ran out of DuckDB's 2 GB, which dbt's two threads share.
    dbt.ref("int_customer_features")
    products = dbt.ref("int_customer_products").set_alias("bought")
    categories = dbt.ref("product_categories").set_alias("categorised")
    # Summed per customer in SQL, a column per category, exactly in decimals: pandas gets one row
    # per customer, and the shares agree to the last bit with a full build however the lines were
    # loaded. One group per customer, not per customer and category: at 200M lines those 15M
    # groups, beside a test of the invoices, ran DuckDB out of its 2 GB on a one-day build.
    category = f"coalesce(categorised.category, '{OTHER}')"
    spend = products.join(categories, "bought.stock_code = categorised.stock_code", how="left").aggregate(
        f"bought.customer_id as customer_id, {category_spend_sums(category, 'bought.purchase_value')}",
        "bought.customer_id",
    )
    return shares_of_category_spend(to_pandas(spend))
