"""Every customer assigned to the nearest stored centroid: the table marketing uses."""

from segmentation.clustering import assign_segments, config_from_mapping
from segmentation.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    config = config_from_mapping(dbt.config.get("segmentation"))
    customers = to_pandas(dbt.ref("int_customer_features"))
    centroids = to_pandas(dbt.ref("segment_centroids"))
    return assign_segments(customers, centroids, config)
