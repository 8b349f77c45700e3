"""Property-based tests of the segment naming rule (segmentation.clustering.name_segments).

Hypothesis draws many customer bases and segmentations of them: recency, frequency and tenure
per customer, and a segment per customer. Whatever it draws, names must be different, have an
action, and agree with the rule-based RFM segment most of a segment's customers hold wherever
the two are comparable (the segments' majority names differ, so nothing had to give way).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.clustering import (
    RFM_GRID_PATH,
    SegmentationConfig,
    name_segments,
    rfm_score,
    rule_based_segments,
)

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
ACTIONS = set(pd.read_csv(SEEDS / "segment_actions.csv")["segment_name"])
GRID = pd.read_csv(RFM_GRID_PATH)
LAPSED = set(GRID.loc[GRID["recency_score"] <= SegmentationConfig().lapsed_max_recency_score, "rfm_segment"])
# A period like the real files' (two years); recency + tenure never exceeds it.
PERIOD_DAYS = 740
MAX_FREQUENCY = 60
EXAMPLES = settings(max_examples=100, deadline=None)


@st.composite
def segmented_customers(draw: st.DrawFn) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers (recency, frequency, tenure) and a segment id 1..k for each, every segment used."""
    k = draw(st.integers(min_value=2, max_value=10))
    n = draw(st.integers(min_value=k, max_value=120))
    rng = np.random.default_rng(draw(st.integers(min_value=0, max_value=2**32 - 1)))
    # Segments as blobs around drawn centres, so that majority names are often distinct.
    centres = rng.uniform(0, PERIOD_DAYS, size=k)
    labels = np.concatenate([np.arange(1, k + 1), rng.integers(1, k + 1, size=n - k)])
    recency = np.clip(centres[labels - 1] + rng.normal(0, 40, size=n), 0, PERIOD_DAYS).astype(int)
    frequency = rng.integers(1, MAX_FREQUENCY, size=n)
    tenure = (rng.uniform(0, 1, size=n) * (PERIOD_DAYS - recency)).astype(int)
    customers = pd.DataFrame({"recency_days": recency, "frequency": frequency, "tenure_days": tenure})
    return customers, labels


def _majority(customers: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Per segment: the most held rule-based name and whether it is a strict majority winner."""
    held = pd.Series(rule_based_segments(customers, GRID), index=labels)
    counts = held.groupby(level=0).value_counts()
    rows = []
    for segment, group in counts.groupby(level=0):
        top = group.sort_values(ascending=False)
        strict = len(top) == 1 or top.iloc[0] > top.iloc[1]
        rows.append((segment, top.index[0][1], strict))
    return pd.DataFrame(rows, columns=["segment", "name", "strict"]).set_index("segment")


@EXAMPLES
@given(segmented_customers())
def test_names_are_different_and_have_an_action(case: tuple[pd.DataFrame, np.ndarray]) -> None:
    customers, labels = case
    names = name_segments(customers, labels, grid=GRID)
    assert sorted(names) == sorted(set(labels.tolist()))
    assert len(set(names.values())) == len(names)
    assert set(names.values()) <= ACTIONS
    assert set(names.values()) <= set(GRID["rfm_segment"])


@EXAMPLES
@given(segmented_customers())
def test_names_agree_with_the_majority_rule_based_segment(case: tuple[pd.DataFrame, np.ndarray]) -> None:
    customers, labels = case
    guard_off = SegmentationConfig(dormant_period_share=1)
    majority = _majority(customers, labels)
    comparable = majority["name"].is_unique and majority["strict"].all()
    if comparable:
        assert name_segments(customers, labels, guard_off, GRID) == majority["name"].to_dict()


@EXAMPLES
@given(segmented_customers())
def test_dormant_segments_get_lapsed_names(case: tuple[pd.DataFrame, np.ndarray]) -> None:
    customers, labels = case
    config = SegmentationConfig()
    period = float((customers["recency_days"] + customers["tenure_days"]).max())
    median = customers.groupby(labels)["recency_days"].median()
    dormant = median[median > config.dormant_period_share * period].index
    names = name_segments(customers, labels, config, GRID)
    if len(dormant) <= len(LAPSED):
        assert {names[s] for s in dormant} <= LAPSED


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=40), st.booleans())
def test_rfm_score_is_the_sql_quintile_score(values: list[int], higher_is_better: bool) -> None:
    direction = "asc" if higher_is_better else "desc"
    con = duckdb.connect()
    con.register("frame", pd.DataFrame({"i": range(len(values)), "v": values}))
    sql = con.sql(
        "select least(5, 1 + cast(floor(5 * percent_rank() over (order by v "
        f"{direction})) as integer)) as score from frame order by i"
    ).df()["score"]
    assert rfm_score(np.array(values), higher_is_better).tolist() == sql.tolist()
