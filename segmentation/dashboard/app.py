"""The customer segments dashboard: `make dashboard` (streamlit run on 127.0.0.1).

It reads the published marts (segmentation.publish), never the warehouse, so a build can run while
it is open; every figure comes from segmentation.dashboard.data.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from segmentation import publish
from segmentation.dashboard import data
from segmentation.money import Currency

TITLE = "Customer segments"
# How long a loaded publication is reused before the pointer is read again (seconds): a new build's
# publication shows up within this time without hammering the disk on every widget change.
RELOAD_SECONDS = 30
CHART_HEIGHT = 320
MONEY = ",.0f"
SHARE = ".1%"
# A categorical palette whose neighbours differ in hue (streamlit's default is shades of blue).
CATEGORY_SCHEME = "tableau10"


@st.cache_data(ttl=RELOAD_SECONDS, show_spinner=False)
def load_current(directory: str, version: str) -> data.DashboardData:
    """The current publication; `version` is only the cache key, so a new publication is a new entry."""
    del version
    return data.load(Path(directory))


def segment_colour() -> alt.Color:
    return alt.Color("segment_name:N", title="Segment", scale=alt.Scale(scheme=CATEGORY_SCHEME))


def sidebar(customers: pd.DataFrame) -> data.Filters:
    st.sidebar.header("Filters")
    countries = st.sidebar.multiselect(
        "Country (customer's main country; invoice country for sales)",
        sorted(customers["main_country"].dropna().unique()),
        key="countries",
    )
    segments = st.sidebar.multiselect(
        "Segment (KMeans)", list(dict.fromkeys(customers["segment_name"])), key="segments"
    )
    return data.Filters(tuple(countries), tuple(segments))


def headline(customers: pd.DataFrame, invoices: pd.DataFrame, currency: Currency) -> None:
    figures = data.headline(customers, invoices)
    # Three to a row: five in one cut their labels short at the page's width.
    first, second = st.columns(3), st.columns(3)
    first[0].metric("Customers", f"{figures['customers']:,}")
    first[1].metric(f"Customers' purchase value ({currency.code})", f"{figures['customer_value']:,.0f}")
    first[2].metric("Purchase invoices", f"{figures['invoices']:,}")
    second[0].metric(
        f"Revenue ({currency.code})",
        f"{figures['revenue']:,.0f}",
        help="Guest purchases included, unless a segment is chosen.",
    )
    second[1].metric(f"Average order value ({currency.code})", f"{figures['average_order_value']:,.2f}")


def segment_section(customers: pd.DataFrame, profiles: pd.DataFrame) -> None:
    st.subheader("Segment sizes, value shares and actions")
    sizes = data.segment_sizes(customers, profiles)
    long = sizes.melt(
        id_vars=["segment_name"], value_vars=["customer_share", "value_share"], var_name="share"
    )
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title="Share", axis=alt.Axis(format="%")),
            y=alt.Y("segment_name:N", title=None),
            yOffset="share:N",
            color=alt.Color("share:N", title=None, scale=alt.Scale(scheme=CATEGORY_SCHEME)),
            tooltip=["segment_name", "share", alt.Tooltip("value:Q", format=SHARE)],
        )
        .properties(height=CHART_HEIGHT)
    )
    st.altair_chart(chart, width="stretch")
    st.dataframe(
        sizes[["segment_name", "customer_count", "customer_share", "value_share", "recommended_action"]],
        hide_index=True,
        column_config={
            "customer_share": st.column_config.NumberColumn(format="percent"),
            "value_share": st.column_config.NumberColumn(format="percent"),
        },
    )


def rfm_scatter(customers: pd.DataFrame, currency: Currency) -> None:
    st.subheader("Customers in R/F/M space")
    sample = data.scatter_sample(customers)
    if len(sample) < len(customers):
        st.caption(f"A random sample of {len(sample):,} of {len(customers):,} customers.")
    points = sample[["customer_id", "segment_name", "recency_days", "frequency", "monetary"]].astype(
        {"monetary": float}
    )
    chart = (
        alt.Chart(points)
        .mark_circle(opacity=0.6)
        .encode(
            x=alt.X("recency_days:Q", title="Recency (days)"),
            y=alt.Y("monetary:Q", title=f"Monetary ({currency.code}, log)", scale=alt.Scale(type="log")),
            size=alt.Size("frequency:Q", title="Frequency (invoices)"),
            color=segment_colour(),
            tooltip=["customer_id", "segment_name", "recency_days", "frequency", "monetary"],
        )
        .properties(height=CHART_HEIGHT)
        .interactive()
    )
    st.altair_chart(chart, width="stretch")


def profiles_section(profiles: pd.DataFrame) -> None:
    st.subheader("Segment profiles")
    columns = ["segment_name", "customer_count"] + [
        column for column in profiles.columns if column.startswith(("mean_", "median_"))
    ]
    st.dataframe(profiles[columns], hide_index=True)


def monthly_section(invoices: pd.DataFrame, currency: Currency) -> None:
    st.subheader("Monthly sales")
    monthly = data.monthly_revenue(invoices)
    chart = (
        alt.Chart(monthly)
        .mark_line(point=True)
        .encode(
            x=alt.X("sales_month:T", title="Month", axis=alt.Axis(format="%b %Y")),
            y=alt.Y("revenue:Q", title=f"Revenue ({currency.code})"),
            tooltip=[alt.Tooltip("sales_month:T", format="%Y-%m"), alt.Tooltip("revenue:Q", format=MONEY)],
        )
        .properties(height=CHART_HEIGHT)
    )
    st.altair_chart(chart, width="stretch")


def quarantine_section(outcomes: pd.DataFrame) -> None:
    st.subheader("Where the raw lines went")
    lines = data.line_outcomes(outcomes)
    chart = (
        alt.Chart(lines)
        .mark_bar()
        .encode(
            x=alt.X("lines:Q", title="Raw lines", scale=alt.Scale(type="symlog")),
            y=alt.Y("outcome:N", title=None, sort="-x"),
            color=alt.Color("line_status:N", title="Status", scale=alt.Scale(scheme=CATEGORY_SCHEME)),
            tooltip=["line_status", "exclusion_reason", "lines", alt.Tooltip("value:Q", format=MONEY)],
        )
        .properties(height=CHART_HEIGHT)
    )
    st.altair_chart(chart, width="stretch")


def models_section(model_metrics: pd.DataFrame) -> None:
    st.subheader("New-customer models against their baselines")
    comparison = data.model_comparison(model_metrics)
    if comparison.empty:
        st.info("No new-customer model metrics in this publication.")
        return
    left, right = st.columns(2)
    target = left.selectbox("Target", list(dict.fromkeys(comparison["target"])), key="model_target")
    for_target = comparison[comparison["target"] == target]
    metric = right.selectbox("Metric", list(dict.fromkeys(for_target["metric"])), key="model_metric")
    shown = for_target[for_target["metric"] == metric]
    long = shown.melt(
        id_vars=["model", "baseline"],
        value_vars=["value", "baseline_value"],
        var_name="score",
        value_name="score_value",
    ).replace({"score": {"value": "model", "baseline_value": "its baseline"}})
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("score_value:Q", title=metric),
            y=alt.Y("model:N", title=None),
            yOffset="score:N",
            color=alt.Color("score:N", title=None, scale=alt.Scale(scheme=CATEGORY_SCHEME)),
            tooltip=["model", "score", "baseline", alt.Tooltip("score_value:Q", format=".3f")],
        )
        .properties(height=CHART_HEIGHT)
    )
    st.altair_chart(chart, width="stretch")
    st.dataframe(comparison, hide_index=True)


def movement_section(history: pd.DataFrame | None, segments: tuple[str, ...]) -> None:
    st.subheader("Segment movement over time")
    movement = data.segment_movement(history, segments)
    if movement is None:
        st.info("No segment history in this publication: the history models were not built.")
        return
    chart = (
        alt.Chart(movement)
        .mark_area()
        .encode(
            x=alt.X("snapshot_date:T", title="Snapshot"),
            y=alt.Y("customers:Q", title="Customers", stack=True),
            color=segment_colour(),
            tooltip=["snapshot_date", "segment_name", "customers"],
        )
        .properties(height=CHART_HEIGHT)
    )
    st.altair_chart(chart, width="stretch")


def lookup_section(current: data.DashboardData) -> None:
    st.subheader("Customer lookup")
    customer_id = st.text_input("Customer id", key="customer_id")
    if not customer_id.strip():
        return
    card = data.lookup(current, customer_id)
    if card is None:
        st.warning(f"No customer {customer_id.strip()!r} in the marts (guests have no id).")
        return
    customer = card.customer
    columns = st.columns(3)
    columns[0].metric("Segment (KMeans)", str(customer["segment_name"]))
    columns[1].metric("RFM segment", f"{customer['rfm_segment']} ({customer['rfm_score']})")
    if card.prediction is None:
        columns[2].metric("Prediction", "none: a full year of history")
    else:
        columns[2].metric(
            f"Predicted next-year value ({current.currency.code})",
            f"{float(card.prediction['predicted_purchase_value']):,.2f}",
        )
    st.dataframe(customer.astype(str).rename("value").to_frame(), key="customer_features")
    if card.prediction is not None:
        st.dataframe(card.prediction.astype(str).rename("value").to_frame(), key="customer_prediction")


def main() -> None:
    st.set_page_config(page_title=TITLE, layout="wide")
    st.title(TITLE)
    directory = data.publication_dir()
    try:
        version = publish.read_pointer(directory) or ""
        current = load_current(str(directory), version)
    except publish.PublicationError as error:
        st.error(str(error))
        return
    coverage = current.coverage.iloc[0]
    st.caption(
        f"Data {pd.Timestamp(coverage['data_start_date']):%Y-%m-%d} to"
        f" {pd.Timestamp(coverage['data_end_date']):%Y-%m-%d}, snapshot"
        f" {pd.Timestamp(coverage['snapshot_date']):%Y-%m-%d}, amounts in {current.currency.code}."
        f" Publication {current.version}."
    )
    filters = sidebar(current.customers)
    customers = data.filter_customers(current.customers, filters)
    invoices = data.filter_invoices(current, filters)
    headline(customers, invoices, current.currency)
    segment_section(customers, current.profiles)
    rfm_scatter(customers, current.currency)
    profiles_section(current.profiles)
    monthly_section(invoices, current.currency)
    quarantine_section(current.outcomes)
    models_section(current.model_metrics)
    movement_section(current.history, filters.segments)
    lookup_section(current)


main()
