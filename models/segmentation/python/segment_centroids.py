"""The fitted KMeans model as data: scaler parameters and centroids, one row per segment x feature."""

from segmentation.clustering import chosen_k, config_from_mapping, fit_centroids
from segmentation.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    config = config_from_mapping(dbt.config.get("segmentation"))
    customers = to_pandas(dbt.ref("int_customer_features"))
    diagnostics = to_pandas(dbt.ref("segment_k_diagnostics"))
    # The R x F grid names the segments, as it names the rule-based RFM segments.
    grid = to_pandas(dbt.ref("rfm_segment_map"))
    return fit_centroids(customers, config, chosen_k(diagnostics), grid)
