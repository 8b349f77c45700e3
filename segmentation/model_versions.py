"""Segment ids that survive retraining: match a new model's centroids to the previous model's.

KMeans numbers its clusters arbitrarily, and the project orders them by value, so after retraining
on new data "segment 2" may be another group. Here the new centroids are matched one-to-one to the
previous ones (Hungarian algorithm, :func:`scipy.optimize.linear_sum_assignment`) on Euclidean
distance in one scaled space; a matched segment keeps the previous id and name, and a segment
with no previous centroid within ``max_distance`` gets a fresh id (never one used before).

Both models are put in the *new* model's scaled space first: each stored ``centroid_scaled`` is
taken back to transformed units with its own model's center and scale, then scaled with the new
model's, so a shift of the scaler between trainings is not mistaken for a move of the group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

# Centroids further apart than this (Euclidean, in standard units of the new model's scaled
# space, i.e. about one within-feature spread) are not "the same group" any more.
MATCH_MAX_DISTANCE: Final = 1.0
MATCH_COLUMNS: Final = (
    "segment_id",
    "stable_segment_id",
    "stable_segment_name",
    "previous_segment_id",
    "match_distance",
    "is_new_segment",
)


@dataclass(frozen=True)
class _Centroids:
    ids: np.ndarray
    names: dict[int, str]
    features: tuple[str, ...]
    # Centroids in transformed (e.g. log1p) units: segments x features.
    transformed: np.ndarray
    center: np.ndarray
    scale: np.ndarray


def _centroids(table: pd.DataFrame) -> _Centroids:
    """Read a long centroid table (one row per segment x feature, as segment_centroids)."""
    ordered = table.sort_values(["feature_position", "segment_id"])
    features = tuple(dict.fromkeys(ordered["feature"].astype(str)))
    grid = table.pivot(index="segment_id", columns="feature", values="centroid_scaled").sort_index()
    params = table.drop_duplicates("feature").set_index("feature").loc[list(features)]
    center = params["scaler_center"].to_numpy(dtype=np.float64)
    scale = params["scaler_scale"].to_numpy(dtype=np.float64)
    scaled = grid.loc[:, list(features)].to_numpy(dtype=np.float64)
    names_frame = table.drop_duplicates("segment_id")
    names = dict(
        zip(names_frame["segment_id"].astype(int), names_frame["segment_name"].astype(str), strict=True)
    )
    return _Centroids(
        grid.index.to_numpy(dtype=np.int64), names, features, scaled * scale + center, center, scale
    )


def centroid_distances(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Distances between every current (rows) and previous (columns) centroid, in the current scaled space."""
    old, new = _centroids(previous), _centroids(current)
    if set(old.features) != set(new.features):
        raise ValueError(f"the models use different features: {old.features} vs {new.features}")
    order = [old.features.index(feature) for feature in new.features]
    old_in_new_space = (old.transformed[:, order] - new.center) / new.scale
    new_scaled = (new.transformed - new.center) / new.scale
    distances = np.sqrt(((new_scaled[:, None, :] - old_in_new_space[None, :, :]) ** 2).sum(axis=2))
    return pd.DataFrame(distances, index=pd.Index(new.ids, name="segment_id"), columns=old.ids)


def match_segments(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    max_distance: float = MATCH_MAX_DISTANCE,
    first_new_id: int | None = None,
) -> pd.DataFrame:
    """Stable ids for the current model's segments (MATCH_COLUMNS, one row per current segment).

    The one-to-one assignment minimising the total distance is kept where a pair is within
    `max_distance`; other current segments get new ids from `first_new_id` (default: one above
    every previous id) in their own id order, and keep their own names.
    """
    distances = centroid_distances(previous, current)
    old, new = _centroids(previous), _centroids(current)
    rows, columns = linear_sum_assignment(distances.to_numpy())
    matched = {
        int(distances.index[row]): (int(distances.columns[column]), float(distances.iat[row, column]))
        for row, column in zip(rows, columns, strict=True)
        if distances.iat[row, column] <= max_distance
    }
    next_id = first_new_id if first_new_id is not None else int(old.ids.max()) + 1
    records = []
    for segment_id in new.ids.tolist():
        if segment_id in matched:
            previous_id, distance = matched[segment_id]
            records.append((segment_id, previous_id, old.names[previous_id], previous_id, distance, False))
        else:
            nearest = float(distances.loc[segment_id].min())
            records.append((segment_id, next_id, new.names[segment_id], None, nearest, True))
            next_id += 1
    frame = pd.DataFrame.from_records(records, columns=list(MATCH_COLUMNS))
    frame["previous_segment_id"] = frame["previous_segment_id"].astype("Int64")
    return frame


def relabel_centroids(current: pd.DataFrame, matching: pd.DataFrame) -> pd.DataFrame:
    """The current centroid table with the stable ids and names of `matching` (same rows otherwise)."""
    stable = matching.set_index("segment_id")
    out = current.copy()
    ids = out["segment_id"].astype(int)
    out["segment_id"] = ids.map(stable["stable_segment_id"]).astype("int64")
    out["segment_name"] = ids.map(stable["stable_segment_name"])
    return out
