"""Every trained model kept as data: the current segment_centroids appended as a new version when
it differs from the latest one, its segments matched to that version's stable ids
(segmentation.model_versions). A table that reads its own previous contents, not an incremental
model: dbt-duckdb's incremental Python models leave a name__dbt_tmp<time> table behind each run."""

import pandas as pd

from segmentation.model_versions import append_version
from segmentation.warehouse import to_pandas


def _stored_versions(dbt, session):
    """The versions the table held before this build, or None on the first build."""
    this = dbt.this
    found = session.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [this.schema, this.identifier],
    ).fetchone()[0]
    return to_pandas(session.sql(f"select * from {this}")) if found else None


def model(dbt, session):
    dbt.config(materialized="table")
    centroids = to_pandas(dbt.ref("segment_centroids"))
    bounds = to_pandas(dbt.ref("int_snapshot_date"))
    # Python dates, so the columns are stored as dates, not timestamps.
    start, snapshot = (
        pd.Timestamp(bounds[column].iloc[0]).date() for column in ("data_start_date", "snapshot_date")
    )
    return append_version(_stored_versions(dbt, session), centroids, start, snapshot)
