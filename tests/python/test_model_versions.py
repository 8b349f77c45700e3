"""Centroid matching across retraining (segmentation.model_versions)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from segmentation import model_versions

FEATURES = ("recency_days", "frequency", "monetary")
CENTROIDS = np.array([[-1.0, 1.5, 1.5], [1.2, -0.8, -0.7], [0.1, 0.2, -0.1]])
NAMES = ("Champions", "Lost", "Need attention")
START, CUTOFF, END = date(2009, 12, 1), date(2011, 7, 1), date(2011, 12, 10)


def _table(
    centroids: np.ndarray,
    names: tuple[str, ...],
    center: float = 0.0,
    scale: float = 1.0,
    ids: tuple[int, ...] | None = None,
) -> pd.DataFrame:
    """A long centroid table as segment_centroids stores it (only the columns matching reads)."""
    ids = ids or tuple(range(1, len(centroids) + 1))
    return pd.DataFrame(
        [
            {
                "segment_id": segment_id,
                "segment_name": name,
                "feature_position": position,
                "feature": feature,
                "transform": "log1p",
                "clip_low": -10.0,
                "clip_high": 10.0,
                "scaler_center": center,
                "scaler_scale": scale,
                "centroid_scaled": centroid[position],
            }
            for segment_id, name, centroid in zip(ids, names, centroids, strict=True)
            for position, feature in enumerate(FEATURES)
        ]
    )


def test_the_same_model_keeps_every_id_and_name() -> None:
    table = _table(CENTROIDS, NAMES)
    matching = model_versions.match_segments(table, table)
    assert matching["stable_segment_id"].tolist() == [1, 2, 3]
    assert matching["stable_segment_name"].tolist() == list(NAMES)
    assert not matching["is_new_segment"].any()
    assert matching["match_distance"].max() == pytest.approx(0.0)


def test_permuted_centroids_are_mapped_back_to_their_ids() -> None:
    previous = _table(CENTROIDS, NAMES)
    order = [2, 0, 1]
    current = _table(CENTROIDS[order] + 0.05, tuple(f"renamed {i}" for i in range(3)))
    matching = model_versions.match_segments(previous, current)
    assert matching["stable_segment_id"].tolist() == [i + 1 for i in order]
    assert matching["stable_segment_name"].tolist() == [NAMES[i] for i in order]


def test_a_segment_with_no_close_match_gets_a_new_id() -> None:
    previous = _table(CENTROIDS, NAMES)
    far_away = np.vstack([CENTROIDS[:2], [[3.0, 3.0, 3.0]]])
    current = _table(far_away, ("Champions", "Lost", "Big spenders"))
    matching = model_versions.match_segments(previous, current)
    assert matching["stable_segment_id"].tolist() == [1, 2, 4]
    assert matching["is_new_segment"].tolist() == [False, False, True]
    assert matching["stable_segment_name"].iloc[2] == "Big spenders"


def test_a_new_segment_named_like_a_kept_one_gets_a_name_of_its_own() -> None:
    previous = _table(CENTROIDS, NAMES)
    far_away = np.vstack([CENTROIDS[:2], [[3.0, 3.0, 3.0]]])
    # The retrained model calls its new group "Champions" too, but segment 1 keeps that name.
    current = _table(far_away, ("Lost", "Need attention", "Champions"))
    names = model_versions.match_segments(previous, current)["stable_segment_name"].tolist()
    assert names == ["Champions", "Lost", "Champions (segment 4)"]


def test_a_new_segment_never_takes_the_name_of_a_retired_one() -> None:
    previous = _table(CENTROIDS[:2], NAMES[:2])
    far_away = np.vstack([CENTROIDS[:2], [[3.0, 3.0, 3.0]]])
    current = _table(far_away, NAMES)
    matching = model_versions.match_segments(previous, current, names_in_use=frozenset({"Need attention"}))
    assert matching["stable_segment_name"].tolist() == ["Champions", "Lost", "Need attention (segment 3)"]


def test_a_moved_scaler_is_not_a_moved_group() -> None:
    previous = _table(CENTROIDS, NAMES, center=1.0, scale=2.0)
    # The same groups in transformed units, scaled by a model fitted with another center and scale.
    current = _table((CENTROIDS * 2.0 + 1.0 - 0.5) / 4.0, NAMES, center=0.5, scale=4.0)
    distances = model_versions.centroid_distances(previous, current)
    assert np.diag(distances.to_numpy()) == pytest.approx(np.zeros(3))


def test_relabelled_centroids_carry_the_stable_ids() -> None:
    previous = _table(CENTROIDS, NAMES)
    current = _table(CENTROIDS[[1, 0, 2]], NAMES)
    relabelled = model_versions.relabel_centroids(current, model_versions.match_segments(previous, current))
    first_feature = relabelled[relabelled["feature_position"] == 0].sort_values("segment_id")
    assert first_feature["centroid_scaled"].tolist() == CENTROIDS[:, 0].tolist()
    assert first_feature["segment_name"].tolist() == list(NAMES)


def test_versions_start_at_one_skip_a_rebuild_and_keep_ids_on_retraining() -> None:
    first = _table(CENTROIDS, NAMES)
    version_1 = model_versions.next_version(None, first, "2009-12-01", "2011-07-01")
    assert set(version_1["model_version"]) == {1}
    assert version_1["segment_id"].tolist() == version_1["trained_segment_id"].tolist()
    assert model_versions.next_version(version_1, first, "2009-12-01", "2011-07-01").empty

    retrained = _table(CENTROIDS[[1, 2, 0]] + 0.05, ("Lost", "Need attention", "Champions"))
    version_2 = model_versions.next_version(version_1, retrained, "2009-12-01", "2011-12-10")
    assert set(version_2["model_version"]) == {2}
    segments = version_2.drop_duplicates("trained_segment_id").set_index("trained_segment_id")
    assert segments["segment_id"].to_dict() == {1: 2, 2: 3, 3: 1}
    assert segments["segment_name"].to_dict() == {1: "Lost", 2: "Need attention", 3: "Champions"}
    assert not segments["is_new_segment"].any()


def test_previous_segment_ids_stay_integers_even_when_all_null() -> None:
    version_1 = model_versions.next_version(None, _table(CENTROIDS, NAMES), "2009-12-01", "2011-07-01")
    assert str(version_1["previous_segment_id"].dtype) == "Int64"


def test_appending_after_a_warehouse_round_trip_keeps_types_and_adds_nothing_on_a_rebuild() -> None:
    first = _table(CENTROIDS, NAMES)
    stored = model_versions.append_version(None, first, START, CUTOFF)
    # As DuckDB gives it back: a nullable BIGINT column with only nulls reads as float.
    read_back = stored.astype({"previous_segment_id": "float64"})
    rebuilt = model_versions.append_version(read_back, first, START, CUTOFF)
    pd.testing.assert_frame_equal(
        rebuilt, stored.astype({"trained_data_start_date": object}), check_dtype=False
    )
    assert str(rebuilt["previous_segment_id"].dtype) == "Int64"
    retrained = model_versions.append_version(read_back, _table(CENTROIDS + 0.1, NAMES), START, END)
    assert retrained.groupby("model_version").size().to_dict() == {1: 9, 2: 9}
