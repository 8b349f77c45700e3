"""Every trained model kept as data: the current segment_centroids appended as a new version when
it differs from the latest one, its segments matched to that version's stable ids
(segmentation.model_versions). Incremental: earlier versions are never rewritten."""

import pandas as pd

from segmentation.model_versions import next_version
from segmentation.warehouse import to_pandas


def model(dbt, session):
    dbt.config(materialized="incremental")
    centroids = to_pandas(dbt.ref("segment_centroids"))
    bounds = to_pandas(dbt.ref("int_snapshot_date"))
    versions = to_pandas(session.sql(f"select * from {dbt.this}")) if dbt.is_incremental else None
    # Python dates, so the columns are stored as dates, not timestamps.
    start, snapshot = (
        pd.Timestamp(bounds[column].iloc[0]).date() for column in ("data_start_date", "snapshot_date")
    )
    return next_version(versions, centroids, start, snapshot)
