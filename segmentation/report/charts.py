"""The report's charts: matplotlib Figures drawn from mart DataFrames, each with the sentence that reads it.

Chart functions (`*_chart`) take DataFrames and return a Figure on an Agg canvas (no pyplot state);
sentence functions (`*_sentence`) say in one line what a chart shows. The formatting helpers are
shared by both and by the page.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math
import re
from collections.abc import Iterator, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from segmentation.money import Currency

DEFAULT_MAX_POINTS = 5_000
DEFAULT_SEED = 0
PNG_DPI = 120

# The unit of a feature in money: written as the build's currency code in labels.
MONEY = "money"
FEATURE_UNITS = {
    "recency_days": "days",
    "frequency": "purchase invoices",
    "monetary": MONEY,
    "tenure_days": "days",
    "average_order_value": MONEY,
    "distinct_products": "products",
    "total_units": "units",
    "net_value": MONEY,
    "cancellation_count": "cancellation invoices",
    "cancellation_value": MONEY,
    "recent_window_frequency": "purchase invoices",
}
LOWER_IS_BETTER = re.compile(r"mae|mse|rmse|mape|error|loss|brier|deviance", re.IGNORECASE)

STYLE = {
    "text.parse_math": False,  # names from the data may hold '$'
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
}
SEGMENT_COLORS = matplotlib.colormaps["tab10"].colors
MODEL_COLOR, BASELINE_COLOR, ACCENT = "#1f77b4", "#b0b0b0", "#d62728"


# --------------------------------------------------------------------------------------------------
# Formatting helpers


def fmt_int(value: float) -> str:
    return f"{round(float(value)):,}"


def fmt_pct(share: float) -> str:
    """A share 0..1 as a percentage with sensible precision."""
    pct = float(share) * 100
    if pct == 0:
        return "0%"
    if abs(pct) < 0.1:
        return "<0.1%"
    if abs(pct) < 10:
        return f"{pct:.1f}%"
    return f"{pct:.0f}%"


def fmt_month(value: object) -> str:
    return pd.Timestamp(value).strftime("%b %Y")


def fmt_date(value: object) -> str:
    return pd.Timestamp(value).strftime("%-d %b %Y")


def feature_unit(feature: str) -> str:
    return FEATURE_UNITS.get(feature, "value")


def feature_label(feature: str, currency: Currency) -> str:
    unit = feature_unit(feature)
    name = feature.removesuffix("_days") if unit == "days" else feature
    return f"{name.replace('_', ' ')} ({currency.code if unit == MONEY else unit})"


def fmt_feature_value(value: float, feature: str, currency: Currency) -> str:
    unit = feature_unit(feature)
    if unit == MONEY:
        return currency.amount(value)
    if unit == "days":
        return f"{value:,.0f} days"
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def segment_label(segment_id: object, segment_name: object) -> str:
    return f"{int(segment_id)} · {segment_name}"


def segment_color(segment_id: object) -> tuple[float, float, float]:
    return SEGMENT_COLORS[(int(segment_id) - 1) % len(SEGMENT_COLORS)]


def _money_formatter(currency: Currency) -> FuncFormatter:
    return FuncFormatter(lambda value, _pos: currency.tick(value))


def _plain_formatter() -> FuncFormatter:
    return FuncFormatter(lambda value, _pos: f"{value:,.0f}" if abs(value) >= 1 else f"{value:g}")


@contextlib.contextmanager
def _style() -> Iterator[None]:
    with matplotlib.rc_context(STYLE):
        yield


def _figure(width: float, height: float) -> Figure:
    """A Figure on an Agg canvas, without pyplot (no global state, freed by the garbage collector)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Figure, dpi: int = PNG_DPI) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# 1. Segment sizes and revenue share


def profile_rows(profiles: pd.DataFrame) -> pd.DataFrame:
    return profiles.sort_values("segment_id").reset_index(drop=True)


def segment_sizes_chart(profiles: pd.DataFrame) -> Figure:
    """Share of customers beside share of revenue, one pair of bars per segment."""
    rows = profile_rows(profiles)
    with _style():
        fig = _figure(9, 1.6 + 0.75 * len(rows))
        ax = fig.add_subplot()
        positions = np.arange(len(rows))
        height = 0.38
        customer_pct = rows["customer_share"].astype(float) * 100
        revenue_pct = rows["revenue_share"].astype(float) * 100
        colors = [segment_color(s) for s in rows["segment_id"]]
        customers = ax.barh(
            positions - height / 2, customer_pct, height, color=colors, alpha=0.45, label="share of customers"
        )
        revenue = ax.barh(
            positions + height / 2,
            revenue_pct,
            height,
            color=colors,
            label="share of revenue (purchase value)",
        )
        for bars in (customers, revenue):
            ax.bar_label(bars, labels=[fmt_pct(b.get_width() / 100) for b in bars], padding=3, fontsize=9)
        ax.set_yticks(
            positions,
            [
                f"{segment_label(r.segment_id, r.segment_name)}\n{fmt_int(r.customer_count)} customers"
                for r in rows.itertuples()
            ],
        )
        ax.invert_yaxis()
        ax.set_xlim(0, max(100.0, float(max(customer_pct.max(), revenue_pct.max())) * 1.12))
        ax.xaxis.set_major_formatter(PercentFormatter())
        ax.set_xlabel("share of all segmented customers / of their purchase value (%)")
        ax.set_ylabel("KMeans segment")
        ax.grid(axis="y", visible=False)
        legend = [  # grey proxies: the bars carry each segment's colour, light and full
            Patch(color="grey", alpha=0.45, label=customers.get_label()),
            Patch(color="grey", label=revenue.get_label()),
        ]
        fig.legend(handles=legend, loc="outside lower center", ncols=2)
        fig.suptitle("Segment sizes and revenue share")
    return fig


def segment_sizes_sentence(profiles: pd.DataFrame, currency: Currency) -> str:
    rows = profile_rows(profiles)
    top = rows.loc[rows["revenue_share"].astype(float).idxmax()]
    sentence = (
        f"Segment {int(top.segment_id)} '{top.segment_name}' holds {fmt_pct(top.customer_share)} of "
        f"customers ({fmt_int(top.customer_count)}) and {fmt_pct(top.revenue_share)} of revenue "
        f"({currency.amount(top.segment_monetary)})"
    )
    largest = rows.loc[rows["customer_share"].astype(float).idxmax()]
    if int(largest.segment_id) != int(top.segment_id):
        sentence += (
            f"; the largest, segment {int(largest.segment_id)} '{largest.segment_name}', holds "
            f"{fmt_pct(largest.customer_share)} of customers and {fmt_pct(largest.revenue_share)} of revenue"
        )
    return sentence + "."


# --------------------------------------------------------------------------------------------------
# 2. Customers in (log) feature space


def sample_customers(
    customers: pd.DataFrame, max_points: int = DEFAULT_MAX_POINTS, seed: int = DEFAULT_SEED
) -> pd.DataFrame:
    """All customers when there are at most `max_points`, else a seeded random sample of that size.

    Sorted by customer id first, so the sample depends only on the data and the seed, not on row order.
    """
    ordered = customers.sort_values("customer_id", kind="stable").reset_index(drop=True)
    if len(ordered) <= max_points:
        return ordered
    return ordered.sample(n=max_points, random_state=seed).sort_values("customer_id").reset_index(drop=True)


def _set_feature_scale(ax: object, axis: str, values: pd.Series) -> str:
    """Log scale when every value is positive, else symlog (zeros, negative net values)."""
    setter = ax.set_xscale if axis == "x" else ax.set_yscale
    finite = values[np.isfinite(values)]
    if len(finite) and float(finite.min()) > 0:
        setter("log")
        suffix = "log scale"
    else:
        setter("symlog", linthresh=1)
        suffix = "symlog scale"
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(_plain_formatter())
    return suffix


def customer_space_chart(
    customers: pd.DataFrame,
    features: Sequence[str],
    currency: Currency,
    centroids: pd.DataFrame | None = None,
    max_points: int = DEFAULT_MAX_POINTS,
    seed: int = DEFAULT_SEED,
) -> Figure:
    """Customers on log axes, one panel per feature pair (first four features), coloured by segment.

    Crosses mark the centroids (in original units) when `centroids` is given.
    """
    features = [f for f in features if f in customers.columns][:4]
    if not features:
        raise ValueError("customer_space_chart needs at least one feature column")
    sample = sample_customers(customers, max_points, seed)
    pairs = list(itertools.combinations(features, 2)) or [(features[0], None)]
    n_cols = min(3, len(pairs))
    n_rows = math.ceil(len(pairs) / n_cols)
    segments = (
        sample.groupby(["segment_id", "segment_name"], as_index=False)
        .size()
        .sort_values("size", ascending=False)
    )
    with _style():
        fig = _figure(3.7 * n_cols + 0.4, 3.6 * n_rows + 1.0)
        axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
        for ax in axes[len(pairs) :]:
            ax.set_visible(False)
        for ax, (x_feature, y_feature) in zip(axes, pairs, strict=False):
            x_values = sample[x_feature].astype(float)
            if y_feature is None:
                ids = sample["segment_id"].astype(int)
                jitter = np.random.default_rng(seed).uniform(-0.3, 0.3, len(sample))
                y_values = ids + jitter
            else:
                y_values = sample[y_feature].astype(float)
            for segment in segments.itertuples():
                mask = (sample["segment_id"] == segment.segment_id).to_numpy()
                ax.scatter(
                    x_values[mask],
                    y_values[mask],
                    s=6,
                    alpha=0.45,
                    linewidths=0,
                    color=segment_color(segment.segment_id),
                    label=segment_label(segment.segment_id, segment.segment_name),
                    rasterized=True,
                )
            x_scale = _set_feature_scale(ax, "x", x_values)
            ax.set_xlabel(f"{feature_label(x_feature, currency)}, {x_scale}")
            if y_feature is None:
                ax.set_ylabel("KMeans segment (id, jittered)")
                ax.set_title(f"{x_feature} by segment")
            else:
                y_scale = _set_feature_scale(ax, "y", y_values)
                ax.set_ylabel(f"{feature_label(y_feature, currency)}, {y_scale}")
                ax.set_title(f"{y_feature} vs {x_feature}")
                if centroids is not None and len(centroids):
                    wide = centroids.pivot_table(
                        index="segment_id", columns="feature", values="centroid_original", aggfunc="first"
                    )
                    if x_feature in wide and y_feature in wide:
                        for segment_id, row in wide.iterrows():
                            ax.scatter(
                                row[x_feature],
                                row[y_feature],
                                marker="X",
                                s=120,
                                color=segment_color(segment_id),
                                edgecolors="black",
                                linewidths=1.2,
                                zorder=5,
                            )
        handles, labels = axes[0].get_legend_handles_labels()
        in_id_order = sorted(zip(labels, handles, strict=True), key=lambda pair: int(pair[0].split(" ")[0]))
        labels, handles = [label for label, _h in in_id_order], [handle for _l, handle in in_id_order]
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=min(len(labels), 5),
            markerscale=3,
            title="KMeans segment (crosses: segment centres)" if centroids is not None else "KMeans segment",
        )
        fig.suptitle(
            "Customers in " + "/".join(f.replace("_days", "") for f in features) + " space (log axes)"
        )
    return fig


def customer_space_sentence(
    customers: pd.DataFrame,
    features: Sequence[str],
    max_points: int = DEFAULT_MAX_POINTS,
    seed: int = DEFAULT_SEED,
) -> str:
    n = len(customers)
    shown = min(n, max_points)
    names = ", ".join(f for f in features if f in customers.columns)
    if n > max_points:
        who = f"A seeded random sample of {fmt_int(shown)} of {fmt_int(n)} customers (seed {seed}) is shown"
    else:
        who = f"All {fmt_int(n)} customers are shown"
    return (
        f"{who} on logarithmic axes of {names}, coloured by KMeans segment; the crosses are the segment "
        "centres mapped back to original units."
    )


# --------------------------------------------------------------------------------------------------
# 3. Segment profiles heatmap (scaled centroids)


def _centroid_grid(centroids: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    ordered = centroids.sort_values(["segment_id", "feature_position"])
    features = list(dict.fromkeys(ordered["feature"]))
    scaled = ordered.pivot_table(
        index="segment_id", columns="feature", values="centroid_scaled", aggfunc="first"
    )
    scaled = scaled[features].sort_index()
    means = ordered.pivot_table(
        index="segment_id", columns="feature", values="segment_mean_original", aggfunc="first"
    )[features].reindex(scaled.index)
    names = ordered.drop_duplicates("segment_id").set_index("segment_id")["segment_name"]
    labels = [segment_label(s, names[s]) for s in scaled.index]
    return scaled, means, features, labels


def segment_profile_chart(centroids: pd.DataFrame, currency: Currency) -> Figure:
    """Heatmap of the scaled centroids (standard deviations from the average customer), annotated."""
    scaled, means, features, labels = _centroid_grid(centroids)
    transforms = centroids.drop_duplicates("feature").set_index("feature")["transform"]
    values = scaled.to_numpy(dtype=float)
    limit = max(1.0, float(np.nanmax(np.abs(values)))) if values.size else 1.0
    with _style():
        fig = _figure(max(7.0, 1.9 * len(features) + 3.5), 1.6 + 0.8 * len(labels))
        ax = fig.add_subplot()
        image = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
        ax.grid(False)
        for (row, col), value in np.ndenumerate(values):
            mean = means.iloc[row, col]
            text = f"{value:+.2f} SD"
            if pd.notna(mean):
                text += f"\nmean {fmt_feature_value(float(mean), features[col], currency)}"
            ax.text(
                col,
                row,
                text,
                ha="center",
                va="center",
                fontsize=9,
                color="white" if abs(value) > 0.6 * limit else "black",
            )
        ax.set_xticks(
            range(len(features)),
            [f"{f}\n({transforms.get(f, 'none')}, scaled)" for f in features],
        )
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("feature (centroid in standard deviations from the average customer)")
        ax.set_ylabel("KMeans segment")
        colorbar = fig.colorbar(image, ax=ax, shrink=0.9)
        colorbar.set_label("centroid (SD from the mean)")
        fig.suptitle("Segment profiles: scaled centroids")
    return fig


def segment_profile_sentence(centroids: pd.DataFrame) -> str:
    scaled, _means, features, labels = _centroid_grid(centroids)
    values = scaled.to_numpy(dtype=float)
    row, col = np.unravel_index(int(np.nanargmax(np.abs(values))), values.shape)
    transforms = sorted(set(centroids["transform"].astype(str)) - {"none"})
    how = (
        f"after {' / '.join(transforms)}, clipping and scaling"
        if transforms
        else "after clipping and scaling"
    )
    sentence = (
        f"Each cell is a segment centre in standard deviations from the average customer ({how}), with "
        f"the segment's mean in original units; the most distinctive is {labels[row]} on "
        f"{features[col]} at {values[row, col]:+.2f} SD."
    )
    if "recency_days" in features:
        sentence += " For recency_days, above zero means longer since the last purchase."
    return sentence


# --------------------------------------------------------------------------------------------------
# 4. k selection


def chosen_k(diagnostics: pd.DataFrame) -> int | None:
    chosen = diagnostics.loc[diagnostics["is_chosen"].fillna(False).astype(bool), "k"]
    return int(chosen.iloc[0]) if len(chosen) else None


def _elbow_k(diagnostics: pd.DataFrame) -> int | None:
    if "is_elbow" not in diagnostics:
        return None
    elbow = diagnostics.loc[diagnostics["is_elbow"].fillna(False).astype(bool), "k"]
    return int(elbow.iloc[0]) if len(elbow) else None


def k_selection_chart(diagnostics: pd.DataFrame) -> Figure:
    """Silhouette, inertia (elbow marked), Davies-Bouldin and stability by k; the chosen k marked."""
    diag = diagnostics.sort_values("k").reset_index(drop=True)
    chosen, elbow = chosen_k(diag), _elbow_k(diag)
    eligible = (
        diag["is_eligible"].fillna(True).astype(bool)
        if "is_eligible" in diag
        else pd.Series(True, diag.index)
    )
    panels = [
        ("silhouette", "Silhouette (higher is better)", "mean silhouette coefficient (-1 to 1)"),
        ("inertia", "Inertia (look for the elbow)", "within-segment sum of squares (scaled units²)"),
        ("davies_bouldin", "Davies-Bouldin (lower is better)", "Davies-Bouldin index (unitless)"),
    ]
    if "stability_ari" in diag and diag["stability_ari"].notna().any():
        panels.append(
            (
                "stability_ari",
                "Stability: bootstrap (line), other seeds (grey)",
                "adjusted Rand index (1 = stable)",
            )
        )
    if "planted_type_ari" in diag and diag["planted_type_ari"].notna().any():
        # synthetic data only: how well each k recovers the customer types the generator planted
        panels.append(
            ("planted_type_ari", "Planted customer types recovered", "adjusted Rand index vs planted types")
        )
    n_cols = 2
    n_rows = math.ceil(len(panels) / n_cols)
    with _style():
        fig = _figure(10, 3.4 * n_rows + 0.9)
        axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
        for ax in axes[len(panels) :]:
            ax.set_visible(False)
        for ax, (column, title, ylabel) in zip(axes, panels, strict=False):
            values = diag[column].astype(float)
            ax.plot(diag["k"], values, color=MODEL_COLOR, linewidth=1.5, zorder=2)
            if column == "stability_ari" and "seed_ari_min" in diag:
                # run-to-run agreement gates k as the bootstrap does (README, "Choosing k")
                ax.plot(diag["k"], diag["seed_ari_min"].astype(float), color=BASELINE_COLOR, linewidth=1.5)
            ax.scatter(
                diag["k"][eligible], values[eligible], color=MODEL_COLOR, s=28, zorder=3, label="eligible k"
            )
            if (~eligible).any():
                ax.scatter(
                    diag["k"][~eligible],
                    values[~eligible],
                    facecolors="white",
                    edgecolors="grey",
                    s=28,
                    zorder=3,
                    label="not eligible (a segment too small, or unstable)",
                )
            if chosen is not None:
                ax.axvline(chosen, color=ACCENT, linestyle="--", linewidth=1.2, zorder=1)
                ax.scatter(
                    [chosen],
                    values[diag["k"] == chosen],
                    marker="*",
                    s=180,
                    color=ACCENT,
                    zorder=4,
                    label=f"chosen k = {chosen}",
                )
            if column == "inertia" and elbow is not None:
                ax.scatter(
                    [elbow],
                    values[diag["k"] == elbow],
                    marker="D",
                    s=60,
                    facecolors="none",
                    edgecolors="darkorange",
                    linewidths=2,
                    zorder=4,
                    label=f"elbow k = {elbow}",
                )
            ax.set_title(title)
            ax.set_xlabel("number of segments k")
            ax.set_ylabel(ylabel)
            ax.set_xticks(diag["k"].astype(int).tolist())
        legend: dict[str, object] = {}
        for ax in axes[: len(panels)]:
            for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
                legend.setdefault(label, handle)
        fig.legend(list(legend.values()), list(legend), loc="outside lower center", ncols=len(legend))
        fig.suptitle(
            "Choosing the number of segments" + (f" (chosen k = {chosen})" if chosen is not None else "")
        )
    return fig


def _k_list(ks: Sequence[int]) -> str:
    return ", ".join(str(k) for k in ks)


def k_rule_sentence(diagnostics: pd.DataFrame) -> str:
    """The k rule's decision in a marketer's words (needs the gate columns of the diagnostics)."""
    diag = diagnostics.sort_values("k")
    chosen = chosen_k(diag)
    row = diag.loc[diag["k"] == chosen].iloc[0]
    sentence = (
        f"The customers fall into {chosen} segments. Among the splits that come back the same when "
        f"the model is rerun with other random seeds or on resampled customers, and whose smallest "
        f"segment is big enough to act on, {chosen} segments separate the customers most clearly "
        f"(here the smallest segment holds {fmt_pct(float(row['smallest_segment_share']))} of "
        f"customers, and reruns agree {float(row['stability_ari']):.0%} / "
        f"{float(row['seed_ari_min']):.0%} with it)."
    )
    unstable = diag.loc[diag["passes_share"].astype(bool) & ~diag["passes_stability"].astype(bool), "k"]
    small = diag.loc[~diag["passes_share"].astype(bool), "k"]
    if len(unstable):
        sentence += f" With {_k_list(unstable)} segments the split changes from run to run."
    if len(small):
        sentence += f" With {_k_list(small)} segments one segment is too small to act on."
    return sentence


def k_selection_sentence(diagnostics: pd.DataFrame) -> str:
    diag = diagnostics.sort_values("k")
    chosen, elbow = chosen_k(diag), _elbow_k(diag)
    if chosen is None:
        return f"No k is marked as chosen among k = {diag['k'].min()}..{diag['k'].max()}."
    reason = str(diag.loc[diag["k"] == chosen, "choice_reason"].iloc[0])
    gates = {"passes_share", "passes_stability", "stability_ari", "seed_ari_min"}
    plain = k_rule_sentence(diag) + " " if gates <= set(diag.columns) and chosen > 1 else ""
    sentence = f"{plain}In detail, k = {chosen}: {reason}."
    if "planted_type_ari" in diag and diag["planted_type_ari"].notna().any():
        planted = diag.set_index("k")["planted_type_ari"].astype(float)
        sentence += (
            f" Against the customer types the synthetic generator planted, k = {chosen} reaches an "
            f"ARI of {planted[chosen]:.2f} (best in the range: {planted.max():.2f} at k = "
            f"{int(planted.idxmax())})."
        )
    if elbow is not None and elbow != chosen:
        sentence += f" The inertia curve's elbow is at k = {elbow}."
    elif elbow is None:
        sentence += " The inertia curve has no clear elbow."
    return sentence


# --------------------------------------------------------------------------------------------------
# 5. KMeans vs rule-based RFM segments


def _crosstab_grid(crosstab: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    counts = crosstab.pivot_table(
        index="segment_id", columns="rfm_segment", values="customer_count", aggfunc="sum", fill_value=0
    ).astype(float)
    counts = counts[counts.sum().sort_values(ascending=False, kind="stable").index].sort_index()
    names = crosstab.drop_duplicates("segment_id").set_index("segment_id")["segment_name"]
    return counts, [segment_label(s, names[s]) for s in counts.index]


# Cells darker than this share get white text.
DARK_CELL_SHARE = 0.6


def share_heatmap(ax: object, counts: pd.DataFrame, shares: np.ndarray) -> object:
    """Each cell's share of its row as colour, written as share over count ('-' for none)."""
    image = ax.imshow(shares * 100, cmap="Blues", vmin=0, vmax=100, aspect="auto")
    ax.grid(False)
    for (row, col), share in np.ndenumerate(shares):
        count = counts.iloc[row, col]
        ax.text(
            col,
            row,
            f"{fmt_pct(share)}\n{fmt_int(count)}" if count else "-",
            ha="center",
            va="center",
            fontsize=9.5,
            color="white" if share > DARK_CELL_SHARE else "black",
        )
    return image


def kmeans_vs_rfm_chart(crosstab: pd.DataFrame) -> Figure:
    """Heatmap: share of each KMeans segment (row) in each RFM segment (column), with counts."""
    counts, labels = _crosstab_grid(crosstab)
    shares = counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0).fillna(0).to_numpy()
    with _style():
        fig = _figure(min(12.0, max(8.0, 0.8 * counts.shape[1] + 3.5)), 2.4 + 0.75 * len(labels))
        ax = fig.add_subplot()
        image = share_heatmap(ax, counts, shares)
        ax.set_xticks(range(counts.shape[1]), list(counts.columns), rotation=30, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("rule-based RFM segment (columns by size, largest first)")
        ax.set_ylabel("KMeans segment")
        colorbar = fig.colorbar(image, ax=ax, shrink=0.9, format=PercentFormatter())
        colorbar.set_label("share of the KMeans segment (%)")
        fig.suptitle("KMeans segments vs rule-based RFM segments")
    return fig


def kmeans_vs_rfm_sentence(crosstab: pd.DataFrame) -> str:
    counts, labels = _crosstab_grid(crosstab)
    parts = []
    for (_segment_id, row), label in zip(counts.iterrows(), labels, strict=True):
        total = row.sum()
        if total:
            parts.append(f"{label} → '{row.idxmax()}' ({fmt_pct(row.max() / total)})")
    return (
        "Each row sums to 100% of a KMeans segment (cells: share and customers); the largest RFM group "
        "in each is " + "; ".join(parts) + "."
    )


# --------------------------------------------------------------------------------------------------
# 6. Data story: monthly sales and countries


def _monthly_grid(monthly: pd.DataFrame) -> pd.DataFrame:
    data = monthly.copy()
    data["month"] = pd.to_datetime(data["sales_month"]).dt.to_period("M")
    data = data.groupby("month").sum(numeric_only=True)
    months = pd.period_range(data.index.min(), data.index.max(), freq="M")
    data = data.reindex(months, fill_value=0)
    if "guest_line_share" in monthly:  # a share: take it back from the source, not the sum
        shares = monthly.assign(month=pd.to_datetime(monthly["sales_month"]).dt.to_period("M"))
        data["guest_line_share"] = shares.groupby("month")["guest_line_share"].mean().reindex(months)
    return data


def _partial_months(
    months: pd.PeriodIndex, data_start: object | None, data_end: object | None
) -> dict[pd.Period, str]:
    partial: dict[pd.Period, str] = {}
    if data_start is not None and pd.notna(data_start):
        start = pd.Timestamp(data_start)
        if start.day != 1 and start.to_period("M") in months:
            partial[start.to_period("M")] = f"data from {fmt_date(start)}"
    if data_end is not None and pd.notna(data_end):
        end = pd.Timestamp(data_end)
        if not end.is_month_end and end.to_period("M") in months:
            partial[end.to_period("M")] = f"data to {fmt_date(end)}"
    return partial


def monthly_sales_chart(
    monthly: pd.DataFrame,
    currency: Currency,
    data_start: object | None = None,
    data_end: object | None = None,
) -> Figure:
    """Three panels over months: purchase value (guests stacked), cancelled value, guest line share."""
    data = _monthly_grid(monthly)
    months = data.index
    positions = np.arange(len(months))
    partial = _partial_months(months, data_start, data_end)
    step = max(1, math.ceil(len(months) / 12))
    with _style():
        fig = _figure(11, 8.2)
        ax_value, ax_cancel, ax_guest = fig.subplots(3, 1, sharex=True, height_ratios=[3, 2, 2])
        guest_value = data.get("guest_purchase_value", pd.Series(0.0, index=months)).astype(float)
        identified = data["purchase_value"].astype(float) - guest_value
        ax_value.bar(positions, identified, color=MODEL_COLOR, label="identified customers")
        ax_value.bar(
            positions, guest_value, bottom=identified, color="#9ecae1", label="guests (no customer id)"
        )
        ax_value.set_ylabel(f"purchase value ({currency.code})")
        ax_value.yaxis.set_major_formatter(_money_formatter(currency))
        ax_value.set_title("Purchase value per month")
        ax_value.legend(loc="upper left")
        ax_cancel.bar(positions, data["cancelled_value"].astype(float), color=ACCENT, alpha=0.8)
        ax_cancel.set_ylabel(f"cancelled value ({currency.code})")
        ax_cancel.yaxis.set_major_formatter(_money_formatter(currency))
        ax_cancel.set_title("Cancelled value per month")
        guest_share = data["guest_line_share"].astype(float) * 100
        ax_guest.plot(positions, guest_share, marker="o", markersize=4, color="#6baed6")
        overall = _overall_guest_line_share(monthly)
        if overall is not None:
            ax_guest.axhline(overall * 100, color="grey", linestyle="--", linewidth=1, label="whole period")
            ax_guest.legend(loc="upper left")
        ax_guest.set_ylim(
            0, max(5.0, float(np.nanmax(guest_share.to_numpy())) * 1.2 if len(guest_share) else 5)
        )
        ax_guest.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax_guest.set_ylabel("guest share of purchase lines (%)")
        ax_guest.set_title("Guest share of purchase lines")
        ax_guest.set_xlabel("month")
        ax_guest.set_xticks(positions[::step], [fmt_month(m.to_timestamp()) for m in months[::step]])
        for ax in (ax_value, ax_cancel, ax_guest):
            ax.grid(axis="x", visible=False)
        top = float(data["purchase_value"].max()) or 1.0
        ax_value.set_ylim(0, top * 1.25)
        for period, note in partial.items():
            position = months.get_loc(period)
            for ax in (ax_value, ax_cancel):
                ax.axvspan(position - 0.45, position + 0.45, color="grey", alpha=0.15, linewidth=0)
            at_end = position > len(months) / 2
            ax_value.text(
                position + (0.45 if at_end else -0.45),
                top * 1.12,
                f"shaded: partial month ({note})",
                ha="right" if at_end else "left",
                va="bottom",
                fontsize=8,
                color="dimgrey",
            )
        fig.suptitle("Monthly sales, cancellations and guests")
    return fig


def _overall_guest_line_share(monthly: pd.DataFrame) -> float | None:
    if "purchase_lines" not in monthly or "guest_line_share" not in monthly:
        return None
    lines = monthly["purchase_lines"].astype(float)
    return (
        float((monthly["guest_line_share"].astype(float) * lines).sum() / lines.sum())
        if lines.sum()
        else None
    )


def monthly_sales_sentence(
    monthly: pd.DataFrame,
    currency: Currency,
    data_start: object | None = None,
    data_end: object | None = None,
) -> str:
    data = _monthly_grid(monthly)
    purchase = data["purchase_value"].astype(float)
    cancelled = data["cancelled_value"].astype(float)
    peak = purchase.idxmax()
    total = purchase.sum()
    parts = [f"Purchase value peaks in {fmt_month(peak.to_timestamp())} ({currency.amount(purchase.max())})"]
    if total:
        worst = cancelled.idxmax()
        parts.append(
            f"cancellations come to {fmt_pct(cancelled.sum() / total)} of purchase value, the most in "
            f"{fmt_month(worst.to_timestamp())} ({currency.amount(cancelled.max())})"
        )
    overall = _overall_guest_line_share(monthly)
    if overall is not None and total:
        guest_value = float(data.get("guest_purchase_value", pd.Series(0.0)).sum())
        parts.append(
            f"guests place {fmt_pct(overall)} of purchase lines and "
            f"{fmt_pct(guest_value / total)} of the value"
        )
    sentence = "; ".join(parts) + "."
    partial = _partial_months(data.index, data_start, data_end)
    if partial:
        months = ", ".join(f"{fmt_month(p.to_timestamp())} ({note})" for p, note in partial.items())
        sentence += f" Shaded months are partial: {months}."
    return sentence


def top_countries_chart(countries: pd.DataFrame, currency: Currency, top_n: int = 10) -> Figure:
    """Horizontal bars of purchase value for the top countries, with value share and customers."""
    top = countries.sort_values("purchase_value", ascending=False).head(top_n).reset_index(drop=True)
    with _style():
        fig = _figure(10, 1.4 + 0.42 * len(top))
        ax = fig.add_subplot()
        values = top["purchase_value"].astype(float)
        bars = ax.barh(np.arange(len(top)), values, color=MODEL_COLOR)
        ax.bar_label(
            bars,
            labels=[
                f"{currency.amount(r.purchase_value)} · {fmt_pct(r.value_share)} · "
                f"{fmt_int(r.customers)} customers"
                for r in top.itertuples()
            ],
            padding=4,
            fontsize=9,
        )
        ax.set_yticks(np.arange(len(top)), top["country"].astype(str).tolist())
        ax.invert_yaxis()
        ax.set_xlim(0, float(values.max()) * 1.55 if len(values) else 1)
        ax.xaxis.set_major_formatter(_money_formatter(currency))
        ax.set_xlabel(f"purchase value ({currency.code}, guests included)")
        ax.set_ylabel("country")
        ax.grid(axis="y", visible=False)
        fig.suptitle(f"Top {len(top)} countries by purchase value")
    return fig


def top_countries_sentence(countries: pd.DataFrame, top_n: int = 10) -> str:
    ordered = countries.sort_values("purchase_value", ascending=False)
    first = ordered.iloc[0]
    rest = ordered.iloc[1:top_n]
    sentence = f"{first.country} accounts for {fmt_pct(first.value_share)} of purchase value"
    if len(rest):
        sentence += f"; the next {len(rest)} countries add {fmt_pct(rest['value_share'].sum())}"
    others = ordered.iloc[top_n:]
    if len(others):
        sentence += f", and the other {len(others)} countries {fmt_pct(others['value_share'].sum())}"
    return sentence + "."


# --------------------------------------------------------------------------------------------------
# 7. Quarantine


def _quarantine_grid(outcomes: pd.DataFrame) -> pd.DataFrame:
    excluded = outcomes[outcomes["exclusion_reason"].astype(str) != "none"]
    if excluded.empty:
        return pd.DataFrame(columns=["identified", "guest", "lines", "value"])
    grid = excluded.pivot_table(
        index="exclusion_reason", columns="is_guest", values="line_count", aggfunc="sum", fill_value=0
    )
    grid = grid.reindex(columns=[False, True], fill_value=0).rename(
        columns={False: "identified", True: "guest"}
    )
    grid["lines"] = grid["identified"] + grid["guest"]
    grid["value"] = excluded.groupby("exclusion_reason")["line_value"].sum().astype(float)
    return grid.sort_values("lines", ascending=False)


def quarantine_chart(outcomes: pd.DataFrame, currency: Currency) -> Figure:
    """Quarantined raw lines by exclusion reason, identified customers and guests stacked."""
    grid = _quarantine_grid(outcomes)
    with _style():
        fig = _figure(10, 1.6 + 0.5 * max(len(grid), 1))
        ax = fig.add_subplot()
        if grid.empty:
            ax.text(
                0.5, 0.5, "No raw line was quarantined.", ha="center", va="center", transform=ax.transAxes
            )
            ax.set_yticks([])
        else:
            positions = np.arange(len(grid))
            identified = grid["identified"].astype(float)
            ax.barh(positions, identified, color=MODEL_COLOR, label="identified customers")
            guest = ax.barh(
                positions, grid["guest"].astype(float), left=identified, color="#9ecae1", label="guests"
            )
            ax.bar_label(
                guest,
                labels=[f"{fmt_int(r.lines)} lines · {currency.amount(r.value)}" for r in grid.itertuples()],
                padding=4,
                fontsize=9,
            )
            ax.set_yticks(positions, grid.index.astype(str).tolist())
            ax.invert_yaxis()
            ax.set_xlim(0, float(grid["lines"].max()) * 1.4)
            ax.xaxis.set_major_formatter(_plain_formatter())
            fig.legend(loc="outside lower center", ncols=2)
        ax.set_xlabel(f"quarantined raw lines (count; label: lines · value in {currency.code})")
        ax.set_ylabel("exclusion reason (first rule that matched)")
        ax.grid(axis="y", visible=False)
        fig.suptitle("Quarantined lines by reason")
    return fig


def quarantine_sentence(outcomes: pd.DataFrame, currency: Currency) -> str:
    total = int(outcomes["line_count"].sum())
    grid = _quarantine_grid(outcomes)
    by_status = outcomes.groupby("line_status")["line_count"].sum()
    kept = (
        f"{fmt_int(by_status.get('purchase', 0))} are clean purchases and "
        f"{fmt_int(by_status.get('cancellation', 0))} cancellations"
    )
    if grid.empty:
        return f"None of the {fmt_int(total)} raw lines was quarantined; {kept}."
    top, quarantined = grid.iloc[0], grid["lines"].sum()
    return (
        f"{fmt_int(quarantined)} of {fmt_int(total)} raw lines ({fmt_pct(quarantined / total)}) were "
        f"quarantined, most for {grid.index[0]} "
        f"({fmt_int(top['lines'])} lines, {currency.amount(top['value'])}); "
        f"{kept}."
    )


# --------------------------------------------------------------------------------------------------
# 8. Prediction metrics against baselines (optional)


def lower_is_better(metric: str) -> bool:
    return bool(LOWER_IS_BETTER.search(metric)) and "auc" not in metric.lower()


# Page width: the report's main column is 1100 px wide with 32 px padding each side, and PNGs are
# written at PNG_DPI, so a figure this many inches wide is shown at its own size (no shrinking).
PAGE_WIDTH_INCHES = (1100 - 2 * 32) / PNG_DPI
METRIC_PANEL_COLUMNS = 2
METRIC_BAR_INCHES = 0.3  # height per model bar: room for a 9 pt label beside each
METRIC_PANEL_PADDING_INCHES = 1.4  # two-line title, two-line axis label and ticks of one panel
METRIC_LABEL_ROOM = 0.35  # share of the value range left free for the numbers beside the bars


def fmt_metric(value: float) -> str:
    """A metric value short enough to sit beside its bar: 1,470 / 2.74 / 0.399 / -0.048."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _metric_panel(ax: Axes, target: str, metric: str, rows: pd.DataFrame) -> None:
    """Horizontal bars (one per model, labels on the left), the baseline as a dashed line."""
    rows = rows.sort_values("value", ascending=lower_is_better(metric)).reset_index(drop=True)
    values = rows["value"].astype(float).to_numpy()
    names = rows["model"].astype(str).tolist()
    colors = [BASELINE_COLOR if name.startswith("baseline") else MODEL_COLOR for name in names]
    positions = np.arange(len(rows))
    ax.barh(positions, values, color=colors, height=0.7)
    baseline = float(rows["baseline_value"].astype(float).iloc[0])
    ax.axvline(baseline, color=ACCENT, linestyle="--", linewidth=1.2)
    low, high = min(0.0, values.min(), baseline), max(0.0, values.max(), baseline)
    room = (high - low) * METRIC_LABEL_ROOM or 1.0
    ax.set_xlim(low, high + room)
    # The numbers stand in one column right of every bar and of the baseline line, so that
    # neither a bar end nor the dashed line runs through them.
    label_x = high + room * 0.1
    for y, value in zip(positions, values, strict=True):
        ax.text(label_x, y, fmt_metric(value), ha="left", va="center", fontsize=8)
    ax.set_yticks(positions, names, fontsize=8)
    ax.invert_yaxis()  # best first
    direction = "lower is better" if lower_is_better(metric) else "higher is better"
    ax.set_title(f"{target}:\n{metric}", fontsize=9)
    ax.set_xlabel(f"{metric} ({direction})\ndashed line: best baseline, {fmt_metric(baseline)}", fontsize=8)
    ax.set_ylabel("model", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="y", visible=False)


def prediction_metrics_chart(metrics: pd.DataFrame) -> Figure:
    """One panel per target × metric: every model's value as a bar, the best baseline as a line.

    Horizontal bars so that model names read left to right; two panels a row at the page's width.
    """
    groups = list(metrics.groupby(["target", "metric"], sort=True))
    n_cols = min(METRIC_PANEL_COLUMNS, len(groups))
    n_rows = math.ceil(len(groups) / n_cols)
    bars = int(metrics.groupby(["target", "metric"]).size().max())
    panel_height = METRIC_BAR_INCHES * bars + METRIC_PANEL_PADDING_INCHES
    with _style():
        fig = _figure(PAGE_WIDTH_INCHES, panel_height * n_rows + 0.8)
        axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
        for ax in axes[len(groups) :]:
            ax.set_visible(False)
        for ax, ((target, metric), rows) in zip(axes, groups, strict=False):
            _metric_panel(ax, str(target), str(metric), rows)
        fig.legend(
            handles=[
                Patch(color=MODEL_COLOR, label="model"),
                Patch(color=BASELINE_COLOR, label="baseline model"),
                Line2D([], [], color=ACCENT, linestyle="--", label="best baseline"),
            ],
            loc="outside lower center",
            ncols=3,
        )
        fig.suptitle("Prediction models against their baselines")
    return fig


def prediction_metrics_sentence(metrics: pd.DataFrame) -> str:
    compared = metrics.dropna(subset=["value", "baseline_value"])
    better = sum(
        (row.value < row.baseline_value)
        if lower_is_better(str(row.metric))
        else (row.value > row.baseline_value)
        for row in compared.itertuples()
    )
    return (
        f"Models beat their baseline on {better} of {len(compared)} model × target × metric comparisons "
        "(lower is better for error metrics such as MAE and RMSE, higher for the others)."
    )
