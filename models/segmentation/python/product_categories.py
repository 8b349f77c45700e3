"""Every product (stock code) with a category from its description (see segmentation.categories)."""

from segmentation.categories import CategoryConfig, categorise_products
from segmentation.dbt_vars import settings_from_mapping
from segmentation.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    config = settings_from_mapping(CategoryConfig, dbt.config.get("categories"), var="categories")
    # Counted in SQL: pandas gets one row per product and description, not every purchase line
    # (reading 20M lines into pandas was most of an appended build's time).
    descriptions = (
        dbt.ref("int_purchase_lines")
        .aggregate("stock_code, description, count(*) as line_count", "stock_code, description")
        .order("stock_code, description")
    )
    return categorise_products(to_pandas(descriptions), config)
