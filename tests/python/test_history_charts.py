"""The segments-over-time chart (segmentation.report.history_charts) on a hand-made migrations mart."""

from __future__ import annotations

from datetime import date

import pandas as pd

from segmentation.report import history_charts

JAN, FEB = date(2011, 1, 1), date(2011, 2, 1)
COLUMNS = ["from_snapshot_date", "to_snapshot_date", "from_state", "from_segment_id", "from_segment_name"]
COLUMNS += ["to_segment_id", "to_segment_name", "is_segment_change", "customers", "period_value"]


def _migrations() -> pd.DataFrame:
    rows = [
        (None, JAN, "new", None, "New", 1, "Champions", False, 4, 40.0),
        (None, JAN, "new", None, "New", 2, "Lost", False, 6, 6.0),
        (JAN, FEB, "customer", 1, "Champions", 1, "Champions", False, 3, 30.0),
        (JAN, FEB, "customer", 1, "Champions", 2, "Lost", True, 1, 0.0),
        (JAN, FEB, "customer", 2, "Lost", 2, "Lost", False, 6, 0.0),
        (JAN, FEB, "new", None, "New", 1, "Champions", False, 2, 20.0),
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["from_segment_id"] = frame["from_segment_id"].astype("Int64")
    return frame


def test_sizes_over_time_count_every_customer_at_each_snapshot() -> None:
    sizes = history_charts.segment_sizes_over_time(_migrations())
    assert sizes.loc[JAN].tolist() == [4, 6]
    assert sizes.loc[FEB].tolist() == [5, 7]


def test_last_matrix_has_segments_then_new_customers_as_rows() -> None:
    matrix = history_charts.last_migration_matrix(_migrations())
    assert list(matrix.index) == ["1 · Champions", "2 · Lost", history_charts.NEW_STATE_LABEL]
    assert matrix.to_numpy().tolist() == [[3, 1], [0, 6], [2, 0]]


def test_chart_has_both_panels_and_the_sentence_counts_movers() -> None:
    fig = history_charts.segment_history_chart(_migrations())
    assert len(fig.axes) == 3  # the two panels and the heatmap's colour bar
    sentence = history_charts.segment_history_sentence(_migrations())
    assert "1 customers changed segment and 2 were new" in sentence
