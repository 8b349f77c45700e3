"""Each customer's share of purchase value per product category: optional segment features."""

from segmentation.categories import category_shares
from segmentation.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    # Summed per customer and product in SQL, exactly in decimals, and sorted: pandas then adds
    # the same floats in the same order whatever order the lines were stored in (an appended
    # build stores them by load), so the shares agree to the last bit with a full build.
    spend = (
        dbt.ref("int_purchase_lines")
        .filter("not is_guest")
        .aggregate("customer_id, stock_code, sum(line_value) as line_value", "customer_id, stock_code")
        .order("customer_id, stock_code")
    )
    products = to_pandas(dbt.ref("product_categories"))
    return category_shares(to_pandas(spend), products)
