"""Seeds that must stay in step with the Python code."""

from __future__ import annotations

import csv
from pathlib import Path

from segmentation.clustering import NAMING_RULES, SINGLE_SEGMENT_NAME

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_every_kmeans_segment_name_has_a_recommended_action() -> None:
    with (SEEDS / "segment_actions.csv").open(newline="") as handle:
        actions = {row["segment_name"]: row["recommended_action"] for row in csv.DictReader(handle)}
    names = {rule[0] for rule in NAMING_RULES} | {SINGLE_SEGMENT_NAME}
    missing = sorted(names - set(actions))
    assert not missing, f"add these names to seeds/segment_actions.csv: {missing}"
    assert all(action.strip() for action in actions.values())


def test_every_rfm_grid_name_has_a_recommended_action() -> None:
    with (SEEDS / "segment_actions.csv").open(newline="") as handle:
        actions = {row["segment_name"] for row in csv.DictReader(handle)}
    with (SEEDS / "rfm_segment_map.csv").open(newline="") as handle:
        grid = list(csv.DictReader(handle))
    assert len(grid) == 25
    assert {row["rfm_segment"] for row in grid} <= actions
