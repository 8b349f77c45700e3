"""Seeds that must stay in step with the Python code."""

from __future__ import annotations

import csv
from pathlib import Path

from segmentation.clustering import RFM_GRID_PATH, SINGLE_SEGMENT_NAME, SegmentationConfig

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _grid() -> list[dict[str, str]]:
    with RFM_GRID_PATH.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_kmeans_segment_name_has_a_recommended_action() -> None:
    # KMeans segments are named from the R x F grid (or "All customers" when there is one)
    with (SEEDS / "segment_actions.csv").open(newline="") as handle:
        actions = {row["segment_name"]: row["recommended_action"] for row in csv.DictReader(handle)}
    names = {row["rfm_segment"] for row in _grid()} | {SINGLE_SEGMENT_NAME}
    missing = sorted(names - set(actions))
    assert not missing, f"add these names to seeds/segment_actions.csv: {missing}"
    assert all(action.strip() for action in actions.values())
    assert set(actions) == names, "segment_actions holds names no segment can get"


def test_grid_names_every_k_and_has_a_lost_cell() -> None:
    grid = _grid()
    # one distinct name per segment up to the default k_max
    assert len({row["rfm_segment"] for row in grid}) >= SegmentationConfig().k_max
    cell = {(row["recency_score"], row["frequency_score"]): row["rfm_segment"] for row in grid}
    assert cell[("1", "1")] == "Lost"


def test_every_rfm_grid_name_has_a_recommended_action() -> None:
    with (SEEDS / "segment_actions.csv").open(newline="") as handle:
        actions = {row["segment_name"] for row in csv.DictReader(handle)}
    with (SEEDS / "rfm_segment_map.csv").open(newline="") as handle:
        grid = list(csv.DictReader(handle))
    assert len(grid) == 25
    assert {row["rfm_segment"] for row in grid} <= actions
