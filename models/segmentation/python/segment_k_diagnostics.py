"""One row per candidate k with every clustering metric, and the k chosen (see segmentation.clustering)."""

import pandas as pd

from segmentation.categories import with_category_shares
from segmentation.clustering import build_k_diagnostics, config_from_mapping
from segmentation.warehouse import stored_unless_retraining, to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    # A daily build scores with the model an earlier build trained (int_segment_model_schedule).
    stored = stored_unless_retraining(dbt.ref("int_segment_model_schedule"), dbt.this, session)
    if stored is not None:
        return stored
    config = config_from_mapping(dbt.config.get("segmentation"))
    # Spend shares per product category sit beside the mart, so they can be features too.
    customers = with_category_shares(
        to_pandas(dbt.ref("int_customer_features")), to_pandas(dbt.ref("customer_category_shares"))
    )
    # Synthetic data only: the generator's planted customer types, to measure segments against.
    planted_path = dbt.config.get("planted_types_path")
    planted = pd.read_parquet(planted_path) if planted_path else None
    return build_k_diagnostics(customers, config, planted)
