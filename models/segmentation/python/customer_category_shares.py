"""Each customer's share of purchase value per product category: optional segment features."""

from segmentation.categories import category_shares
from segmentation.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    lines = to_pandas(dbt.ref("int_purchase_lines"))
    products = to_pandas(dbt.ref("product_categories"))
    identified = lines.loc[~lines["is_guest"].astype(bool), ["customer_id", "stock_code", "line_value"]]
    return category_shares(identified, products)
