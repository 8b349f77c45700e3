"""The report page: every chart the marts allow, as PNG files and embedded in one self-contained HTML page.

`build_report` reads the marts, draws the charts and writes `DIR/segment_report.html` (every chart
embedded as a base64 PNG, no script, nothing fetched when opened) and `DIR/charts/NN_name.png`;
`main` is the command line of `python -m segmentation.report`.
"""

from __future__ import annotations

import argparse
import base64
import html
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from segmentation.money import Currency
from segmentation.report.charts import (
    DEFAULT_MAX_POINTS,
    DEFAULT_SEED,
    chosen_k,
    customer_space_chart,
    customer_space_sentence,
    figure_png,
    fmt_date,
    fmt_int,
    fmt_pct,
    k_selection_chart,
    k_selection_sentence,
    kmeans_vs_rfm_chart,
    kmeans_vs_rfm_sentence,
    monthly_sales_chart,
    monthly_sales_sentence,
    prediction_metrics_chart,
    prediction_metrics_sentence,
    profile_rows,
    quarantine_chart,
    quarantine_sentence,
    segment_profile_chart,
    segment_profile_sentence,
    segment_sizes_chart,
    segment_sizes_sentence,
    top_countries_chart,
    top_countries_sentence,
)
from segmentation.report.history_charts import segment_history_chart, segment_history_sentence
from segmentation.report.marts import Marts, ReportDataError, load_marts

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_WAREHOUSE = PROJECT_DIR / "customer_segmentation.duckdb"
DEFAULT_OUT_DIR = PROJECT_DIR / "reports"
REPORT_FILE = "segment_report.html"
CHARTS_DIR = "charts"

# --------------------------------------------------------------------------------------------------
# Assembling the report


@dataclass(frozen=True)
class Chart:
    """A chart ready to write: file stem, section, title, the one-line reading and the figure."""

    slug: str
    section: str
    title: str
    sentence: str
    figure: Figure


@dataclass(frozen=True)
class ChartFile:
    slug: str
    section: str
    title: str
    sentence: str
    png_path: Path


@dataclass(frozen=True)
class ReportResult:
    html_path: Path
    charts: tuple[ChartFile, ...]
    notes: tuple[str, ...] = ()

    @property
    def chart_paths(self) -> tuple[Path, ...]:
        return tuple(chart.png_path for chart in self.charts)

    @property
    def paths(self) -> tuple[Path, ...]:
        return (self.html_path, *self.chart_paths)


SECTIONS = {
    "segments": "Segments",
    "k": "How many segments",
    "rfm": "KMeans and RFM segments",
    "story": "The data",
    "quality": "Data quality",
    "prediction": "Prediction",
}


def _snapshot_value(marts: Marts, column: str) -> object | None:
    if column in marts.snapshot and len(marts.snapshot):
        return marts.snapshot[column].iloc[0]
    return None


def make_charts(marts: Marts, max_points: int = DEFAULT_MAX_POINTS, seed: int = DEFAULT_SEED) -> list[Chart]:
    """Every chart the marts allow, in report order."""
    start, end = _snapshot_value(marts, "data_start_date"), _snapshot_value(marts, "data_end_date")
    currency = marts.currency
    specs: list[tuple[str, str, Callable[[], Figure], Callable[[], str]]] = [
        (
            "segments",
            "segment_sizes",
            lambda: segment_sizes_chart(marts.profiles),
            lambda: segment_sizes_sentence(marts.profiles, currency),
        ),
        (
            "segments",
            "customer_space",
            lambda: customer_space_chart(
                marts.customers, marts.features, currency, marts.centroids, max_points, seed
            ),
            lambda: customer_space_sentence(marts.customers, marts.features, max_points, seed),
        ),
        (
            "segments",
            "segment_profiles",
            lambda: segment_profile_chart(marts.centroids, currency),
            lambda: segment_profile_sentence(marts.centroids),
        ),
        (
            "k",
            "k_selection",
            lambda: k_selection_chart(marts.k_diagnostics),
            lambda: k_selection_sentence(marts.k_diagnostics),
        ),
        (
            "rfm",
            "kmeans_vs_rfm",
            lambda: kmeans_vs_rfm_chart(marts.crosstab),
            lambda: kmeans_vs_rfm_sentence(marts.crosstab),
        ),
        (
            "story",
            "monthly_sales",
            lambda: monthly_sales_chart(marts.monthly, currency, start, end),
            lambda: monthly_sales_sentence(marts.monthly, currency, start, end),
        ),
        (
            "story",
            "top_countries",
            lambda: top_countries_chart(marts.countries, currency),
            lambda: top_countries_sentence(marts.countries),
        ),
        (
            "quality",
            "quarantine",
            lambda: quarantine_chart(marts.outcomes, currency),
            lambda: quarantine_sentence(marts.outcomes, currency),
        ),
    ]
    if marts.prediction_metrics is not None and len(marts.prediction_metrics):
        specs.append(
            (
                "prediction",
                "prediction_metrics",
                lambda: prediction_metrics_chart(marts.prediction_metrics),
                lambda: prediction_metrics_sentence(marts.prediction_metrics),
            )
        )
    if marts.migrations is not None and len(marts.migrations):
        specs.append(
            (
                "segments",
                "segment_history",
                lambda: segment_history_chart(marts.migrations),
                lambda: segment_history_sentence(marts.migrations),
            )
        )
    charts = []
    for number, (section, name, make_figure, make_sentence) in enumerate(specs, start=1):
        figure = make_figure()
        title = figure.get_suptitle()
        charts.append(Chart(f"{number:02d}_{name}", section, title, make_sentence(), figure))
    return charts


def headline_figures(marts: Marts) -> list[tuple[str, str]]:
    """(label, value) pairs for the header."""
    outcomes = marts.outcomes
    raw_lines = int(outcomes["line_count"].sum())
    by_status = outcomes.groupby("line_status")["line_count"].sum()
    purchase = outcomes[outcomes["line_status"] == "purchase"]
    guest_lines = int(purchase.loc[purchase["is_guest"].astype(bool), "line_count"].sum())
    purchase_lines = int(by_status.get("purchase", 0))
    excluded = int(outcomes.loc[outcomes["exclusion_reason"].astype(str) != "none", "line_count"].sum())
    customers = int(marts.profiles["customer_count"].sum())
    chosen = chosen_k(marts.k_diagnostics)
    figures = [
        ("raw lines read", fmt_int(raw_lines)),
        (
            "clean purchase lines",
            f"{fmt_int(purchase_lines)} ({fmt_pct(purchase_lines / raw_lines if raw_lines else 0)})",
        ),
        ("quarantined lines", f"{fmt_int(excluded)} ({fmt_pct(excluded / raw_lines if raw_lines else 0)})"),
        ("purchase value (incl. guests)", marts.currency.amount(float(purchase["line_value"].sum()))),
        ("customers segmented", fmt_int(customers)),
        ("guest purchase lines", fmt_pct(guest_lines / purchase_lines if purchase_lines else 0)),
        ("segments (chosen k)", str(chosen) if chosen is not None else "-"),
    ]
    start, end = _snapshot_value(marts, "data_start_date"), _snapshot_value(marts, "data_end_date")
    snapshot = _snapshot_value(marts, "snapshot_date")
    if start is not None and end is not None:
        figures.append(("data", f"{fmt_date(start)} – {fmt_date(end)}"))
    if snapshot is not None:
        figures.append(("snapshot date", fmt_date(snapshot)))
    return figures


def profile_columns(currency: Currency) -> list[tuple[str, str, Callable[[object], str]]]:
    """The profile table's columns: (mart column, heading, how a value is written)."""

    def money(value: object) -> str:
        return f"{currency.symbol}{float(value):,.0f}"

    return [
        ("segment_id", "segment", lambda v: str(int(v))),
        ("segment_name", "name", str),
        ("customer_count", "customers", fmt_int),
        ("customer_share", "share of customers", fmt_pct),
        ("revenue_share", "share of revenue", fmt_pct),
        ("median_recency_days", "median recency (days)", lambda v: f"{v:,.0f}"),
        ("median_frequency", "median frequency (invoices)", lambda v: f"{v:,.0f}"),
        ("median_monetary", f"median monetary ({currency.code})", money),
        ("mean_average_order_value", f"mean order value ({currency.code})", money),
        ("recommended_action", "recommended action", str),
    ]


def profile_table_html(profiles: pd.DataFrame, currency: Currency) -> str:
    columns = [spec for spec in profile_columns(currency) if spec[0] in profiles]
    header = "".join(f"<th>{html.escape(label)}</th>" for _c, label, _f in columns)
    body = []
    for _index, row in profile_rows(profiles).iterrows():
        cells = []
        for column, _label, fmt in columns:
            value = row[column]
            text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else fmt(value)
            numeric = column not in ("segment_name", "recommended_action")
            cells.append(f'<td class="{"num" if numeric else "text"}">{html.escape(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="profiles"><thead><tr>{header}</tr></thead><tbody>{"".join(body)}</tbody></table>'


CSS = """
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 0; color: #222;
       background: #fafafa; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; background: white; }
h1 { margin: 0 0 4px; font-size: 28px; }
h2 { margin-top: 40px; border-bottom: 2px solid #1f77b4; padding-bottom: 4px; }
h3 { margin-bottom: 6px; }
.subtitle { color: #555; margin: 0 0 16px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; }
.tile { border: 1px solid #ddd; border-radius: 6px; padding: 10px 12px; background: #f5f8fc; }
.tile .label { font-size: 12px; color: #555; text-transform: uppercase; letter-spacing: .03em; }
.tile .value { font-size: 19px; font-weight: bold; margin-top: 3px; }
figure { margin: 18px 0 28px; }
figure img { width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 15px; margin-top: 6px; }
.note { background: #fff8e1; border-left: 4px solid #f0ad4e; padding: 8px 12px; }
table.profiles { border-collapse: collapse; width: 100%; font-size: 13px; margin: 12px 0 24px; }
table.profiles th, table.profiles td { border-bottom: 1px solid #ddd; padding: 6px 8px; vertical-align: top; }
table.profiles th { background: #f0f4f8; text-align: left; }
td.num { text-align: right; white-space: nowrap; }
footer { margin-top: 40px; font-size: 12px; color: #777; }
"""


def render_html(
    marts: Marts,
    charts: Sequence[tuple[ChartFile, bytes]],
    notes: Sequence[str] = (),
    source: str = "",
    generated_at: datetime | None = None,
) -> str:
    """The page: header figures, then each section's charts (embedded PNG) with their sentence."""
    esc = html.escape
    generated_at = generated_at or datetime.now(timezone.utc)
    tiles = "".join(
        f'<div class="tile"><div class="label">{esc(label)}</div><div class="value">{esc(value)}</div></div>'
        for label, value in headline_figures(marts)
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Customer segment report</title>",
        f"<style>{CSS}</style></head><body><main>",
        "<header><h1>Customer segment report</h1>",
        '<p class="subtitle">RFM features and KMeans segments built by dbt; every figure below is read from '
        "the warehouse marts.</p>",
        f'<div class="tiles">{tiles}</div></header>',
    ]
    by_section: dict[str, list[tuple[ChartFile, bytes]]] = {}
    for chart, png in charts:
        by_section.setdefault(chart.section, []).append((chart, png))
    notes_by_section = {"prediction": [n for n in notes if "prediction" in n.lower()]}
    for key, heading in SECTIONS.items():
        section_charts = by_section.get(key, [])
        section_notes = notes_by_section.get(key, [])
        if not section_charts and not section_notes:
            continue
        parts.append(f'<section id="{esc(key)}"><h2>{esc(heading)}</h2>')
        for chart, png in section_charts:
            encoded = base64.b64encode(png).decode("ascii")
            parts.append(
                f'<figure id="{esc(chart.slug)}">'
                f'<img src="data:image/png;base64,{encoded}" alt="{esc(chart.title)}">'
                f"<figcaption>{esc(chart.sentence)}</figcaption></figure>"
            )
            if chart.slug.endswith("segment_sizes"):
                parts.append("<h3>Segment profiles and recommended actions</h3>")
                parts.append(profile_table_html(marts.profiles, marts.currency))
        parts.extend(f'<p class="note">{esc(note)}</p>' for note in section_notes)
        parts.append("</section>")
    other_notes = [n for n in notes if n not in notes_by_section["prediction"]]
    parts.extend(f'<p class="note">{esc(note)}</p>' for note in other_notes)
    tables = ", ".join(sorted(set(marts.tables.values())))
    parts.append(
        f"<footer>Source: {esc(source)} (tables {esc(tables)}). Generated "
        f"{esc(generated_at.strftime('%Y-%m-%d %H:%M UTC'))} by segmentation.report.</footer>"
    )
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


PREDICTION_MISSING_NOTE = (
    "No prediction_metrics table in the warehouse yet: the comparison of prediction models against "
    "their baselines appears here once the prediction models are built."
)


PREDICTION_EMPTY_NOTE = "The prediction_metrics table is empty: no prediction model has been evaluated yet."


def build_report(
    warehouse: Path,
    out_dir: Path,
    max_points: int = DEFAULT_MAX_POINTS,
    seed: int = DEFAULT_SEED,
) -> ReportResult:
    """Read the marts, draw every chart, write `out_dir/segment_report.html` and `out_dir/charts/*.png`."""
    warehouse, out_dir = Path(warehouse), Path(out_dir)
    marts = load_marts(warehouse)
    charts = make_charts(marts, max_points, seed)
    charts_dir = out_dir / CHARTS_DIR
    charts_dir.mkdir(parents=True, exist_ok=True)
    written: list[tuple[ChartFile, bytes]] = []
    for chart in charts:
        png = figure_png(chart.figure)
        path = charts_dir / f"{chart.slug}.png"
        path.write_bytes(png)
        written.append((ChartFile(chart.slug, chart.section, chart.title, chart.sentence, path), png))
        chart.figure.clear()
    current = {file.png_path.name for file, _png in written}
    for stale in charts_dir.glob("[0-9][0-9]_*.png"):  # charts of an earlier run that this one lacks
        if stale.name not in current:
            stale.unlink()
    notes: tuple[str, ...] = ()
    if marts.prediction_metrics is None:
        notes = (PREDICTION_MISSING_NOTE,)
    elif marts.prediction_metrics.empty:
        notes = (PREDICTION_EMPTY_NOTE,)
    html_path = out_dir / REPORT_FILE
    html_path.write_text(render_html(marts, written, notes, source=warehouse.name), encoding="utf-8")
    return ReportResult(html_path=html_path, charts=tuple(file for file, _png in written), notes=notes)


# --------------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m segmentation.report",
        description="Write the HTML segment report and its PNG charts from the warehouse marts.",
    )
    parser.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="DuckDB file built by dbt")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR, help="output folder (default: reports/)")
    parser.add_argument(
        "--max-points", type=int, default=DEFAULT_MAX_POINTS, help="customers drawn in the scatter at most"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the scatter sample")
    args = parser.parse_args(argv)
    try:
        result = build_report(args.warehouse, args.out, args.max_points, args.seed)
    except ReportDataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Report: {result.html_path}")
    for path in result.chart_paths:
        print(f"Chart:  {path}")
    for note in result.notes:
        print(f"Note:   {note}")
    return 0
