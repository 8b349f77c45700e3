"""The HTML segment report: chart functions on hand-made frames, and build_report on a tiny warehouse.

Fast (no dbt build): `create_report_warehouse` writes minimal marts with the columns the report reads.
"""

from __future__ import annotations

import base64
import html
import io
import re
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from segmentation import report
from segmentation.money import Currency
from segmentation.report import charts
from segmentation.report.marts import load_marts
from segmentation.report.page import (
    PREDICTION_EMPTY_NOTE,
    PREDICTION_MISSING_NOTE,
    ChartFile,
    make_charts,
    render_html,
)
from tests.python import browser

FEATURES = ("recency_days", "frequency", "monetary")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NASTY_NAME = 'Big <b>spenders</b> & "co"'
NASTY_ACTION = "<script>alert('x')</script> upsell & retain"
# The UCI files' currency, which the chart tests label by default, and a dollar build's.
POUNDS, DOLLARS = Currency("GBP"), Currency("USD")


# --------------------------------------------------------------------------------------------------
# Hand-made marts


def make_profiles(names: tuple[str, ...] = ("Champions", "Loyal", "Lost")) -> pd.DataFrame:
    counts = np.array([12, 38, 50][: len(names)])
    monetary = np.array([48_000.0, 32_000.0, 20_000.0][: len(names)])
    frame = pd.DataFrame(
        {
            "segment_id": np.arange(1, len(names) + 1),
            "segment_name": list(names),
            "recommended_action": [f"Action for {name}" for name in names],
            "customer_count": counts,
            "customer_share": counts / counts.sum(),
            "segment_monetary": monetary,
            "revenue_share": monetary / monetary.sum(),
            "segment_net_value": monetary * 0.97,
        }
    )
    for feature, base in [
        ("recency_days", 30.0),
        ("frequency", 5.0),
        ("monetary", 900.0),
        ("tenure_days", 200.0),
        ("average_order_value", 180.0),
        ("distinct_products", 40.0),
    ]:
        frame[f"mean_{feature}"] = base * (1 + frame["segment_id"])
        frame[f"median_{feature}"] = base * frame["segment_id"]
    return frame


def make_customers(n: int, n_segments: int = 3, seed: int = 1, features=FEATURES) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    segment_id = np.arange(n) % n_segments + 1
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "segment_id": segment_id,
            "segment_name": [f"Segment {s}" for s in segment_id],
            "distance_to_centroid": rng.uniform(0, 2, n),
        }
    )
    generators = {
        "recency_days": lambda: rng.integers(1, 700, n),
        "frequency": lambda: rng.integers(1, 40, n),
        "monetary": lambda: rng.lognormal(6, 1.2, n).round(2),
        "tenure_days": lambda: rng.integers(0, 700, n) * (np.arange(n) % 5 != 0),  # zeros: not log-able
        "net_value": lambda: rng.normal(100, 300, n),  # negatives
    }
    for feature in features:
        frame[feature] = generators[feature]()
    return frame


def make_centroids(
    names: tuple[str, ...] = ("Champions", "Loyal", "Lost"), features=FEATURES
) -> pd.DataFrame:
    rows = []
    for segment_id, name in enumerate(names, start=1):
        for position, feature in enumerate(features, start=1):
            scaled = (-1.0) ** position * (1.5 - segment_id * 0.7)
            rows.append(
                {
                    "segment_id": segment_id,
                    "segment_name": name,
                    "feature_position": position,
                    "feature": feature,
                    "transform": "log1p",
                    "clip_low": 0.0,
                    "clip_high": 12.0,
                    "scaler_center": 3.0,
                    "scaler_scale": 1.2,
                    "centroid_scaled": scaled,
                    "centroid_original": float(np.expm1(3.0 + 1.2 * scaled)),
                    "segment_mean_original": float(np.expm1(3.2 + 1.2 * scaled)),
                    "segment_customers": 10 * segment_id,
                    "segment_share": segment_id / 6,
                }
            )
    return pd.DataFrame(rows)


def make_k_diagnostics(chosen: int = 3, elbow: int = 4) -> pd.DataFrame:
    k = np.arange(2, 8)
    return pd.DataFrame(
        {
            "k": k,
            "n_customers": 100,
            "n_distinct_profiles": 98,
            "algorithm": "kmeans",
            "inertia": 1000 / k,
            "silhouette": [0.30, 0.42, 0.35, 0.33, 0.31, 0.29],
            "davies_bouldin": [1.1, 0.9, 0.95, 1.0, 1.05, 1.1],
            "calinski_harabasz": 500 - 20 * k,
            "smallest_segment_share": [0.4, 0.2, 0.1, 0.05, 0.015, 0.01],
            "passes_share": [True, True, True, True, False, False],
            "passes_stability": [True, True, True, False, False, False],
            "is_eligible": [True, True, True, False, False, False],
            "is_elbow": k == elbow,
            "stability_ari": [0.95, 0.93, 0.9, 0.85, 0.8, 0.7],
            "seed_ari_min": [1.0, 0.99, 0.97, 0.8, 0.9, 0.6],
            "is_chosen": k == chosen,
            "choice_reason": [
                "highest silhouette (0.4200) among k whose smallest segment holds >= 2.0% of customers"
                if value == chosen
                else f"not chosen (k={chosen} was)"
                for value in k
            ],
        }
    )


def make_crosstab(names: tuple[str, ...] = ("Champions", "Loyal", "Lost")) -> pd.DataFrame:
    cells = [
        (1, "Champions", 8),
        (1, "Loyal customers", 4),
        (2, "Loyal customers", 20),
        (2, "Potential loyalists", 18),
        (3, "Hibernating", 40),
        (3, "At risk", 10),
    ]
    frame = pd.DataFrame(cells, columns=["segment_id", "rfm_segment", "customer_count"])
    frame = frame[frame["segment_id"] <= len(names)].copy()
    frame["segment_name"] = [names[s - 1] for s in frame["segment_id"]]
    frame["share_of_segment"] = frame["customer_count"] / frame.groupby("segment_id")[
        "customer_count"
    ].transform("sum")
    frame["share_of_rfm_segment"] = frame["customer_count"] / frame.groupby("rfm_segment")[
        "customer_count"
    ].transform("sum")
    return frame[
        [
            "segment_id",
            "segment_name",
            "rfm_segment",
            "customer_count",
            "share_of_segment",
            "share_of_rfm_segment",
        ]
    ]


def make_monthly(skip_month: bool = False) -> pd.DataFrame:
    months = pd.date_range("2010-12-01", "2011-12-01", freq="MS")
    if skip_month:
        months = months.delete(3)
    n = len(months)
    purchase = 100_000 + 10_000 * np.arange(n)
    return pd.DataFrame(
        {
            "sales_month": months.date,
            "purchase_value": purchase.astype(float),
            "purchase_invoices": 100 + np.arange(n),
            "purchase_lines": 1_000 + 10 * np.arange(n),
            "active_customers": 50 + np.arange(n),
            "guest_purchase_value": purchase * 0.2,
            "guest_line_share": np.full(n, 0.25),
            "cancelled_value": np.full(n, 2_000.0),
            "cancellation_lines": np.full(n, 20),
        }
    )


def make_countries(n: int = 12) -> pd.DataFrame:
    value = 1_000_000 / (np.arange(n) + 1) ** 2
    return pd.DataFrame(
        {
            "country": ["United Kingdom", *[f"Country {i}" for i in range(1, n)]],
            "purchase_value": value,
            "purchase_invoices": (value / 500).astype(int) + 1,
            "customers": (value / 5000).astype(int) + 1,
            "value_share": value / value.sum(),
        }
    )


def make_outcomes() -> pd.DataFrame:
    rows = [
        ("purchase", "none", False, 9_000, 9_000, 450_000.0),
        ("purchase", "none", True, 2_000, 2_000, 80_000.0),
        ("cancellation", "none", False, 300, 300, -9_000.0),
        ("excluded", "duplicate_row", False, 150, 150, 4_000.0),
        ("excluded", "duplicate_row", True, 50, 50, 1_000.0),
        ("excluded", "non_positive_unit_price", True, 80, 80, 0.0),
        ("excluded", "bad_debt_adjustment", True, 2, 2, -50_000.0),
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "line_status",
            "exclusion_reason",
            "is_guest",
            "line_count",
            "valued_line_count",
            "line_value",
        ],
    )


def make_prediction_metrics() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("gradient_boosting", "next_year_value", "mae", 120.0, 150.0),
            ("linear", "next_year_value", "mae", 140.0, 150.0),
            ("gradient_boosting", "next_year_value", "r2", 0.30, 0.0),
            ("linear", "next_year_value", "r2", 0.20, 0.0),
            ("logistic", "returns_within_year", "roc_auc", 0.71, 0.5),
        ],
        columns=["model", "target", "metric", "value", "baseline_value"],
    )


def create_report_warehouse(
    path: Path,
    *,
    n_customers: int = 90,
    segment_names: tuple[str, ...] = ("Champions", "Loyal", "Lost"),
    recommended_action: str | None = None,
    prediction_metrics: pd.DataFrame | None = None,
    skip: tuple[str, ...] = (),
    currency: Currency = POUNDS,
) -> Path:
    """A DuckDB file holding minimal copies of every mart the report reads."""
    profiles = make_profiles(segment_names)
    if recommended_action is not None:
        profiles["recommended_action"] = recommended_action
    customers = make_customers(n_customers, len(segment_names))
    customers["segment_name"] = [segment_names[s - 1] for s in customers["segment_id"]]
    tables = {
        "data_coverage": pd.DataFrame(
            {
                "data_start_date": [date(2010, 12, 1)],
                "data_end_date": [date(2011, 12, 9)],
                "snapshot_date": [date(2011, 12, 10)],
                "is_snapshot_date_from_var": [False],
                "currency": [currency.code],
            }
        ),
        "segment_profiles": profiles,
        "customers_segmented": customers,
        "segment_model_parameters": make_centroids(segment_names),
        "segment_k_selection": make_k_diagnostics(chosen=len(segment_names)),
        "segment_rfm_crosstab": make_crosstab(segment_names),
        "monthly_sales": make_monthly(),
        "country_sales": make_countries(),
        "transaction_line_outcomes": make_outcomes(),
    }
    if prediction_metrics is not None:
        tables["new_customer_model_metrics"] = prediction_metrics
    with duckdb.connect(str(path)) as con:
        for name, frame in tables.items():
            if name in skip:
                continue
            con.register("frame", frame)
            con.execute(f"create or replace table {name} as select * from frame")
            con.unregister("frame")
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return create_report_warehouse(tmp_path / "warehouse.duckdb")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> report.ReportResult:
    """One report shared by the HTML checks: markup in the names, and a stale chart of an earlier run."""
    folder = tmp_path_factory.mktemp("report")
    warehouse = create_report_warehouse(
        folder / "warehouse.duckdb",
        segment_names=(NASTY_NAME, "Loyal", "Lost"),
        recommended_action=NASTY_ACTION,
    )
    stale = folder / "out" / "charts" / "09_prediction_metrics.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(PNG_MAGIC)
    return report.build_report(warehouse, folder / "out")


# --------------------------------------------------------------------------------------------------
# Helpers


def data_axes(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def assert_titled_and_labelled(fig: Figure, *, every_xlabel: bool = True) -> None:
    assert fig.get_suptitle().strip(), "figure has no title"
    axes = data_axes(fig)
    assert axes
    for ax in axes:
        assert ax.get_ylabel().strip(), f"axes {ax.get_title()!r} has no y label"
        if every_xlabel:
            assert ax.get_xlabel().strip(), f"axes {ax.get_title()!r} has no x label"
    assert any(ax.get_xlabel().strip() for ax in axes)


def scatter_points(ax, exclude_marker_size: float = 100) -> int:
    """Points drawn by customer scatters (centroid crosses are drawn larger and are left out)."""
    return sum(
        len(collection.get_offsets())
        for collection in ax.collections
        if len(collection.get_sizes()) and collection.get_sizes()[0] < exclude_marker_size
    )


# --------------------------------------------------------------------------------------------------
# Formatting


def test_formatters():
    assert charts.fmt_pct(0.456) == "46%"
    assert charts.fmt_pct(0.086) == "8.6%"
    assert charts.fmt_pct(0.0004) == "<0.1%"
    assert charts.feature_label("recency_days", DOLLARS) == "recency (days)"
    assert charts.feature_label("monetary", DOLLARS) == "monetary (USD)"
    assert charts.feature_label("something_new", DOLLARS) == "something new (value)"
    assert charts.fmt_feature_value(12_345.0, "net_value", DOLLARS) == "$12k"


# --------------------------------------------------------------------------------------------------
# 1. Segment sizes


def test_segment_sizes_chart_has_two_bars_per_segment():
    profiles = make_profiles()
    fig = charts.segment_sizes_chart(profiles)
    assert_titled_and_labelled(fig)
    (ax,) = data_axes(fig)
    assert len(ax.patches) == 2 * len(profiles)
    assert "%" in ax.get_xlabel()
    assert [t.get_text().split("\n")[0] for t in ax.get_yticklabels()] == [
        "1 · Champions",
        "2 · Loyal",
        "3 · Lost",
    ]


def test_chart_text_from_the_data_is_drawn_as_text_not_mathematics():
    # A Text keeps its string either way; what differs is what is drawn. The SVG, with its text
    # kept as text, holds the name as written only if '$pender$' was not typeset as mathematics.
    fig = charts.segment_sizes_chart(make_profiles(("Big $pender$", "A_b^c", "Lost")))
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = ElementTree.fromstring(buffer.getvalue())
    drawn = ["".join(text.itertext()) for text in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "1 · Big $pender$" in drawn
    assert "2 · A_b^c" in drawn


def test_segment_sizes_sentence_is_computed_from_the_data():
    sentence = charts.segment_sizes_sentence(make_profiles(), POUNDS)
    assert sentence.startswith("Segment 1 'Champions' holds 12% of customers (12) and 48% of revenue")
    assert "segment 3 'Lost', holds 50% of customers and 20% of revenue" in sentence


# --------------------------------------------------------------------------------------------------
# 2. Customers in feature space


def test_sample_customers_keeps_small_sets_whole():
    customers = make_customers(40)
    sample = charts.sample_customers(customers.sample(frac=1, random_state=3), max_points=50, seed=0)
    assert len(sample) == 40
    assert sample["customer_id"].is_monotonic_increasing


def test_sample_customers_is_seeded_and_ignores_row_order():
    customers = make_customers(6_000)
    first = charts.sample_customers(customers, max_points=5_000, seed=0)
    shuffled = charts.sample_customers(customers.sample(frac=1, random_state=9), max_points=5_000, seed=0)
    other_seed = charts.sample_customers(customers, max_points=5_000, seed=1)
    assert len(first) == 5_000
    assert first["customer_id"].is_unique
    pd.testing.assert_frame_equal(first, shuffled)
    assert set(first["customer_id"]) != set(other_seed["customer_id"])


def test_customer_space_chart_plots_every_customer_in_three_panels():
    customers = make_customers(90)
    fig = charts.customer_space_chart(customers, FEATURES, POUNDS, make_centroids(), max_points=5_000)
    assert_titled_and_labelled(fig)
    axes = data_axes(fig)
    assert len(axes) == 3  # recency×frequency, recency×monetary, frequency×monetary
    for ax in axes:
        assert scatter_points(ax) == 90
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        assert "log scale" in ax.get_xlabel()
    assert "(GBP)" in axes[1].get_ylabel()
    assert fig.legends and len(fig.legends[0].get_texts()) == 3


def test_customer_space_chart_samples_large_sets_and_says_so():
    customers = make_customers(120)
    fig = charts.customer_space_chart(customers, FEATURES, POUNDS, max_points=50, seed=0)
    assert all(scatter_points(ax) == 50 for ax in data_axes(fig))
    sentence = charts.customer_space_sentence(customers, FEATURES, max_points=50, seed=0)
    assert "seeded random sample of 50 of 120 customers (seed 0)" in sentence
    assert "All 90 customers" in charts.customer_space_sentence(make_customers(90), FEATURES)


def test_customer_space_chart_handles_other_feature_columns():
    customers = make_customers(60, features=("frequency", "tenure_days", "net_value", "monetary"))
    features = ("frequency", "tenure_days", "net_value", "monetary")
    fig = charts.customer_space_chart(customers, features, POUNDS)
    axes = data_axes(fig)
    assert len(axes) == 6  # every pair of four features
    tenure_axis = next(ax for ax in axes if ax.get_xlabel().startswith("tenure"))
    assert tenure_axis.get_xscale() == "symlog"  # zero tenure cannot go on a log axis
    assert "symlog" in tenure_axis.get_xlabel()
    single = charts.customer_space_chart(customers, ("monetary",), POUNDS)
    assert len(data_axes(single)) == 1
    assert scatter_points(data_axes(single)[0]) == 60


def test_customer_space_chart_ignores_features_the_table_lacks():
    customers = make_customers(30)
    fig = charts.customer_space_chart(customers, ("recency_days", "frequency", "not_a_column"), POUNDS)
    assert len(data_axes(fig)) == 1
    with pytest.raises(ValueError, match="at least one feature"):
        charts.customer_space_chart(customers, ("not_a_column",), POUNDS)


# --------------------------------------------------------------------------------------------------
# 3. Profile heatmap


def test_segment_profile_chart_is_an_annotated_segment_by_feature_grid():
    centroids = make_centroids()
    fig = charts.segment_profile_chart(centroids, POUNDS)
    assert_titled_and_labelled(fig)
    (ax,) = data_axes(fig)
    (image,) = ax.get_images()
    assert image.get_array().shape == (3, 3)
    assert len(ax.texts) == 9
    assert ax.texts[0].get_text() == "-0.80 SD\nmean 8 days"  # expm1(3.2 + 1.2 × -0.8)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1 · Champions", "2 · Loyal", "3 · Lost"]
    colorbar = next(a for a in fig.axes if a.get_label() == "<colorbar>")
    assert "SD" in colorbar.get_ylabel()
    sentence = charts.segment_profile_sentence(centroids)
    assert "the most distinctive is 1 · Champions on recency_days at -0.80 SD" in sentence
    assert "standard deviations" in sentence and "log1p" in sentence


# --------------------------------------------------------------------------------------------------
# 4. k selection


def test_k_selection_chart_marks_chosen_k_and_elbow():
    diagnostics = make_k_diagnostics(chosen=3, elbow=4)
    fig = charts.k_selection_chart(diagnostics)
    assert_titled_and_labelled(fig)
    assert "chosen k = 3" in fig.get_suptitle()
    axes = data_axes(fig)
    assert [ax.get_title().split(" (")[0] for ax in axes] == [
        "Silhouette",
        "Inertia",
        "Davies-Bouldin",
        "Stability: bootstrap",
    ]
    for ax in axes:
        assert any(list(line.get_xdata()) == [3, 3] for line in ax.get_lines()), "chosen k line missing"
    legend_texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"chosen k = 3", "elbow k = 4", "not eligible (a segment too small, or unstable)"} <= set(
        legend_texts
    )
    sentence = charts.k_selection_sentence(diagnostics)
    # first in a marketer's words, then the rule's own reason
    assert sentence.startswith("The customers fall into 3 segments.")
    assert "smallest segment holds 20% of customers, and reruns agree 93% / 99% with it" in sentence
    assert "With 5 segments the split changes from run to run." in sentence
    assert "With 6, 7 segments one segment is too small to act on." in sentence
    assert "In detail, k = 3: highest silhouette (0.4200)" in sentence
    assert "planted" not in sentence  # real data: no planted types


def test_k_selection_shows_planted_type_ari_on_synthetic_data():
    diagnostics = make_k_diagnostics(chosen=3).assign(planted_type_ari=[0.2, 0.31, 0.33, 0.1, 0.1, 0.1])
    fig = charts.k_selection_chart(diagnostics)
    assert data_axes(fig)[-1].get_title() == "Planted customer types recovered"
    sentence = charts.k_selection_sentence(diagnostics)
    assert "k = 3 reaches an ARI of 0.31 (best in the range: 0.33 at k = 4)" in sentence
    assert "elbow is at k = 4" in sentence


def test_k_selection_without_stability_or_elbow():
    diagnostics = make_k_diagnostics(chosen=2, elbow=99).drop(columns="stability_ari")
    fig = charts.k_selection_chart(diagnostics)
    assert len(data_axes(fig)) == 3
    assert "no clear elbow" in charts.k_selection_sentence(diagnostics)


# --------------------------------------------------------------------------------------------------
# 5. KMeans vs RFM


def test_kmeans_vs_rfm_chart_rows_are_shares_of_each_segment():
    crosstab = make_crosstab()
    fig = charts.kmeans_vs_rfm_chart(crosstab)
    assert_titled_and_labelled(fig)
    (ax,) = data_axes(fig)
    (image,) = ax.get_images()
    grid = np.asarray(image.get_array())
    assert grid.shape == (3, crosstab["rfm_segment"].nunique())
    np.testing.assert_allclose(grid.sum(axis=1), 100)
    assert ax.get_xticklabels()[0].get_text() == "Hibernating"  # largest RFM segment first
    sentence = charts.kmeans_vs_rfm_sentence(crosstab)
    assert "1 · Champions → 'Champions' (67%)" in sentence
    assert "3 · Lost → 'Hibernating' (80%)" in sentence


# --------------------------------------------------------------------------------------------------
# 6. Data story


def test_monthly_sales_chart_has_three_panels_and_fills_gaps():
    monthly = make_monthly(skip_month=True)
    fig = charts.monthly_sales_chart(monthly, POUNDS, date(2010, 12, 1), date(2011, 12, 9))
    assert_titled_and_labelled(fig, every_xlabel=False)
    value_ax, cancel_ax, guest_ax = data_axes(fig)
    # identified and guest bars for every month, the missing one included (as zero)
    assert [len(bars) for bars in value_ax.containers] == [13, 13]
    assert [len(bars) for bars in cancel_ax.containers] == [13]
    assert value_ax.containers[0].datavalues[3] == 0
    assert "GBP" in value_ax.get_ylabel() and "%" in guest_ax.get_ylabel()
    assert any("partial month" in text.get_text() for text in value_ax.texts)
    sentence = charts.monthly_sales_sentence(monthly, POUNDS, date(2010, 12, 1), date(2011, 12, 9))
    assert sentence.startswith("Purchase value peaks in Dec 2011")
    assert "guests place 25% of purchase lines and 20% of the value" in sentence
    assert "Dec 2011 (data to 9 Dec 2011)" in sentence


def test_top_countries_chart_shows_ten_bars():
    countries = make_countries(12)
    fig = charts.top_countries_chart(countries, POUNDS)
    assert_titled_and_labelled(fig)
    (ax,) = data_axes(fig)
    assert len(ax.patches) == 10
    assert ax.get_yticklabels()[0].get_text() == "United Kingdom"
    sentence = charts.top_countries_sentence(countries)
    assert sentence.startswith("United Kingdom accounts for 64% of purchase value")
    assert "the other 2 countries" in sentence


# --------------------------------------------------------------------------------------------------
# 7. Quarantine


def test_quarantine_chart_stacks_guests_per_reason():
    outcomes = make_outcomes()
    fig = charts.quarantine_chart(outcomes, POUNDS)
    assert_titled_and_labelled(fig)
    (ax,) = data_axes(fig)
    assert len(ax.patches) == 2 * 3  # identified and guest bar for each of the three reasons
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "duplicate_row",
        "non_positive_unit_price",
        "bad_debt_adjustment",
    ]
    sentence = charts.quarantine_sentence(outcomes, POUNDS)
    assert sentence.startswith("282 of 11,582 raw lines (2.4%) were quarantined, most for duplicate_row")
    assert "11,000 are clean purchases and 300 cancellations" in sentence


def test_quarantine_chart_without_quarantine():
    outcomes = make_outcomes().query("line_status != 'excluded'")
    fig = charts.quarantine_chart(outcomes, POUNDS)
    assert fig.get_suptitle()
    assert charts.quarantine_sentence(outcomes, POUNDS).startswith(
        "None of the 11,300 raw lines was quarantined"
    )


# --------------------------------------------------------------------------------------------------
# 8. Prediction metrics


def test_prediction_metrics_chart_one_panel_per_target_and_metric():
    metrics = make_prediction_metrics()
    fig = charts.prediction_metrics_chart(metrics)
    assert_titled_and_labelled(fig)
    axes = data_axes(fig)
    assert [ax.get_title() for ax in axes] == [
        "next_year_value:\nmae",
        "next_year_value:\nr2",
        "returns_within_year:\nroc_auc",
    ]
    assert [len(ax.patches) for ax in axes] == [2, 2, 1]  # one bar per model, the baseline a line
    assert [len(ax.lines) for ax in axes] == [1, 1, 1]
    assert "lower is better" in axes[0].get_xlabel() and "higher is better" in axes[2].get_xlabel()
    # numbers are written once each, in a column right of every bar and of the baseline
    texts = [t for t in axes[0].texts]
    assert [t.get_text() for t in texts] == ["120", "140"]
    assert min(t.get_position()[0] for t in texts) > 150
    # drawn at the page's width, so the PNG is shown at its own size
    assert fig.get_figwidth() * charts.PNG_DPI == 1100 - 2 * 32
    assert charts.lower_is_better("rmse") and not charts.lower_is_better("roc_auc")
    assert charts.prediction_metrics_sentence(metrics).startswith("Models beat their baseline on 5 of 5")


# --------------------------------------------------------------------------------------------------
# Loading and the whole report


def test_load_marts_reads_features_from_the_centroids(warehouse):
    marts = load_marts(warehouse)
    assert marts.features == FEATURES
    assert list(marts.customers.columns) == [
        "customer_id",
        "segment_id",
        "segment_name",
        "distance_to_centroid",
        *FEATURES,
    ]
    assert marts.prediction_metrics is None
    assert marts.tables["k_diagnostics"] == "segment_k_selection"


def test_load_marts_names_missing_marts(tmp_path):
    path = create_report_warehouse(tmp_path / "w.duckdb", skip=("segment_profiles", "monthly_sales"))
    with pytest.raises(report.ReportDataError, match="lacks segment_profiles, monthly_sales"):
        load_marts(path)
    with pytest.raises(report.ReportDataError, match="not found"):
        load_marts(tmp_path / "absent.duckdb")


def drawn_text(fig: Figure) -> str:
    """Every string the figure draws (tick labels included), from its SVG with text kept as text."""
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = ElementTree.fromstring(buffer.getvalue())
    return "\n".join("".join(text.itertext()) for text in svg.iter("{http://www.w3.org/2000/svg}text"))


@pytest.mark.parametrize(
    ("currency", "other"), [(DOLLARS, POUNDS), (POUNDS, DOLLARS)], ids=["dollar build", "default pounds"]
)
def test_every_money_label_is_in_the_currency_of_the_build(
    tmp_path: Path, currency: Currency, other: Currency
) -> None:
    warehouse = create_report_warehouse(tmp_path / "w.duckdb", currency=currency)
    drawn = "\n".join(drawn_text(chart.figure) for chart in make_charts(load_marts(warehouse)))
    page = report.build_report(warehouse, tmp_path / "out").html_path.read_text(encoding="utf-8")
    # The embedded PNGs are base64, whose letters may spell any code by chance.
    page = re.sub(r"data:image/png;base64,[^\"]+", "", page)
    for text in (drawn, page):
        assert currency.code in text and currency.symbol in text
        assert other.code not in text and other.symbol not in text


def test_build_report_writes_html_and_every_chart(built):
    assert built.html_path.name == "segment_report.html"
    assert [chart.slug for chart in built.charts] == [
        "01_segment_sizes",
        "02_customer_space",
        "03_segment_profiles",
        "04_k_selection",
        "05_kmeans_vs_rfm",
        "06_monthly_sales",
        "07_top_countries",
        "08_quarantine",
    ]
    for chart in built.charts:
        assert chart.png_path.parent == built.html_path.parent / "charts"
        assert chart.png_path.read_bytes().startswith(PNG_MAGIC)
        assert chart.title and chart.sentence.endswith(".")
    assert built.paths == (built.html_path, *built.chart_paths)


def test_html_is_self_contained_and_embeds_every_chart(built):
    page = built.html_path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert "<script" not in page.lower() and "<link" not in page.lower()
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) == len(built.charts)
    assert all(source.startswith("data:image/png;base64,") for source in sources)
    embedded = {base64.b64decode(source.split(",", 1)[1]) for source in sources}
    assert embedded == {chart.png_path.read_bytes() for chart in built.charts}
    for chart in built.charts:  # each sentence sits under its chart
        assert f"<figcaption>{html.escape(chart.sentence)}</figcaption>" in page


def test_html_has_headline_figures_and_profile_table(built):
    page = built.html_path.read_text(encoding="utf-8")
    for label, value in [
        ("raw lines read", "11,582"),
        ("customers segmented", "100"),
        ("segments (chosen k)", "3"),
        ("snapshot date", "10 Dec 2011"),
        ("data", "1 Dec 2010 – 9 Dec 2011"),
    ]:
        assert f'<div class="label">{label}</div><div class="value">{value}</div>' in page
    assert '<table class="profiles">' in page
    assert page.count("upsell &amp; retain</td>") == 3  # a row per segment


def test_missing_prediction_metrics_is_a_note_not_a_failure(built):
    page = built.html_path.read_text(encoding="utf-8")
    assert built.notes == (PREDICTION_MISSING_NOTE,)
    assert "No prediction_metrics table in the warehouse yet" in page
    assert not any("prediction" in chart.slug for chart in built.charts)


def test_stale_charts_of_an_earlier_run_are_removed(built):
    assert not (built.html_path.parent / "charts" / "09_prediction_metrics.png").exists()
    assert len(list((built.html_path.parent / "charts").glob("*.png"))) == len(built.charts)


def test_empty_prediction_metrics_is_a_note_too(tmp_path):
    path = create_report_warehouse(
        tmp_path / "w.duckdb", prediction_metrics=make_prediction_metrics().head(0)
    )
    marts = load_marts(path)
    assert marts.prediction_metrics is not None and marts.prediction_metrics.empty
    assert not any(chart.section == "prediction" for chart in make_charts(marts))
    written = [(ChartFile("01_x", "segments", "x", "x.", tmp_path / "x.png"), b"png")]
    page = render_html(marts, written, (PREDICTION_EMPTY_NOTE,))
    assert "The prediction_metrics table is empty" in page


def test_text_from_the_warehouse_is_escaped(built):
    page = built.html_path.read_text(encoding="utf-8")
    assert "<b>spenders</b>" not in page and "<script>" not in page
    assert "Big &lt;b&gt;spenders&lt;/b&gt; &amp; &quot;co&quot;" in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; upsell &amp; retain" in page


def test_main_writes_the_report_with_the_prediction_section(tmp_path, capsys):
    path = create_report_warehouse(tmp_path / "w.duckdb", prediction_metrics=make_prediction_metrics())
    out = tmp_path / "reports"
    assert report.main(["--warehouse", str(path), "--out", str(out), "--max-points", "40"]) == 0
    printed = capsys.readouterr().out
    assert f"Report: {out / 'segment_report.html'}" in printed
    assert printed.count("Chart:  ") == 9
    assert str(out / "charts" / "02_customer_space.png") in printed
    assert str(out / "charts" / "09_prediction_metrics.png") in printed
    assert "Note:" not in printed
    page = (out / "segment_report.html").read_text(encoding="utf-8")
    assert "seeded random sample of 40 of 90 customers" in page
    assert page.count('<img src="data:image/png;base64,') == 9
    assert "Models beat their baseline on 5 of 5" in page
    assert "No prediction_metrics table" not in page


def test_main_reports_a_missing_warehouse(tmp_path, capsys):
    assert report.main(["--warehouse", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "o")]) == 1
    assert "run `python -m segmentation.pipeline` first" in capsys.readouterr().err


def test_check_page_says_when_the_browser_is_missing(tmp_path):
    with pytest.raises(browser.BrowserError, match="apt-get install chromium"):
        browser.check_page("about:blank", None, chromium=tmp_path / "no-chromium")
