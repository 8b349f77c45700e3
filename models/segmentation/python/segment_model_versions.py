"""Every trained model kept as data: the current segment_centroids appended as a new version when
it differs from the latest one, its segments matched to that version's stable ids
(segmentation.model_versions). A table that reads its own previous contents, not an incremental
model: dbt-duckdb's incremental Python models leave a name__dbt_tmp<time> table behind each run."""

import pandas as pd

from segmentation.model_versions import append_version
from segmentation.warehouse import stored_table, to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    centroids = to_pandas(dbt.ref("segment_centroids"))
    bounds = to_pandas(dbt.ref("int_snapshot_date"))
    # Python dates, so the columns are stored as dates, not timestamps.
    start, snapshot = (
        pd.Timestamp(bounds[column].iloc[0]).date() for column in ("data_start_date", "snapshot_date")
    )
    return append_version(stored_table(dbt.this, session), centroids, start, snapshot)
