"""Each customer's share of purchase value per product category: optional segment features."""

from segmentation.categories import category_shares
from segmentation.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    # The value per customer and product is summed in SQL, exactly in decimals
    # (int_customer_products), and sorted, so pandas adds the same floats in the same order
    # however the lines were loaded: the shares agree to the last bit with a full build.
    spend = (
        dbt.ref("int_customer_products")
        .select("customer_id, stock_code, purchase_value as line_value")
        .order("customer_id, stock_code")
    )
    products = to_pandas(dbt.ref("product_categories"))
    return category_shares(to_pandas(spend), products)
