"""Segments over time, from the segment_migrations mart: sizes at every snapshot and the migration
matrix between the last two (one figure, two panels, at the page's width)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from segmentation.report.charts import (
    _figure,
    _plain_formatter,
    _style,
    fmt_date,
    fmt_int,
    segment_color,
    segment_label,
    share_heatmap,
)

NEW_STATE_LABEL = "new customers"
# The page's chart width in inches (as the other full-width charts) and each panel's height.
FIGURE_WIDTH = 9.0
PANEL_HEIGHT = 3.6
# Cells whose share of their row is above this get white text on the dark blue.


def segment_sizes_over_time(migrations: pd.DataFrame) -> pd.DataFrame:
    """Customers per segment (columns, by id) at every snapshot (rows, in date order)."""
    sizes = migrations.groupby(["to_snapshot_date", "to_segment_id"])["customers"].sum().unstack(fill_value=0)
    return sizes.sort_index().sort_index(axis=1)


def _segment_names(migrations: pd.DataFrame) -> dict[int, str]:
    latest = migrations.sort_values("to_snapshot_date").drop_duplicates("to_segment_id", keep="last")
    return dict(zip(latest["to_segment_id"].astype(int), latest["to_segment_name"].astype(str), strict=True))


def last_migration_matrix(migrations: pd.DataFrame) -> pd.DataFrame:
    """Customers from (rows: earlier segment or new) to (columns: later segment) at the last snapshot."""
    last = migrations[migrations["to_snapshot_date"] == migrations["to_snapshot_date"].max()]
    names = _segment_names(migrations)
    rows = last.assign(
        origin=np.where(
            last["from_state"] == "new",
            NEW_STATE_LABEL,
            [segment_label(s, names.get(int(s), "")) if pd.notna(s) else "" for s in last["from_segment_id"]],
        ),
        destination=[segment_label(s, names[int(s)]) for s in last["to_segment_id"]],
    )
    matrix = rows.pivot_table(
        index="origin", columns="destination", values="customers", aggfunc="sum", fill_value=0
    )
    order = [segment_label(s, names[s]) for s in sorted(names)]
    return matrix.reindex(
        index=[*order, NEW_STATE_LABEL] if NEW_STATE_LABEL in matrix.index else order,
        columns=order,
        fill_value=0,
    )


def segment_history_chart(migrations: pd.DataFrame) -> Figure:
    """Stacked customers per segment over the snapshots, then the last migration matrix as a heatmap."""
    sizes = segment_sizes_over_time(migrations)
    names = _segment_names(migrations)
    matrix = last_migration_matrix(migrations)
    shares = matrix.div(matrix.sum(axis=1).replace(0, np.nan), axis=0).fillna(0).to_numpy()
    with _style():
        fig = _figure(FIGURE_WIDTH, PANEL_HEIGHT * 2 + 0.3 * len(matrix))
        sizes_ax, matrix_ax = fig.subplots(2, 1, height_ratios=[1, 1 + 0.1 * len(matrix)])
        dates = pd.to_datetime(sizes.index)
        sizes_ax.stackplot(
            dates,
            [sizes[s].to_numpy() for s in sizes.columns],
            labels=[segment_label(s, names[int(s)]) for s in sizes.columns],
            colors=[segment_color(s) for s in sizes.columns],
            alpha=0.85,
        )
        sizes_ax.yaxis.set_major_formatter(_plain_formatter())
        sizes_ax.set_ylabel("customers")
        sizes_ax.set_title("Customers per segment at each snapshot (scored with the current model)")
        sizes_ax.legend(loc="upper left", fontsize=9)

        image = share_heatmap(matrix_ax, matrix, shares)
        matrix_ax.set_xticks(range(matrix.shape[1]), list(matrix.columns), rotation=20, ha="right")
        matrix_ax.set_yticks(range(len(matrix)), list(matrix.index))
        last = migrations["to_snapshot_date"].max()
        previous = migrations.loc[migrations["to_snapshot_date"] == last, "from_snapshot_date"].max()
        matrix_ax.set_xlabel(f"segment at {fmt_date(last)}")
        matrix_ax.set_ylabel(f"segment at {fmt_date(previous)}")
        matrix_ax.set_title("Where each segment's customers went (cells: share of the row, customers)")
        colorbar = fig.colorbar(image, ax=matrix_ax, shrink=0.9, format=PercentFormatter())
        colorbar.set_label("share of the row (%)")
        fig.suptitle("Segments over time")
    return fig


def segment_history_sentence(migrations: pd.DataFrame) -> str:
    sizes = segment_sizes_over_time(migrations)
    last = migrations[migrations["to_snapshot_date"] == migrations["to_snapshot_date"].max()]
    movers = int(last.loc[last["is_segment_change"].astype(bool), "customers"].sum())
    new = int(last.loc[last["from_state"] == "new", "customers"].sum())
    return (
        f"{len(sizes)} snapshots from {fmt_date(sizes.index[0])} to {fmt_date(sizes.index[-1])}; "
        f"at the last one {fmt_int(movers)} customers changed segment and {fmt_int(new)} were new "
        "(table segment_movers lists the movers with the action of their new segment)."
    )
