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

from segmentation.clustering import CENTROID_COLUMNS

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


def unique_new_name(name: str, stable_id: int, taken: set[str]) -> str:
    """`name` for a new segment, or `name (segment <id>)` when another segment already holds it.

    A retrained model names its segments afresh, so a new segment may be named like a matched
    one that keeps its old name; a name must still point at one segment (joins, CRM lists).
    """
    return name if name not in taken else f"{name} (segment {stable_id})"


def match_segments(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    max_distance: float = MATCH_MAX_DISTANCE,
    first_new_id: int | None = None,
    names_in_use: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Stable ids for the current model's segments (MATCH_COLUMNS, one row per current segment).

    The one-to-one assignment minimising the total distance is kept where a pair is within
    `max_distance`; other current segments get new ids from `first_new_id` (default: one above
    every previous id) in their own id order, and keep their own names unless a matched segment
    or `names_in_use` (the names of older versions' segments) holds it (:func:`unique_new_name`).
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
    taken = set(names_in_use) | {old.names[previous_id] for previous_id, _ in matched.values()}
    records = []
    for segment_id in new.ids.tolist():
        if segment_id in matched:
            previous_id, distance = matched[segment_id]
            records.append((segment_id, previous_id, old.names[previous_id], previous_id, distance, False))
        else:
            nearest = float(distances.loc[segment_id].min())
            name = unique_new_name(new.names[segment_id], next_id, taken)
            taken.add(name)
            records.append((segment_id, next_id, name, None, nearest, True))
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


# --------------------------------------------------------------------------------------------
# segment_model_versions: every trained model kept as data, with ids stable across versions
# --------------------------------------------------------------------------------------------

VERSION_COLUMNS: Final = (
    "model_version",
    "model_fingerprint",
    "trained_data_start_date",
    "trained_snapshot_date",
    "k",
    "segment_id",
    "segment_name",
    "trained_segment_id",
    "previous_segment_id",
    "match_distance",
    "is_new_segment",
    # the scoring part of segment_centroids' columns, in its order
    *CENTROID_COLUMNS[
        CENTROID_COLUMNS.index("feature_position") : CENTROID_COLUMNS.index("centroid_scaled") + 1
    ],
)
# What identifies a trained model: retraining on the same data gives the same values.
_FINGERPRINT_COLUMNS: Final = ("segment_id", "feature", "scaler_center", "scaler_scale", "centroid_scaled")
# Decimal places kept when fingerprinting: the last bits of a double may differ between warehouses.
_FINGERPRINT_DECIMALS: Final = 9


def fingerprint(centroids: pd.DataFrame) -> str:
    """A digest of the trained values of a centroid table (ids as trained, not the stable ones)."""
    rows = centroids.loc[:, list(_FINGERPRINT_COLUMNS)].sort_values(["segment_id", "feature"])
    rows = rows.round(_FINGERPRINT_DECIMALS).astype({"segment_id": "int64"})
    return str(pd.util.hash_pandas_object(rows, index=False).sum())


def next_version(
    versions: pd.DataFrame | None,
    centroids: pd.DataFrame,
    trained_data_start_date: object,
    trained_snapshot_date: object,
    max_distance: float = MATCH_MAX_DISTANCE,
) -> pd.DataFrame:
    """The rows to append to segment_model_versions for the model in `centroids` (VERSION_COLUMNS).

    Nothing when it is the latest stored version again (a rebuild on the same data). Otherwise
    version n+1, its segments matched to version n's stable ids; the first version keeps its ids.
    """
    digest = fingerprint(centroids)
    stored = versions is not None and not versions.empty
    if stored and digest == versions.loc[versions["model_version"].idxmax(), "model_fingerprint"]:
        # The stored rows' own (empty) frame: its column types are the table's.
        return versions.iloc[0:0].loc[:, list(VERSION_COLUMNS)]
    if stored:
        latest = versions[versions["model_version"] == versions["model_version"].max()]
        used_ids = int(versions["segment_id"].max())
        names = frozenset(versions["segment_name"].astype(str))
        matching = match_segments(latest, centroids, max_distance, used_ids + 1, names)
        version = int(latest["model_version"].iloc[0]) + 1
    else:
        matching = pd.DataFrame({"segment_id": centroids["segment_id"].astype(int).unique()})
        matching["stable_segment_id"] = matching["segment_id"]
        names = centroids.drop_duplicates("segment_id").set_index("segment_id")["segment_name"]
        matching["stable_segment_name"] = matching["segment_id"].map(names)
        matching["previous_segment_id"] = pd.array([pd.NA] * len(matching), dtype="Int64")
        matching["match_distance"] = np.nan
        matching["is_new_segment"] = True
        version = 1
    out = relabel_centroids(centroids, matching)
    by_trained_id = matching.set_index("segment_id")
    trained_ids = centroids["segment_id"].astype(int)
    out["trained_segment_id"] = trained_ids.to_numpy()
    # A nullable integer Series (not an array), so a first version's all-null ids stay integers.
    out["previous_segment_id"] = trained_ids.map(by_trained_id["previous_segment_id"]).astype("Int64")
    out["match_distance"] = trained_ids.map(by_trained_id["match_distance"]).to_numpy(dtype=np.float64)
    out["is_new_segment"] = trained_ids.map(by_trained_id["is_new_segment"]).astype(bool).to_numpy()
    out["model_version"] = version
    out["model_fingerprint"] = digest
    out["trained_data_start_date"] = trained_data_start_date
    out["trained_snapshot_date"] = trained_snapshot_date
    out["k"] = int(trained_ids.nunique())
    return out.loc[:, list(VERSION_COLUMNS)].reset_index(drop=True)


def append_version(
    versions: pd.DataFrame | None,
    centroids: pd.DataFrame,
    trained_data_start_date: object,
    trained_snapshot_date: object,
) -> pd.DataFrame:
    """Every stored version plus the one for `centroids` if it is new (see :func:`next_version`).

    The stored rows come back from the warehouse with its types (a nullable integer may be a
    float); they are cast back, so a rebuild that adds nothing writes exactly the same table.
    """
    added = next_version(versions, centroids, trained_data_start_date, trained_snapshot_date)
    if versions is None or versions.empty:
        return added
    stored = versions.loc[:, list(VERSION_COLUMNS)].copy()
    stored["previous_segment_id"] = stored["previous_segment_id"].astype("Int64")
    for column in ("trained_data_start_date", "trained_snapshot_date"):
        stored[column] = pd.to_datetime(stored[column]).dt.date
    for column in ("model_version", "k", "segment_id", "trained_segment_id", "feature_position"):
        stored[column] = stored[column].astype("int64")
    return pd.concat([stored, added], ignore_index=True) if len(added) else stored
