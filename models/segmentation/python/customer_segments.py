"""Every customer assigned to the nearest stored centroid: the table marketing uses."""

from segmentation.categories import with_category_shares
from segmentation.clustering import assign_segments, config_from_mapping
from segmentation.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    config = config_from_mapping(dbt.config.get("segmentation"))
    # Spend shares per product category sit beside the mart, so they can be features too.
    customers = with_category_shares(
        to_pandas(dbt.ref("int_customer_features")), to_pandas(dbt.ref("customer_category_shares"))
    )
    # The current model with its stable segment ids, which survive retraining (segment_model_versions).
    centroids = to_pandas(dbt.ref("int_current_segment_centroids"))
    return assign_segments(customers, centroids, config)
