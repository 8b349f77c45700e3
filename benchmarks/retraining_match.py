"""Retraining on more data: do segments keep their ids, and who moves for real?

Reads a warehouse built with the segment history (customer features as of every snapshot date),
trains one model on the customers as of `--cutoff` (lines before it) and one on the build's
snapshot, matches the second to the first (segmentation.model_versions) and scores every customer
at the build's snapshot with both. A customer "moves for real" when the old model and the matched
new model disagree; "moves by label" counts the disagreements with the new model's raw ids.

    python benchmarks/retraining_match.py WAREHOUSE.duckdb [--cutoff 2011-07-01] [--k 4]

Prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import json
from datetime import date

import duckdb
import pandas as pd

from segmentation import model_versions
from segmentation.clustering import (
    SegmentationConfig,
    assign_segments,
    build_k_diagnostics,
    chosen_k,
    fit_centroids,
)

# "Trained on Online Retail II up to 2011-06-30": the snapshot that counts every line before July.
DEFAULT_CUTOFF = "2011-07-01"


def features_at(con: duckdb.DuckDBPyConnection, snapshot: date | str) -> pd.DataFrame:
    """Every customer's features as of `snapshot` (a date of int_customer_snapshot_features)."""
    frame = con.execute(
        "select * from int_customer_snapshot_features where snapshot_date = ? order by customer_id",
        [snapshot],
    ).df()
    if frame.empty:
        raise SystemExit(f"no snapshot {snapshot} in int_customer_snapshot_features")
    return frame


def train(customers: pd.DataFrame, config: SegmentationConfig, k: int | None) -> pd.DataFrame:
    """The centroid table the Python models would store (k by the project's rule unless given)."""
    chosen = k if k is not None else chosen_k(build_k_diagnostics(customers, config))
    return fit_centroids(customers, config, chosen)


def compare(con: duckdb.DuckDBPyConnection, cutoff: str, k: int | None) -> dict[str, object]:
    config = SegmentationConfig()
    (build_date,) = con.execute("select snapshot_date from int_snapshot_date").fetchone()
    previous = train(features_at(con, cutoff), config, k)
    full = features_at(con, build_date)
    current = train(full, config, k)
    matching = model_versions.match_segments(previous, current)
    stable = model_versions.relabel_centroids(current, matching)
    old_ids = assign_segments(full, previous, config)["segment_id"]
    matched_ids = assign_segments(full, stable, config)["segment_id"]
    raw_ids = assign_segments(full, current, config)["segment_id"]
    return {
        "cutoff": cutoff,
        "build_snapshot": str(build_date),
        "customers": len(full),
        "k_previous": int(previous["segment_id"].nunique()),
        "k_current": int(current["segment_id"].nunique()),
        "ids_kept": int((~matching["is_new_segment"]).sum()),
        "new_ids": int(matching["is_new_segment"].sum()),
        "customers_moved_for_real": int((old_ids != matched_ids).sum()),
        "customers_moved_by_raw_label": int((old_ids != raw_ids).sum()),
        "matching": matching.astype({"previous_segment_id": "object"}).to_dict("records"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse")
    parser.add_argument("--cutoff", default=DEFAULT_CUTOFF)
    parser.add_argument(
        "--k", type=int, default=None, help="fixed k for both models (default: the project's rule)"
    )
    args = parser.parse_args()
    with duckdb.connect(args.warehouse, read_only=True) as con:
        print("RESULT " + json.dumps(compare(con, args.cutoff, args.k), default=str))


if __name__ == "__main__":
    main()
