"""KMeans customer segmentation: the pure functions behind the dbt Python models.

The dbt Python models are thin wrappers around this module. They hand over the ``customers``
mart as a pandas DataFrame plus a :class:`SegmentationConfig` and materialise what comes back:

1. ``segment_k_diagnostics`` -> :func:`build_k_diagnostics` (= :func:`prepare_features`,
   :func:`evaluate_k`, :func:`choose_k`, :func:`annotate_choice`): one row per evaluated k.
2. ``segment_centroids`` -> :func:`fit_centroids` with ``k = chosen_k(diagnostics)``: a long
   table (one row per segment x feature) holding everything needed to score a customer.
3. ``customer_segments`` -> :func:`assign_segments`: nearest stored centroid per customer,
   computed from the stored centroid table only.

Scoring math (kept deliberately simple so that a SQL model can reproduce step 3 exactly):

* ``x'  = ln(1 + x)`` when ``transform = 'log1p'``, else ``x' = x``;
* ``x'' = least(greatest(x', clip_low), clip_high)`` (the outlier rule, see below);
* ``z   = (x'' - scaler_center) / scaler_scale``;
* squared Euclidean distance to every centroid in z space (``centroid_scaled``), summed over
  features in ``feature_position`` order; the nearest centroid wins, ties go to the lowest
  ``segment_id``. ``distance_to_centroid`` is the square root of that minimum.

Outlier rule: by default each transformed feature is clipped to its [0.5th, 99.5th] percentile
(numpy's linear interpolation, computed on all customers) *before* the scaler is fitted, so a
handful of extreme customers can neither stretch the scale nor claim a centroid of their own.
Clipping is winsorising, not filtering: every customer is still scored and assigned (extreme
customers simply land in the most extreme segment). ``clip_quantiles=None`` turns it off; the
stored bounds are then -inf / +inf, which leave every value unchanged in SQL as well.

Segment ids are not KMeans' arbitrary labels: segment 1 has the highest centroid monetary value
in original units, ties broken by higher frequency, then by lower recency_days (see
:data:`SEGMENT_ORDER_RULE`). Names come from the rule-based RFM segments the segment's customers
hold, one different name per segment (:func:`name_segments`).

Determinism: customers are sorted by ``customer_id`` before anything is fitted, every random
draw is seeded from ``random_state``, and final labels are computed by this module's own
nearest-centroid rule (:func:`nearest_centroid`), so the same mart gives the same labels
regardless of input row order or thread count.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Literal, ParamSpec, TypeVar, get_args

import numpy as np
import pandas as pd
from kneed import KneeLocator
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
)
from threadpoolctl import threadpool_limits

from segmentation.categories import CATEGORIES, share_column
from segmentation.dbt_vars import check_fields, setting, settings_from_mapping
from segmentation.features import drop_absent_features

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "CENTROID_COLUMNS",
    "DIAGNOSTIC_COLUMNS",
    "SCALER_COLUMNS",
    "RFM_GRID_PATH",
    "SINGLE_SEGMENT_NAME",
    "FEATURE_PRESETS",
    "FittedSegments",
    "PreparedFeatures",
    "SegmentationConfig",
    "annotate_choice",
    "assign_segments",
    "build_k_diagnostics",
    "choose_k",
    "chosen_k",
    "config_from_mapping",
    "evaluate_k",
    "fit_centroids",
    "fit_segments",
    "name_segments",
    "nearest_centroid",
    "prepare_features",
    "rfm_score",
    "rule_based_segments",
    "with_present_features",
]

# --------------------------------------------------------------------------------------------
# Constants and vocabularies
# --------------------------------------------------------------------------------------------

ID_COLUMN: Final = "customer_id"
PLANTED_TYPE_COLUMN: Final = "customer_type"  # as segmentation.synthetic.generate_customers
# The behavioural columns of the customers mart, RFM first.
BEHAVIOURAL_FEATURES: Final = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "average_order_value",
    "distinct_products",
    "recent_window_frequency",
    "seasonal_peak_spend_share",
    "mean_invoice_gap_days",
    "invoice_gap_variation",
)
# Optional: spend share per product category (segmentation.categories).
CATEGORY_FEATURES: Final = tuple(share_column(category) for category in CATEGORIES)
# Columns a segmentation may use (the choices of the features setting).
# A Literal of the tuples, so the choices are those columns and not a second list of them.
Feature = Literal[BEHAVIOURAL_FEATURES + CATEGORY_FEATURES]  # type: ignore[valid-type]
FeaturePreset = Literal["rfm", "behavioural", "lifecycle"]
# Feature presets (README, "Feature presets"); the setting feature_preset, when set, replaces
# features. rfm: the classic three. behavioural: rfm plus every behavioural column of the
# customers mart. lifecycle: the subset that best recovered the synthetic data's planted
# customer types (measured, see benchmarks/results/segment_truth.md).
FEATURE_PRESETS: Final[dict[str, tuple[str, ...]]] = {
    "rfm": BEHAVIOURAL_FEATURES[:3],
    "behavioural": BEHAVIOURAL_FEATURES,
    "lifecycle": (
        "recency_days",
        "frequency",
        "tenure_days",
        "seasonal_peak_spend_share",
        "mean_invoice_gap_days",
    ),
}
Transform = Literal["log1p", "none"]
TRANSFORMS: Final = get_args(Transform)
Scaler = Literal["standard", "robust"]

# Mini-batch stopping rule, as scikit-learn's: stop when the smoothed batch inertia has not
# improved for this many steps, or after this many passes over the data.
MINIBATCH_MAX_NO_IMPROVEMENT: Final = 10
MINIBATCH_MAX_EPOCHS: Final = 100
# Rows of the silhouette sample whose distances are materialised at once (memory vs. speed).
SILHOUETTE_CHUNK_ROWS: Final = 256

SINGLE_SEGMENT_NAME: Final = "All customers"
# The R x F grid that names rule-based RFM segments; KMeans segments take their names from it
# too (see name_segments), so both vocabularies agree. dbt passes the seed itself.
RFM_GRID_PATH: Final = Path(__file__).resolve().parents[1] / "seeds" / "rfm_segment_map.csv"
RFM_GRID_COLUMNS: Final = ("recency_score", "frequency_score", "rfm_segment")
RFM_SCORE_LEVELS: Final = 5  # quintiles, as macros/segments/rfm_scores.sql
# A name cost is 1 - (share of the segment's customers holding that rule-based name), in [0, 1];
# a name that contradicts the recency guard costs this much more, so it is used only when the
# segments outnumber the names that pass the guard.
NAME_GUARD_PENALTY: Final = 2.0
KCriterion = Literal["silhouette", "most_segments", "elbow"]
# Segment id order: (feature, direction); -1 = larger value gets the smaller id.
SEGMENT_ORDER_RULE: Final = (("monetary", -1), ("frequency", -1), ("recency_days", 1))
# Criterion values equal to this many decimals count as a tie (then the smaller k wins).
SILHOUETTE_TIE_DECIMALS: Final = 10

SCALER_COLUMNS: Final = ("feature", "transform", "clip_low", "clip_high", "center", "scale")
DIAGNOSTIC_COLUMNS: Final = (
    "k",
    "n_customers",
    "n_distinct_profiles",
    "algorithm",
    "inertia",
    "silhouette",
    "davies_bouldin",
    "calinski_harabasz",
    "smallest_segment_share",
    "is_elbow",
    "stability_ari",
    "stability_ari_se",
    "bootstrap_rounds",
    "seed_ari_min",
    "seed_runs",
    "seed_inertia_spread",
    "passes_share",
    "passes_stability",
    "is_eligible",
    "criterion",
    "criterion_rank",
    "planted_type_ari",
)
CENTROID_COLUMNS: Final = (
    "segment_id",
    "segment_name",
    "feature_position",
    "feature",
    "transform",
    "clip_low",
    "clip_high",
    "scaler_center",
    "scaler_scale",
    "centroid_scaled",
    "centroid_original",
    "segment_mean_original",
    "segment_customers",
    "segment_share",
)
ASSIGNMENT_COLUMNS: Final = (ID_COLUMN, "segment_id", "segment_name", "distance_to_centroid")


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentationConfig:
    """All knobs of the segmentation, each declared once: type, default and range.

    Validated on construction (:func:`~segmentation.dbt_vars.check_fields`), so bad vars fail
    early; dbt vars are parsed by the same declarations (:func:`config_from_mapping`).
    """

    features: tuple[Feature, ...] = FEATURE_PRESETS["rfm"]
    # A named feature set (FEATURE_PRESETS); when set it replaces features.
    feature_preset: FeaturePreset | None = None
    transform: Transform = "log1p"
    scaler: Scaler = "standard"
    # k >= 3 by default: on log RFM data every separation index favours k = 2, a split into
    # "good" and "bad" customers that maps to no more than two actions (README, "Choosing k").
    k_min: int = setting(3, minimum=2)
    k_max: int = setting(10, minimum=2)
    fixed_k: int | None = setting(None, minimum=2)
    min_segment_share: float = setting(0.05, minimum=0, below=1)
    # A k is eligible only if its bootstrap ARI and its worst run-to-run ARI across seeds both
    # reach this; below it a rerun or a month more data would re-draw the segments.
    stability_threshold: float = setting(0.9, minimum=0, maximum=1)
    # How eligible k are ranked: highest silhouette, most segments, or nearest the inertia elbow.
    k_criterion: KCriterion = "silhouette"
    # Silhouette is O(n^2); above this many customers it is computed on a seeded sample.
    silhouette_sample_size: int = setting(20_000, minimum=10)
    # Winsorise each transformed feature to these quantiles before scaling (None = off).
    clip_quantiles: tuple[float, float] | None = setting((0.005, 0.995), minimum=0, maximum=1)
    random_state: int = setting(42, minimum=0)
    # Restarts per fit: with 4, two seeds disagreed at k = 5 on Online Retail II (ARI 0.84);
    # more restarts make the best-inertia solution the one found from any seed.
    n_init: int = setting(10, minimum=1)
    max_iter: int = setting(300, minimum=1)
    # Stability: mean ARI of full-data labels vs. labels refitted on this many bootstrap samples
    # (20 rounds put the standard error of the mean, stored per k, near 0.01 on the real files).
    bootstrap_rounds: int = setting(20, minimum=0)
    bootstrap_sample_size: int = setting(10_000, minimum=10)
    # Run-to-run: this many refits on all customers with seeds random_state + 1, + 2, ...; the
    # lowest ARI against the main fit is stored, with the spread of their inertias.
    seed_runs: int = setting(4, minimum=0)
    # False: measure stability only until the best-ranked stable k is found (faster).
    stability_all_k: bool = True
    # Above this many customers stability is measured as with stability_all_k off: the seed
    # refits and bootstraps of every k took 71 s on a million customers (budget 60 s), and the
    # chain 49 s on 20,000 (a loaded 2-core machine); the real files have 4,000-6,000.
    stability_all_k_max_customers: int = setting(20_000, minimum=0)
    # Naming guard: a segment whose median customer last bought more than this share of the
    # period covered ago only gets a name of the grid's lapsed rows (R score <= the next field).
    dormant_period_share: float = setting(0.5, minimum=0, maximum=1)
    lapsed_max_recency_score: int = setting(2, minimum=1, maximum=RFM_SCORE_LEVELS)
    # Above this many customers mini-batch KMeans replaces full KMeans: Lloyd passes over every
    # customer per iteration, per restart and per k (~30 s for k = 2..10 on a million customers,
    # single-threaded), mini-batches take ~3 s for the same inertia on three features.
    minibatch_threshold: int = setting(200_000, minimum=1)
    minibatch_batch_size: int = setting(16_384, minimum=1)

    def __post_init__(self) -> None:
        check_fields(self)
        _check_relations(self)
        if self.feature_preset is not None:
            # frozen dataclass: the preset is resolved once, here, so every reader sees features
            object.__setattr__(self, "features", FEATURE_PRESETS[self.feature_preset])


def _check_relations(config: SegmentationConfig) -> None:
    """What no single field's type can say: how k_min, k_max, fixed_k and the quantiles relate."""
    if config.k_max < config.k_min:
        raise ValueError(f"k_max must be >= k_min={config.k_min}, got k_max={config.k_max!r}")
    if config.fixed_k is not None and not config.k_min <= config.fixed_k <= config.k_max:
        raise ValueError(
            f"fixed_k must lie in [k_min={config.k_min}, k_max={config.k_max}], "
            f"got fixed_k={config.fixed_k!r}"
        )
    if config.clip_quantiles is not None and not config.clip_quantiles[0] < config.clip_quantiles[1]:
        raise ValueError(f"clip_quantiles must be two numbers with low < high, got {config.clip_quantiles!r}")


def config_from_mapping(values: Mapping[str, object] | None) -> SegmentationConfig:
    """Build a config from the dbt var ``segmentation`` (strings, lists or ints).

    Unknown keys are rejected (a typo would otherwise be silently ignored); ``None`` means
    "use the default", except for ``fixed_k`` (no fixed k) and ``clip_quantiles`` (no clipping).
    """
    return settings_from_mapping(SegmentationConfig, values, var="segmentation")


# --------------------------------------------------------------------------------------------
# Feature preparation (shared by fitting and scoring so the math is bit-for-bit identical)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PreparedFeatures:
    """Customers sorted by id, their raw feature values, the scaled matrix and its parameters."""

    customer_ids: np.ndarray
    raw: pd.DataFrame
    matrix: np.ndarray
    scaler_params: pd.DataFrame

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self.scaler_params["feature"])


def _load_feature_frame(
    df: pd.DataFrame, features: Sequence[str], transforms: Sequence[str]
) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """Validate the mart and return (sorted ids, sorted raw features, float64 matrix).

    Sorting by customer_id makes every later step independent of the input row order.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in (ID_COLUMN, *features) if c not in df.columns]
    if missing:
        raise ValueError(
            f"customers frame is missing required column(s) {missing}; it has {list(map(str, df.columns))}"
        )
    if len(df) == 0:
        # Said in the user's terms: an empty mart is a data outcome (every line a cancellation,
        # a guest line or quarantined), not a code error, and the outcome table says which.
        raise ValueError(
            "customers frame has no rows; nothing to segment: no line of the input is a clean "
            "purchase with a customer id (every line is a cancellation, a guest line or quarantined). "
            "See transaction_line_outcomes for where the lines went."
        )
    id_nulls = int(df[ID_COLUMN].isna().sum())
    if id_nulls:
        raise ValueError(f"column '{ID_COLUMN}' has {id_nulls} null value(s)")
    ids = df[ID_COLUMN].astype(str).to_numpy(dtype=str)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    duplicated = int(np.count_nonzero(ids[1:] == ids[:-1]))
    if duplicated:
        raise ValueError(f"column '{ID_COLUMN}' has {duplicated} duplicated value(s)")

    raw = df.iloc[order][list(features)].reset_index(drop=True)
    matrix = np.empty((len(raw), len(features)), dtype=np.float64)
    for j, (feature, transform) in enumerate(zip(features, transforms, strict=True)):
        try:
            values = raw[feature].astype("float64").to_numpy()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"column '{feature}' is not numeric: {exc}") from None
        n_nan = int(np.isnan(values).sum())
        n_inf = int(np.isinf(values).sum())
        if n_nan or n_inf:
            raise ValueError(
                f"column '{feature}' has {n_nan} NaN/null and {n_inf} infinite value(s) "
                f"in {len(values)} rows; fix the mart before segmenting"
            )
        if transform == "log1p":
            negative = int((values < 0).sum())
            if negative:
                raise ValueError(
                    f"column '{feature}' has {negative} negative value(s) "
                    f"(min {float(values.min())!r}); "
                    "transform 'log1p' needs values >= 0 (use transform 'none' or fix the mart)"
                )
        matrix[:, j] = values
    return ids, raw, matrix


def _forward(values: np.ndarray, transform: str) -> np.ndarray:
    if transform == "log1p":
        return np.log1p(values)
    if transform == "none":
        return values.astype(np.float64, copy=True)
    raise ValueError(f"transform must be one of {list(TRANSFORMS)}, got {transform!r}")


def _inverse(values: np.ndarray, transform: str) -> np.ndarray:
    return np.expm1(values) if transform == "log1p" else values.astype(np.float64, copy=True)


def _is_degenerate_scale(scale: float, center: float) -> bool:
    tolerance = 10 * np.finfo(np.float64).eps * max(1.0, abs(center))
    return not math.isfinite(scale) or scale <= tolerance


def _fit_center_scale(values: np.ndarray, scaler: str) -> tuple[float, float]:
    """Center and scale of one clipped, transformed column.

    A constant column gets center = its value and scale = 1 (not 0): z is then exactly 0 for
    everybody, so the feature is ignored instead of dividing by zero. The robust scaler
    (median / IQR) falls back to the standard deviation when the IQR is 0, which is common for
    frequency (most customers buy once), and to 1 when that is 0 too.
    """
    low, high = float(values.min()), float(values.max())
    if low == high:
        return low, 1.0
    if scaler == "robust":
        q25, center, q75 = (float(v) for v in np.quantile(values, [0.25, 0.5, 0.75]))
        scale = q75 - q25
        if _is_degenerate_scale(scale, center):
            scale = float(values.std())
    else:
        center = float(values.mean())
        scale = float(values.std())
    if _is_degenerate_scale(scale, center):
        scale = 1.0
    return center, scale


def _apply_params(matrix: np.ndarray, params: pd.DataFrame) -> np.ndarray:
    """Raw values -> z: transform, clip, center, scale (the SQL model does exactly this)."""
    out = np.empty_like(matrix, dtype=np.float64)
    for j, row in enumerate(params.itertuples(index=False)):
        transformed = _forward(matrix[:, j], str(row.transform))
        clipped = np.minimum(np.maximum(transformed, float(row.clip_low)), float(row.clip_high))
        out[:, j] = (clipped - float(row.center)) / float(row.scale)
    return out


def _fit_params(matrix: np.ndarray, config: SegmentationConfig) -> pd.DataFrame:
    rows = []
    for j, feature in enumerate(config.features):
        transformed = _forward(matrix[:, j], config.transform)
        if config.clip_quantiles is None:
            clip_low, clip_high = -math.inf, math.inf
        else:
            bounds = np.quantile(transformed, list(config.clip_quantiles))
            clip_low, clip_high = float(bounds[0]), float(bounds[1])
        clipped = np.minimum(np.maximum(transformed, clip_low), clip_high)
        center, scale = _fit_center_scale(clipped, config.scaler)
        rows.append((feature, config.transform, clip_low, clip_high, center, scale))
    params = pd.DataFrame(rows, columns=list(SCALER_COLUMNS))
    return params.astype({c: "float64" for c in SCALER_COLUMNS[2:]})


def prepare_features(df: pd.DataFrame, config: SegmentationConfig) -> PreparedFeatures:
    """Validate the mart, sort it by customer_id and fit transform + clip + scaler.

    Returns the scaled matrix and the fitted parameters (feature, transform, clip_low,
    clip_high, center, scale) so that scoring can be repeated from stored numbers alone.
    """
    transforms = [config.transform] * len(config.features)
    ids, raw, matrix = _load_feature_frame(df, config.features, transforms)
    params = _fit_params(matrix, config)
    return PreparedFeatures(ids, raw, _apply_params(matrix, params), params)


# --------------------------------------------------------------------------------------------
# Clustering primitives
# --------------------------------------------------------------------------------------------


def nearest_centroid(matrix: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centroid (ties -> lowest index) and the squared distance.

    Written out feature by feature, in a fixed order, so it matches a SQL sum of squared
    differences and does not depend on BLAS threading.
    """
    x = np.ascontiguousarray(np.asarray(matrix, dtype=np.float64).T)
    c = np.asarray(centroids, dtype=np.float64)
    n = x.shape[1]
    best = np.full(n, np.inf)
    labels = np.zeros(n, dtype=np.int64)
    for j in range(c.shape[0]):
        dist = np.zeros(n)
        for f in range(c.shape[1]):
            diff = x[f] - c[j, f]
            dist += diff * diff
        closer = dist < best
        labels[closer] = j
        best[closer] = dist[closer]
    return labels, best


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _single_threaded(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``func`` with BLAS and OpenMP limited to one thread (threadpoolctl).

    Why: (1) results become bit-identical whatever thread settings the caller has, since
    KMeans' multi-threaded reductions sum in a thread-dependent order; (2) with three features
    the work per thread is tiny, and OpenMP barriers collapse when the dbt run keeps the other
    cores busy (KMeans on 10k rows measured ~10x slower with 2 threads on a loaded 2-core box).
    """

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with threadpool_limits(limits=1):
            return func(*args, **kwargs)

    return wrapper


def _algorithm(n_rows: int, config: SegmentationConfig) -> str:
    return "minibatch_kmeans" if n_rows > config.minibatch_threshold else "kmeans"


def _fit_lloyd(matrix: np.ndarray, k: int, config: SegmentationConfig, seed: int) -> KMeans:
    model = KMeans(
        n_clusters=k,
        n_init=config.n_init,
        max_iter=config.max_iter,
        random_state=seed,
        algorithm="lloyd",
    )
    return model.fit(matrix)


def _fit_minibatch(matrix: np.ndarray, k: int, config: SegmentationConfig, seed: int) -> MiniBatchKMeans:
    """MiniBatchKMeans driven batch by batch (partial_fit) with uniform, seeded batches.

    Why not ``MiniBatchKMeans.fit``: in scikit-learn 1.9 it draws every batch with a weighted
    ``RandomState.choice`` over all n rows (~15 ms per batch at a million rows), which made
    it no faster than full KMeans. Here the centres start from KMeans (n_init restarts) on a
    seeded sample of 3 x batch_size rows, then mini-batch steps run until scikit-learn's own
    early-stopping rule fires: the exponentially weighted mean batch inertia has not improved
    for MINIBATCH_MAX_NO_IMPROVEMENT steps (or MINIBATCH_MAX_EPOCHS passes are used up).
    """
    n_rows = len(matrix)
    batch = min(config.minibatch_batch_size, n_rows)
    rng = np.random.default_rng([seed, k])
    init_rows = np.sort(rng.choice(n_rows, size=min(n_rows, 3 * batch), replace=False))
    init = _fit_lloyd(matrix[init_rows], k, config, seed).cluster_centers_
    model = MiniBatchKMeans(n_clusters=k, init=init, n_init=1, batch_size=batch, random_state=seed)
    alpha = min(1.0, 2.0 * batch / (n_rows + 1))
    smoothed = best = math.inf
    stale = 0
    for step in range(max(1, MINIBATCH_MAX_EPOCHS * n_rows // batch)):
        model.partial_fit(matrix[rng.integers(0, n_rows, size=batch)])
        inertia = float(model.inertia_) / batch
        if step == 0:  # sklearn also skips the first step (inertia of the initialisation)
            continue
        smoothed = inertia if step == 1 else smoothed * (1 - alpha) + inertia * alpha
        if smoothed < best:
            best, stale = smoothed, 0
        else:
            stale += 1
            if stale >= MINIBATCH_MAX_NO_IMPROVEMENT:
                break
    return model


def _fit_kmeans(
    matrix: np.ndarray, k: int, config: SegmentationConfig, seed: int | None = None
) -> KMeans | MiniBatchKMeans:
    """KMeans, or mini-batch KMeans above ``minibatch_threshold`` rows; explicitly seeded."""
    seed = config.random_state if seed is None else seed
    if _algorithm(len(matrix), config) == "minibatch_kmeans":
        return _fit_minibatch(matrix, k, config, seed)
    return _fit_lloyd(matrix, k, config, seed)


def _count_distinct_rows(matrix: np.ndarray) -> int:
    return int(len(matrix) - pd.DataFrame(matrix).duplicated().sum())


def _silhouette_rows(n_rows: int, config: SegmentationConfig) -> np.ndarray:
    """One seeded sample, shared by every k, so silhouettes are comparable across k."""
    if n_rows <= config.silhouette_sample_size:
        return np.arange(n_rows)
    rng = np.random.default_rng(config.random_state)
    return np.sort(rng.choice(n_rows, size=config.silhouette_sample_size, replace=False))


def _silhouettes(sample: np.ndarray, label_sets: Sequence[np.ndarray]) -> list[float]:
    """Mean silhouette of each labeling of the same sample, in one pass over its distances.

    The pairwise distances do not depend on k, so they are computed once per chunk of rows and
    reduced against a stacked one-hot matrix of every labeling (one matrix product), instead
    of once per k as sklearn's silhouette_score would; its ``sample_size`` draws a different
    sample, so it cannot replace this without changing the scores. Same definition as sklearn
    (a test holds the two within 1e-9): a = mean distance to the own cluster (excluding self),
    b = lowest mean distance to another cluster, s = (b - a) / max(a, b), 0 for singleton
    clusters. NaN when a labeling has fewer than 2 or more than n - 1 clusters in the sample.
    """
    m = len(sample)
    blocks, valid = [], []
    for labels in label_sets:
        _, inverse = np.unique(labels, return_inverse=True)
        n_labels = int(inverse.max()) + 1
        valid.append(2 <= n_labels <= m - 1)
        blocks.append((inverse, np.bincount(inverse).astype(np.float64)))
    offsets = np.cumsum([0] + [len(counts) for _, counts in blocks])
    onehot = np.zeros((m, offsets[-1]))
    for (inverse, _), start in zip(blocks, offsets[:-1], strict=True):
        onehot[np.arange(m), start + inverse] = 1.0

    squared_norms = np.einsum("ij,ij->i", sample, sample)
    sample_t = np.ascontiguousarray(sample.T)
    totals = np.zeros(len(blocks))
    for first in range(0, m, SILHOUETTE_CHUNK_ROWS):
        last = min(m, first + SILHOUETTE_CHUNK_ROWS)
        rows = np.arange(last - first)
        dist = sample[first:last] @ sample_t
        dist *= -2.0
        dist += squared_norms[first:last, None]
        dist += squared_norms[None, :]
        np.maximum(dist, 0.0, out=dist)
        np.sqrt(dist, out=dist)
        dist[rows, first + rows] = 0.0
        sums = dist @ onehot
        for b, ((inverse, counts), start) in enumerate(zip(blocks, offsets[:-1], strict=True)):
            if not valid[b]:
                continue
            own = inverse[first:last]
            per_cluster = sums[:, start : start + len(counts)]
            own_size = counts[own]
            a = per_cluster[rows, own] / np.maximum(own_size - 1.0, 1.0)
            means = per_cluster / counts
            means[rows, own] = np.inf
            nearest_other = means.min(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                score = (nearest_other - a) / np.maximum(a, nearest_other)
            score = np.nan_to_num(score)
            score[own_size == 1] = 0.0
            totals[b] += score.sum()
    return [float(t / m) if ok else math.nan for t, ok in zip(totals, valid, strict=True)]


@dataclass(frozen=True)
class Stability:
    """How reproducible one k is: bootstrap ARI (mean, standard error) and run-to-run figures."""

    bootstrap_ari: float
    bootstrap_ari_se: float
    seed_ari_min: float
    seed_inertia_spread: float

    def passes(self, threshold: float) -> bool:
        """Both ARIs reach ``threshold``; a figure not measured (NaN, 0 rounds) does not gate."""
        return all(math.isnan(v) or v >= threshold for v in (self.bootstrap_ari, self.seed_ari_min))


def _bootstrap_aris(
    matrix: np.ndarray, labels: np.ndarray, k: int, config: SegmentationConfig
) -> list[float]:
    """ARI between full-data labels and labels refitted on seeded bootstrap samples, per round.

    Each round draws ``bootstrap_sample_size`` customers with replacement, refits with a new
    seed and compares both labelings on the drawn customers; 1.0 = the same partition.
    """
    size = min(len(matrix), config.bootstrap_sample_size)
    scores = []
    for round_no in range(config.bootstrap_rounds):
        rng = np.random.default_rng([config.random_state, k, round_no])
        rows = rng.integers(0, len(matrix), size=size)
        seed = int(rng.integers(0, 2**31 - 1))
        with warnings.catch_warnings():
            # a small bootstrap sample can hold fewer distinct profiles than k
            warnings.simplefilter("ignore", ConvergenceWarning)
            refit = _fit_kmeans(matrix[rows], k, config, seed=seed)
        scores.append(adjusted_rand_score(labels[rows], refit.labels_))
    return scores


def _seed_runs(
    matrix: np.ndarray, labels: np.ndarray, inertia: float, k: int, config: SegmentationConfig
) -> tuple[float, float]:
    """(lowest ARI against the main fit, relative inertia spread) over ``seed_runs`` refits.

    Why both: two seeds can land in different solutions of near-equal inertia; the ARI says
    how different the segments are, the spread ((max - min) / min inertia, main fit included)
    says how little the objective prefers one of them.
    """
    if config.seed_runs == 0:
        return math.nan, math.nan
    aris, inertias = [], [inertia]
    for run in range(1, config.seed_runs + 1):
        centers = _fit_kmeans(matrix, k, config, seed=config.random_state + run).cluster_centers_
        run_labels, sq_dist = nearest_centroid(matrix, centers)
        aris.append(adjusted_rand_score(labels, run_labels))
        inertias.append(float(sq_dist.sum()))
    return float(min(aris)), float((max(inertias) - min(inertias)) / max(min(inertias), np.finfo(float).tiny))


def _stability(
    matrix: np.ndarray, labels: np.ndarray, inertia: float, k: int, config: SegmentationConfig
) -> Stability:
    aris = _bootstrap_aris(matrix, labels, k, config)
    mean = float(np.mean(aris)) if aris else math.nan
    se = float(np.std(aris, ddof=1) / math.sqrt(len(aris))) if len(aris) > 1 else math.nan
    seed_min, spread = _seed_runs(matrix, labels, inertia, k, config)
    return Stability(mean, se, seed_min, spread)


def _elbow_k(ks: Sequence[int], inertias: Sequence[float]) -> int | None:
    """kneed's elbow of the inertia curve, or None when there is none (or < 3 points)."""
    if len(ks) < 3:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            knee = KneeLocator(list(ks), list(inertias), curve="convex", direction="decreasing").knee
    except (ValueError, ArithmeticError, IndexError):
        return None
    if knee is None or not np.isfinite(knee):
        return None
    return int(round(float(knee)))


# --------------------------------------------------------------------------------------------
# Model 1: diagnostics per k
# --------------------------------------------------------------------------------------------


def _as_matrix(matrix: np.ndarray | PreparedFeatures) -> np.ndarray:
    if isinstance(matrix, PreparedFeatures):
        matrix = matrix.matrix
    array = np.asarray(matrix, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"expected a non-empty 2-D feature matrix, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("feature matrix contains NaN or infinite values")
    return array


def _single_segment_diagnostics(
    matrix: np.ndarray, distinct: int, config: SegmentationConfig
) -> pd.DataFrame:
    inertia = float(((matrix - matrix.mean(axis=0)) ** 2).sum())
    row = {
        "k": 1,
        "n_customers": len(matrix),
        "n_distinct_profiles": distinct,
        "algorithm": "single_segment",
        "inertia": inertia,
        "silhouette": math.nan,
        "davies_bouldin": math.nan,
        "calinski_harabasz": math.nan,
        "smallest_segment_share": 1.0,
        "is_elbow": False,
        "passes_share": True,
        "passes_stability": True,
    }
    return _typed_diagnostics(pd.DataFrame([row]), config)


_FLOAT_COLUMNS: Final = (
    "inertia",
    "silhouette",
    "davies_bouldin",
    "calinski_harabasz",
    "smallest_segment_share",
    "stability_ari",
    "stability_ari_se",
    "seed_ari_min",
    "seed_inertia_spread",
    "criterion_rank",
    "planted_type_ari",
)


# NaN until filled: stability (by _measure_stability), the rank (last), the planted-type ARI
# (only when the truth is known).
_MEASURED_LATER: Final = (
    "stability_ari",
    "stability_ari_se",
    "seed_ari_min",
    "seed_inertia_spread",
    "criterion_rank",
    "planted_type_ari",
)


def _typed_diagnostics(frame: pd.DataFrame, config: SegmentationConfig) -> pd.DataFrame:
    """DIAGNOSTIC_COLUMNS in order and type; stability columns NaN until measured."""
    frame = frame.copy()
    for column in _MEASURED_LATER:
        if column not in frame:
            frame[column] = math.nan
    frame["bootstrap_rounds"] = config.bootstrap_rounds
    frame["seed_runs"] = config.seed_runs
    frame["criterion"] = "fixed_k" if config.fixed_k is not None else config.k_criterion
    frame["is_eligible"] = frame["passes_share"].astype(bool) & frame["passes_stability"].astype(bool)
    frame = frame.loc[:, list(DIAGNOSTIC_COLUMNS)]
    types: dict[str, str] = {c: "int64" for c in ("k", "n_customers", "n_distinct_profiles")}
    types |= {c: "int64" for c in ("bootstrap_rounds", "seed_runs")}
    types |= {c: "float64" for c in _FLOAT_COLUMNS}
    types |= {c: "bool" for c in ("is_elbow", "passes_share", "passes_stability", "is_eligible")}
    frame = frame.astype(types)
    for column in ("algorithm", "criterion"):
        frame[column] = frame[column].astype(object)
    return frame.reset_index(drop=True)


def _criterion_values(diagnostics: pd.DataFrame, config: SegmentationConfig) -> pd.Series:
    """Per k, the value the criterion maximises (ties -> smaller k), NaN where undefined."""
    k = diagnostics["k"].astype("float64")
    if config.k_criterion == "silhouette":
        return diagnostics["silhouette"].round(SILHOUETTE_TIE_DECIMALS)
    if config.k_criterion == "most_segments":
        return k
    elbows = diagnostics.loc[diagnostics["is_elbow"].astype(bool), "k"]
    if elbows.empty:
        return pd.Series(math.nan, index=diagnostics.index)
    return -(k - float(elbows.iloc[0])).abs()  # nearest the elbow first


def _ranked(diagnostics: pd.DataFrame, config: SegmentationConfig, among: pd.Series) -> list[int]:
    """The k of rows ``among`` (a boolean mask), best criterion value first."""
    values = _criterion_values(diagnostics, config)
    frame = pd.DataFrame({"k": diagnostics["k"].astype(int), "value": values})[
        among.to_numpy() & values.notna()
    ]
    return frame.sort_values(["value", "k"], ascending=[False, True])["k"].tolist()


def _measure_stability(
    diagnostics: pd.DataFrame,
    x: np.ndarray,
    fits: Mapping[int, tuple[np.ndarray, float]],
    config: SegmentationConfig,
) -> pd.DataFrame:
    """Fill the stability columns: for every k, or (stability_all_k off) in criterion order
    among the k that pass the share rule until one is stable, since the rest cannot be chosen."""
    out = diagnostics.copy()
    every_k = _stability_for_every_k(len(x), config)
    if config.fixed_k is not None and not every_k:
        order = [k for k in out["k"] if k == config.fixed_k] or [int(out["k"].max())]
    elif every_k:
        order = out["k"].astype(int).tolist()
    else:
        order = _ranked(out, config, out["passes_share"].astype(bool))
    for k in order:
        labels, inertia = fits[k]
        result = _stability(x, labels, inertia, k, config)
        row = out["k"] == k
        out.loc[row, "stability_ari"] = result.bootstrap_ari
        out.loc[row, "stability_ari_se"] = result.bootstrap_ari_se
        out.loc[row, "seed_ari_min"] = result.seed_ari_min
        out.loc[row, "seed_inertia_spread"] = result.seed_inertia_spread
        out.loc[row, "passes_stability"] = result.passes(config.stability_threshold)
        if not every_k and result.passes(config.stability_threshold):
            break
    return out


def _stability_for_every_k(n_rows: int, config: SegmentationConfig) -> bool:
    return config.stability_all_k and n_rows <= config.stability_all_k_max_customers


@_single_threaded
def evaluate_k(
    matrix: np.ndarray | PreparedFeatures,
    config: SegmentationConfig,
    planted_types: np.ndarray | None = None,
) -> pd.DataFrame:
    """Fit every k in [k_min, k_max] and score it; one row per k (see DIAGNOSTIC_COLUMNS).

    The range is capped at min(k_max, distinct profiles, customers - 1): more clusters than
    distinct points is meaningless and silhouette needs k <= n - 1. When the cap falls below
    k_min (one customer, identical customers, fewer customers than k_min) nothing can be split:
    a single row with k = 1 is returned and :func:`choose_k` explains why.

    A k is eligible when its smallest segment holds >= min_segment_share of customers
    (passes_share) and its bootstrap and run-to-run ARIs reach stability_threshold
    (passes_stability); criterion_rank orders the eligible k by k_criterion (1 = best).
    ``planted_types`` (one known type per row, e.g. the synthetic generator's customer_type)
    adds planted_type_ari: how well each k's segments recover the known truth (NaN without).
    """
    x = _as_matrix(matrix)
    n_rows = len(x)
    distinct = _count_distinct_rows(x)
    k_high = min(config.k_max, distinct, n_rows - 1)
    if k_high < config.k_min:
        return _single_segment_diagnostics(x, distinct, config)
    ks = list(range(config.k_min, k_high + 1))
    sample = _silhouette_rows(n_rows, config)
    rows = []
    fits: dict[int, tuple[np.ndarray, float]] = {}
    for k in ks:
        labels, sq_dist = nearest_centroid(x, _fit_kmeans(x, k, config).cluster_centers_)
        fits[k] = (labels, float(sq_dist.sum()))
        counts = np.bincount(labels, minlength=k)
        several = np.count_nonzero(counts) >= 2
        rows.append(
            {
                "k": k,
                "n_customers": n_rows,
                "n_distinct_profiles": distinct,
                "algorithm": _algorithm(n_rows, config),
                "inertia": float(sq_dist.sum()),
                "davies_bouldin": float(davies_bouldin_score(x, labels)) if several else math.nan,
                "calinski_harabasz": (float(calinski_harabasz_score(x, labels)) if several else math.nan),
                "smallest_segment_share": float(counts.min() / n_rows),
            }
        )
    diagnostics = pd.DataFrame(rows)
    diagnostics["silhouette"] = _silhouettes(x[sample], [fits[k][0][sample] for k in ks])
    if planted_types is not None:
        diagnostics["planted_type_ari"] = [adjusted_rand_score(planted_types, fits[k][0]) for k in ks]
    diagnostics["passes_share"] = diagnostics["smallest_segment_share"] >= config.min_segment_share
    # Not measured means not shown to pass; _measure_stability sets it where it measures.
    diagnostics["passes_stability"] = config.bootstrap_rounds == 0 and config.seed_runs == 0
    elbow = _elbow_k(ks, diagnostics["inertia"].tolist())
    diagnostics["is_elbow"] = diagnostics["k"] == elbow if elbow is not None else False
    diagnostics = _typed_diagnostics(diagnostics, config)
    diagnostics = _typed_diagnostics(_measure_stability(diagnostics, x, fits, config), config)
    ranking = _ranked(diagnostics, config, diagnostics["is_eligible"])
    rank = {k: position for position, k in enumerate(ranking, start=1)}
    diagnostics["criterion_rank"] = diagnostics["k"].map(rank).astype("float64")
    return diagnostics


def _gate(config: SegmentationConfig) -> str:
    return (
        f"every segment >= {config.min_segment_share:.1%} of customers, bootstrap and "
        f"run-to-run ARI >= {config.stability_threshold:.2f}"
    )


def choose_k(diagnostics: pd.DataFrame, config: SegmentationConfig) -> tuple[int, str]:
    """Pick k and say why.

    Order of rules: fixed_k (capped to what the data allows); else the eligible k ranked first
    by k_criterion (criterion_rank 1; eligible = every segment >= min_segment_share and stable,
    see :func:`evaluate_k`); else, with no eligible k, the most stable k among those passing
    the share rule; else kneed's inertia elbow; else k_min. A diagnostics frame holding only
    k = 1 means the data cannot be split at all.
    """
    diag = diagnostics.sort_values("k").reset_index(drop=True)
    ks = [int(k) for k in diag["k"]]
    if not ks:
        raise ValueError("diagnostics frame is empty")
    if ks == [1]:
        n_customers = int(diag["n_customers"].iloc[0])
        distinct = int(diag["n_distinct_profiles"].iloc[0])
        reason = (
            f"single segment: {n_customers} customer(s) with {distinct} distinct feature "
            f"profile(s) leave no k in [{config.k_min}, {config.k_max}] to evaluate "
            "(k needs at least k distinct profiles and k + 1 customers)"
        )
        if config.fixed_k is not None:
            reason += f"; fixed_k={config.fixed_k} could not be honoured"
        return 1, reason
    if config.fixed_k is not None:
        if config.fixed_k in ks:
            return config.fixed_k, f"fixed by var: fixed_k={config.fixed_k}"
        capped = max(k for k in ks if k <= config.fixed_k)
        return capped, (
            f"fixed by var: fixed_k={config.fixed_k} exceeds the largest k the data allows "
            f"({max(ks)}); using k={capped}"
        )
    ranking = _ranked(diag, config, diag["is_eligible"].astype(bool))
    if ranking:
        k = ranking[0]
        row = diag.set_index("k").loc[k]
        return k, (
            f"chosen: {_criterion_phrase(config, row)} among the {len(ranking)} eligible k ({_gate(config)})"
        )
    sized = diag[diag["passes_share"].astype(bool) & diag["stability_ari"].notna()]
    if not sized.empty:
        best = sized.sort_values(["stability_ari", "k"], ascending=[False, True]).iloc[0]
        return int(best["k"]), (
            f"no k is eligible ({_gate(config)}); fell back to the most stable k keeping every "
            f"segment >= {config.min_segment_share:.1%} (bootstrap ARI {best['stability_ari']:.3f})"
        )
    elbows = diag.loc[diag["is_elbow"].astype(bool), "k"]
    if not elbows.empty:
        k = int(elbows.min())
        return k, f"no k is eligible ({_gate(config)}); fell back to the inertia elbow (kneed) at k={k}"
    return ks[0], f"no k is eligible ({_gate(config)}) and kneed found no elbow; fell back to k_min={ks[0]}"


def _criterion_phrase(config: SegmentationConfig, row: pd.Series) -> str:
    if config.k_criterion == "silhouette":
        return f"highest silhouette ({row['silhouette']:.3f})"
    if config.k_criterion == "most_segments":
        return "most segments"
    return "nearest the inertia elbow"


def _row_reason(row: pd.Series, chosen: int, config: SegmentationConfig) -> str:
    """Why a k that was not chosen lost: the share rule, stability, or the criterion."""
    threshold = config.stability_threshold
    failures = []
    if not row["passes_share"]:
        failures.append(
            f"smallest segment holds {row['smallest_segment_share']:.1%} of customers "
            f"(< min_segment_share {config.min_segment_share:.1%})"
        )
    if math.isnan(row["stability_ari"]) and math.isnan(row["seed_ari_min"]) and not row["passes_stability"]:
        failures.append(
            "stability not measured (stability_all_k off or above stability_all_k_max_customers, "
            "and a better-ranked k was stable)"
        )
    if not math.isnan(row["stability_ari"]) and row["stability_ari"] < threshold:
        failures.append(
            f"bootstrap ARI {row['stability_ari']:.3f} ± {row['stability_ari_se']:.3f} "
            f"over {config.bootstrap_rounds} rounds (< {threshold:.2f})"
        )
    if not math.isnan(row["seed_ari_min"]) and row["seed_ari_min"] < threshold:
        failures.append(
            f"run-to-run ARI {row['seed_ari_min']:.3f} over {config.seed_runs} other seeds "
            f"(< {threshold:.2f})"
        )
    if failures:
        return f"not eligible (k={chosen} chosen): " + "; ".join(failures)
    if config.fixed_k is not None:
        return f"eligible, not chosen: fixed_k={chosen}"
    detail = f" (silhouette {row['silhouette']:.3f})" if config.k_criterion == "silhouette" else ""
    rank = int(row["criterion_rank"])
    return f"eligible, not chosen: ranked {rank} by {config.k_criterion}{detail}; k={chosen} ranked 1"


def annotate_choice(
    diagnostics: pd.DataFrame, k: int, reason: str, config: SegmentationConfig | None = None
) -> pd.DataFrame:
    """Add is_chosen (exactly one true row) and a per-row choice_reason."""
    config = SegmentationConfig() if config is None else config
    out = diagnostics.copy()
    out["is_chosen"] = out["k"].astype("int64") == int(k)
    if int(out["is_chosen"].sum()) != 1:
        raise ValueError(f"chosen k={k} must appear exactly once in diagnostics k={list(out.k)}")
    texts = [reason if row["is_chosen"] else _row_reason(row, int(k), config) for _, row in out.iterrows()]
    out["choice_reason"] = pd.Series(texts, index=out.index, dtype=object)
    return out


def _planted_types(planted: pd.DataFrame | None, customer_ids: np.ndarray) -> np.ndarray | None:
    """The planted type of every customer, in ``customer_ids`` order (all must be known)."""
    if planted is None:
        return None
    types = planted.set_axis(planted[ID_COLUMN].astype(str).to_numpy(), axis=0)[PLANTED_TYPE_COLUMN]
    unknown = np.setdiff1d(customer_ids, types.index.to_numpy())
    if len(unknown):
        raise ValueError(f"{len(unknown)} customer(s) have no planted type, e.g. {unknown[:3].tolist()}")
    return types.loc[customer_ids].astype(str).to_numpy()


def with_present_features(df: pd.DataFrame, config: SegmentationConfig) -> SegmentationConfig:
    """``config`` with only the features the customers frame has values for (a log without product
    codes has no distinct-product count): every model of a build then uses the same features."""
    if not isinstance(df, pd.DataFrame):
        return config  # refused with a clear message by _load_feature_frame
    features = drop_absent_features(df, config.features, "segmentation")
    return config if features == config.features else replace(config, features=features, feature_preset=None)


def build_k_diagnostics(
    df: pd.DataFrame, config: SegmentationConfig, planted: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Model 1 (segment_k_diagnostics): DIAGNOSTIC_COLUMNS + is_chosen + choice_reason.

    ``planted``: customer_id and customer_type of customers whose type is known (synthetic data).
    """
    config = with_present_features(df, config)
    prepared = prepare_features(df, config)
    diagnostics = evaluate_k(prepared, config, _planted_types(planted, prepared.customer_ids))
    k, reason = choose_k(diagnostics, config)
    return annotate_choice(diagnostics, k, reason, config)


def chosen_k(diagnostics: pd.DataFrame) -> int:
    """The k flagged is_chosen in a (possibly database round-tripped) diagnostics table."""
    chosen = diagnostics.loc[diagnostics["is_chosen"].astype(bool), "k"]
    if len(chosen) != 1:
        raise ValueError(f"diagnostics must have exactly one is_chosen row, found {len(chosen)}")
    return int(chosen.iloc[0])


# --------------------------------------------------------------------------------------------
# Naming and ordering
# --------------------------------------------------------------------------------------------


def rfm_score(values: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """RFM score 1..5 of each value among ``values``: the quintile_score macro, in numpy.

    ``1 + floor(5 * percent_rank)``, capped at 5, where percent_rank = (customers strictly
    better-ranked below) / (n - 1) and ties share the lower score, exactly as SQL's
    percent_rank() over (order by column [desc]); so the Python and SQL scores agree.
    """
    v = np.asarray(values, dtype=np.float64)
    if len(v) <= 1:
        return np.ones(len(v), dtype=np.int64)
    ordered = np.sort(v if higher_is_better else -v)
    below = np.searchsorted(ordered, v if higher_is_better else -v, side="left")
    rank = below / (len(v) - 1)
    return np.minimum(RFM_SCORE_LEVELS, 1 + np.floor(RFM_SCORE_LEVELS * rank)).astype(np.int64)


def _grid(grid: pd.DataFrame | None) -> pd.DataFrame:
    frame = pd.read_csv(RFM_GRID_PATH) if grid is None else grid
    missing = [c for c in RFM_GRID_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"RFM grid is missing column(s) {missing}")
    frame = frame.loc[:, list(RFM_GRID_COLUMNS)].astype(
        {"recency_score": "int64", "frequency_score": "int64"}
    )
    frame["rfm_segment"] = frame["rfm_segment"].astype(str)
    return frame


def rule_based_segments(customers: pd.DataFrame, grid: pd.DataFrame | None = None) -> np.ndarray:
    """Each customer's rule-based RFM segment (customer_rfm_segments' rfm_segment), in numpy."""
    cells = _grid(grid).set_index(["recency_score", "frequency_score"])["rfm_segment"]
    r = rfm_score(customers["recency_days"].to_numpy(), higher_is_better=False)
    f = rfm_score(customers["frequency"].to_numpy())
    return cells.reindex(pd.MultiIndex.from_arrays([r, f])).to_numpy(dtype=object)


def _period_days(customers: pd.DataFrame) -> float:
    """Days the file covers: the longest first purchase -> snapshot span among customers."""
    span = customers["recency_days"].astype("float64")
    if "tenure_days" in customers.columns:
        span = span + customers["tenure_days"].astype("float64")
    return float(span.max())


def name_segments(
    customers: pd.DataFrame,
    labels: np.ndarray,
    config: SegmentationConfig | None = None,
    grid: pd.DataFrame | None = None,
) -> dict[int, str]:
    """A different, truthful name for every segment (labels = segment ids, one per customer).

    The rule (README, "Segment names"): every customer holds a rule-based RFM segment, the
    R x F grid cell of their recency and frequency quintiles (rfm_segment_map, the names of
    customer_rfm_segments). A segment prefers the grid name most of its customers hold; the
    names are then assigned one-to-one (Hungarian algorithm, :func:`linear_sum_assignment`)
    so that the total share of customers whose rule-based name equals their segment's name
    is as high as possible. So two segments never share a name, and the second of two mostly
    "Hibernating" segments gets the next name its own customers hold most ("Lost", say).

    Guard: a segment whose median recency exceeds ``dormant_period_share`` of the period the
    file covers gets only a name of the grid's lapsed rows (R <= lapsed_max_recency_score):
    customers who left most of the period ago are never "Need attention". One segment is
    "All customers".
    """
    config = SegmentationConfig() if config is None else config
    labels = np.asarray(labels)
    ids = sorted(int(i) for i in np.unique(labels))
    if len(ids) == 1:
        return {ids[0]: SINGLE_SEGMENT_NAME}
    table = _grid(grid)
    vocabulary = list(dict.fromkeys(table["rfm_segment"]))
    if len(ids) > len(vocabulary):
        raise ValueError(
            f"{len(ids)} segments but the RFM grid has only {len(vocabulary)} distinct names "
            f"{vocabulary}; lower k_max or add names to rfm_segment_map"
        )
    held = pd.Series(rule_based_segments(customers, table))
    lapsed = table.groupby("rfm_segment")["recency_score"].max() <= config.lapsed_max_recency_score
    dormant_after = config.dormant_period_share * _period_days(customers)
    recency = customers["recency_days"].astype("float64").to_numpy()
    cost = np.zeros((len(ids), len(vocabulary)))
    for i, segment in enumerate(ids):
        members = labels == segment
        shares = held[members].value_counts(normalize=True)
        dormant = float(np.median(recency[members])) > dormant_after
        for j, name in enumerate(vocabulary):
            cost[i, j] = 1.0 - float(shares.get(name, 0.0))
            if dormant and not lapsed[name]:
                cost[i, j] += NAME_GUARD_PENALTY
    rows, columns = linear_sum_assignment(cost)
    return {ids[i]: vocabulary[j] for i, j in zip(rows, columns, strict=True)}


def _segment_order(
    centroids_original: np.ndarray, centroids_scaled: np.ndarray, features: Sequence[str]
) -> list[int]:
    """Cluster indices in segment-id order (see SEGMENT_ORDER_RULE).

    Features outside the rule break remaining ties (larger first, in config order), then the
    scaled coordinates, so the order is total and never depends on KMeans' label numbering.
    """
    ruled = [(features.index(f), sign) for f, sign in SEGMENT_ORDER_RULE if f in features]
    named = {f for f, _ in SEGMENT_ORDER_RULE}
    rest = [(j, -1) for j, f in enumerate(features) if f not in named]

    def key(i: int) -> tuple[float, ...]:
        values = [sign * centroids_original[i, j] for j, sign in ruled + rest]
        return (*values, *centroids_scaled[i])

    return sorted(range(len(centroids_original)), key=key)


# --------------------------------------------------------------------------------------------
# Model 2: centroid table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FittedSegments:
    """The long centroid table plus the labels the fit produced (segment ids, by customer)."""

    centroids: pd.DataFrame
    customer_ids: np.ndarray
    labels: np.ndarray


def _to_original_units(centers: np.ndarray, params: pd.DataFrame) -> np.ndarray:
    """Map z-space centroids back through the scaler and the transform (for humans)."""
    columns = [
        _inverse(centers[:, j] * row.scale + row.center, str(row.transform))
        for j, row in enumerate(params.itertuples(index=False))
    ]
    return np.column_stack(columns)


def _member_means(raw: pd.DataFrame, labels: np.ndarray, k: int) -> np.ndarray:
    """Arithmetic mean of each segment's raw feature values (NaN for an empty segment)."""
    values = raw.astype("float64").to_numpy()
    means = np.full((k, values.shape[1]), np.nan)
    for s in range(k):
        members = labels == s + 1
        if members.any():
            means[s] = values[members].mean(axis=0)
    return means


def _centroid_table(
    params: pd.DataFrame,
    centers: np.ndarray,
    original: np.ndarray,
    means: np.ndarray,
    counts: np.ndarray,
    names: Mapping[int, str],
) -> pd.DataFrame:
    """The long (segment x feature) table in CENTROID_COLUMNS order; segment ids are 1..k."""
    k, p = centers.shape
    segment_ids = np.arange(1, k + 1, dtype=np.int64)

    def per_feature(column: str) -> np.ndarray:
        return np.tile(params[column].to_numpy(), k)

    table = pd.DataFrame(
        {
            "segment_id": np.repeat(segment_ids, p),
            "segment_name": np.repeat(np.array([names[s] for s in segment_ids], dtype=object), p),
            "feature_position": np.tile(np.arange(1, p + 1, dtype=np.int64), k),
            "feature": per_feature("feature").astype(object),
            "transform": per_feature("transform").astype(object),
            "clip_low": per_feature("clip_low"),
            "clip_high": per_feature("clip_high"),
            "scaler_center": per_feature("center"),
            "scaler_scale": per_feature("scale"),
            "centroid_scaled": centers.reshape(-1),
            "centroid_original": original.reshape(-1),
            "segment_mean_original": means.reshape(-1),
            "segment_customers": np.repeat(counts.astype(np.int64), p),
            "segment_share": np.repeat(counts / counts.sum(), p),
        }
    )
    return table.loc[:, list(CENTROID_COLUMNS)]


# What naming reads from the customers mart whatever the features: recency and frequency give
# each customer's rule-based segment, tenure the period the file covers.
_NAMING_COLUMNS: Final = ("recency_days", "frequency")


def _naming_frame(df: pd.DataFrame, customer_ids: np.ndarray) -> pd.DataFrame:
    """The naming columns of ``df`` in the (sorted) order of ``customer_ids``."""
    missing = [c for c in _NAMING_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"customers frame is missing column(s) {missing} needed to name segments")
    columns = [*_NAMING_COLUMNS, *(["tenure_days"] if "tenure_days" in df.columns else [])]
    frame = df.loc[:, columns].set_axis(df[ID_COLUMN].astype(str).to_numpy(), axis=0)
    return frame.loc[customer_ids].reset_index(drop=True)


@_single_threaded
def fit_segments(
    df: pd.DataFrame, config: SegmentationConfig, k: int, grid: pd.DataFrame | None = None
) -> FittedSegments:
    """Fit the final model with k segments; see :func:`fit_centroids` for the table.

    Labels are recomputed with :func:`nearest_centroid` against the re-ordered centroids, so
    they are by construction what :func:`assign_segments` gives from the stored table.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    k = int(k)
    config = with_present_features(df, config)
    prepared = prepare_features(df, config)
    x = prepared.matrix
    distinct = _count_distinct_rows(x)
    if k > distinct:
        raise ValueError(f"k={k} exceeds the {distinct} distinct customer profile(s) in the data")
    raw_centers = x.mean(axis=0, keepdims=True) if k == 1 else _fit_kmeans(x, k, config).cluster_centers_

    params = prepared.scaler_params
    raw_original = _to_original_units(raw_centers, params)
    order = _segment_order(raw_original, raw_centers, config.features)
    centers, original = raw_centers[order], raw_original[order]

    labels = nearest_centroid(x, centers)[0] + 1
    counts = np.bincount(labels, minlength=k + 1)[1:]
    means = _member_means(prepared.raw, labels, k)
    names = name_segments(_naming_frame(df, prepared.customer_ids), labels, config, grid)
    return FittedSegments(
        centroids=_centroid_table(params, centers, original, means, counts, names),
        customer_ids=prepared.customer_ids,
        labels=labels,
    )


def fit_centroids(
    df: pd.DataFrame, config: SegmentationConfig, k: int, grid: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Model 2 (segment_centroids): one row per segment x feature (CENTROID_COLUMNS).

    Per feature it stores the scoring parameters (transform, clip_low/clip_high in transformed
    units, scaler_center, scaler_scale); per segment and feature the centroid in z space
    (centroid_scaled, used for scoring), the same point mapped back to original units
    (centroid_original; for log1p a geometric-mean-like "typical" value) and the members'
    arithmetic mean (segment_mean_original), plus segment size and share. Segment ids follow
    SEGMENT_ORDER_RULE; names follow :func:`name_segments`.
    """
    return fit_segments(df, config, k, grid).centroids


# --------------------------------------------------------------------------------------------
# Model 3: scoring from the stored table
# --------------------------------------------------------------------------------------------

# Everything scoring needs; the descriptive columns after centroid_scaled are optional.
_TABLE_REQUIRED: Final = CENTROID_COLUMNS[: CENTROID_COLUMNS.index("centroid_scaled") + 1]
_PARAM_SOURCE: Final = {
    "transform": "transform",
    "clip_low": "clip_low",
    "clip_high": "clip_high",
    "scaler_center": "center",
    "scaler_scale": "scale",
}


def _table_parts(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, str], np.ndarray]:
    """Scaler parameters, names and centroid matrix from a stored centroid table (validated)."""
    missing = [c for c in _TABLE_REQUIRED if c not in table.columns]
    if missing:
        raise ValueError(f"centroid table is missing column(s) {missing}")
    if table.empty:
        raise ValueError("centroid table has no rows")
    t = table.loc[:, list(_TABLE_REQUIRED)].copy()
    t["segment_id"] = t["segment_id"].astype("int64")
    t["feature_position"] = t["feature_position"].astype("int64")
    t["feature"] = t["feature"].astype(str)
    t["transform"] = t["transform"].astype(str)
    for column in ("clip_low", "clip_high", "scaler_center", "scaler_scale", "centroid_scaled"):
        t[column] = t[column].astype("float64")
    if t.duplicated(["segment_id", "feature"]).any():
        raise ValueError("centroid table has more than one row per (segment_id, feature)")

    per_feature = t.groupby("feature", sort=False)[["feature_position", *_PARAM_SOURCE]]
    if (per_feature.nunique(dropna=False) > 1).any(axis=None):
        raise ValueError("centroid table has inconsistent scaler parameters across segments")
    params = (
        t.drop_duplicates("feature")
        .sort_values("feature_position")
        .rename(columns=_PARAM_SOURCE)
        .loc[:, list(SCALER_COLUMNS)]
        .reset_index(drop=True)
    )
    bad_transform = sorted(set(params["transform"]) - set(TRANSFORMS))
    if bad_transform:
        raise ValueError(f"centroid table has unknown transform(s) {bad_transform}")
    if not (np.isfinite(params["scale"]) & (params["scale"] > 0)).all():
        raise ValueError("centroid table has a non-positive or non-finite scaler_scale")

    features = list(params["feature"])
    grid = t.pivot(index="segment_id", columns="feature", values="centroid_scaled")
    grid = grid.sort_index().reindex(columns=features)
    if grid.isna().any(axis=None):
        raise ValueError("centroid table lacks a centroid_scaled value for some segment/feature")
    names_frame = t.drop_duplicates(["segment_id", "segment_name"])
    if names_frame["segment_id"].duplicated().any():
        raise ValueError("centroid table has more than one segment_name for a segment_id")
    names = dict(zip(names_frame["segment_id"], names_frame["segment_name"].astype(str), strict=True))
    return params, names, grid


def assign_segments(
    df: pd.DataFrame, centroids_table: pd.DataFrame, config: SegmentationConfig
) -> pd.DataFrame:
    """Model 3 (customer_segments): nearest stored centroid for every customer.

    Uses only the stored table (scaler parameters and centroids), so a table read back from
    the warehouse scores identically. Returns ASSIGNMENT_COLUMNS (distance_to_centroid is the
    Euclidean distance in z space) plus the raw feature values, sorted by customer_id.
    """
    params, names, grid = _table_parts(centroids_table)
    features = list(params["feature"])
    config = with_present_features(df, config)
    if set(features) != set(config.features):
        raise ValueError(
            f"centroid table features {features} do not match config features "
            f"{list(config.features)}; rebuild the centroid table"
        )
    ids, raw, matrix = _load_feature_frame(df, features, list(params["transform"]))
    labels, sq_dist = nearest_centroid(_apply_params(matrix, params), grid.to_numpy())
    segment_ids = grid.index.to_numpy(dtype=np.int64)[labels]
    out = pd.DataFrame(
        {
            ID_COLUMN: pd.Series(ids, dtype=object),
            "segment_id": segment_ids,
            "segment_name": pd.Series([names[s] for s in segment_ids], dtype=object),
            "distance_to_centroid": np.sqrt(sq_dist),
        }
    )
    for j, feature in enumerate(features):
        integer = pd.api.types.is_integer_dtype(raw[feature].dtype)
        out[feature] = matrix[:, j].astype(np.int64) if integer else matrix[:, j]
    return out
