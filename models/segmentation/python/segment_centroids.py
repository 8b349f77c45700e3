"""The fitted KMeans model as data: scaler parameters and centroids, one row per segment x feature."""

from segmentation.categories import with_category_shares
from segmentation.clustering import chosen_k, config_from_mapping, fit_centroids
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
    diagnostics = to_pandas(dbt.ref("segment_k_diagnostics"))
    # The R x F grid names the segments, as it names the rule-based RFM segments.
    grid = to_pandas(dbt.ref("rfm_segment_map"))
    return fit_centroids(customers, config, chosen_k(diagnostics), grid)
