"""Every customer assigned to the nearest stored centroid: the table marketing uses."""

from segmentation.clustering import assign_segments, config_from_mapping


def model(dbt, session):
    dbt.config(materialized="table")
    config = config_from_mapping(dbt.config.get("segmentation"))
    customers = dbt.ref("customers").df()
    centroids = dbt.ref("segment_centroids").df()
    return assign_segments(customers, centroids, config)
