"""Every product (stock code) with a category from its description (see segmentation.categories)."""

from segmentation.categories import CategoryConfig, categorise_products
from segmentation.dbt_vars import settings_from_mapping
from segmentation.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    config = settings_from_mapping(CategoryConfig, dbt.config.get("categories"), var="categories")
    lines = to_pandas(dbt.ref("int_purchase_lines"))
    return categorise_products(lines.loc[:, ["stock_code", "description"]], config)
