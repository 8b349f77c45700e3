"""New-customer models: next-year purchases and final segment from the first invoice alone.

Marketing wants to act the day after a customer's first order. The SQL model
``int_customer_first_purchases`` gives one row per identified customer with features of the
first purchase invoice only, the next-year targets and an ``is_training`` flag (a full year
after the first purchase is observed). The dbt Python models are thin wrappers around:

1. ``prediction_metrics`` -> :func:`evaluate_models`: cross-validated metrics of every candidate
   and every baseline, one row per model x target x metric (columns :data:`METRIC_COLUMNS`).
2. ``customer_next_year_predictions`` -> :func:`predict_new_customers`: one row per customer with
   ``is_training = false`` (columns :data:`PREDICTION_COLUMNS`), each target predicted by the
   model :func:`select_models` picks from the metrics.

Choices (and why):

* **Only first-invoice columns reach a model.** :data:`FEATURES` lists every allowed column;
  :func:`check_features` raises on anything else (targets, ids, dates, the split flag). It runs
  on the configured feature list, in :func:`feature_frame` (the only way columns are taken from
  the input), when a preprocessor is built or fitted and when a baseline is fitted, so a leak
  fails loudly instead of inflating the scores; other input columns are never read.
* **Learnt from ``is_training`` customers only**, the segment too: ``final_segment_id`` exists
  for everyone, but a recent customer's segment reflects less than a year of history, which is
  not the outcome to learn. Only those customers are cross-validated.
* **Time-aware cross-validation.** Training customers are ordered by ``first_invoiced_at``
  (ties by ``customer_id``) and split with sklearn's ``TimeSeriesSplit``: each fold trains on
  earlier cohorts and scores the next block, as in production, where the model trained on
  older cohorts scores newer ones; shuffled k-fold would let a fold learn from customers who
  arrive after the ones it scores (seasonality, cohort drift) and look better than it is. The
  first block is only ever trained on. Metrics are computed once on the pooled out-of-fold
  predictions (stable when folds are small, and R2 stays defined). What it cannot emulate is the
  one-year label delay: a fold's training customers have targets that end after the scored
  customers arrived; a 365-day gap would leave nothing to train on with one year of cohorts.
  Months unseen in a fold's training block (common: folds move through the calendar) get no
  month effect, which is why the month baseline falls back to the global mean there.
* **Honest baselines on the same folds**: global mean, mean by first-purchase calendar month,
  majority segment. A candidate is used for predictions only if its selection metric (MAE for
  the regressors, macro-F1 for the segment) strictly beats the best baseline's; otherwise the
  best baseline is used and the model column says ``baseline: ...``.
* **Candidates.** Count: Ridge, PoissonRegressor, HistGradientBoosting (Poisson loss) and kNN,
  all on the raw count. Value (heavy-tailed: a few wholesalers dominate): ``ridge_log1p`` and
  ``hist_gradient_boosting_log1p`` fit ``log1p(value)`` and back-transform with ``expm1`` (they
  predict roughly a conditional median, which is what MAE rewards, and a handful of huge
  customers cannot dominate the fit, but they under-predict totals); ``poisson`` is a
  quasi-Poisson GLM (Tweedie power 1, log link) on the raw value, which targets the conditional
  mean and so preserves totals; ``knn`` averages raw neighbour values. RMSE and R2 in the metrics
  table show the trade-off. Segment: logistic regression, SVC (calibrated with
  ``CalibratedClassifierCV(ensemble=False)``, since ``SVC(probability=True)`` is deprecated),
  decision tree, random forest, HistGradientBoosting and kNN. Regressor predictions are clipped at 0 (both
  targets are non-negative); the Poisson deviance floors predictions at 1e-6.
* **Preprocessing** (:func:`build_preprocessor`, a ColumnTransformer): fitted once per fold on
  that fold's training block and shared by all candidates (refitting it inside every candidate
  cost more than the models on small data); the final model is a ``Pipeline(preprocessor,
  model)`` refitted on all training customers. ``log1p`` then scaling for the skewed invoice
  sizes, scaling for the hour, one-hot with fixed categories for month and weekday, 0/1 flags
  as is, and one-hot for the country with countries seen fewer than ``country_min_frequency``
  times grouped into one "infrequent" column.
  ``handle_unknown='infrequent_if_exist'`` (a superset of ``'ignore'``): a country never seen
  in training is treated like the rare countries when such a group exists, else all zeros.
* **Size limits.** SVC and kNN are trained on a seeded subsample of ``max_training_rows``
  customers when there are more (SVC's cost grows super-linearly, kNN's per prediction); the
  preprocessor still sees the whole training block. Every model is cross-validated and
  refitted on at most ``max_cv_customers`` (10,000) training customers, a seeded draw kept in
  time order: more barely moves the cross-validated scores while the cost keeps growing (20M raw
  lines give ~100k training customers, whose cross-validation took minutes; Online Retail II has
  about 3,000, so it is unaffected). SVC predicts in time proportional to customers x support
  vectors: above ``max_kernel_predictions`` (200,000) customers to predict it is not a candidate
  (200M raw lines leave 820,000 new customers, whose SVC predictions took 160 s).
* **Small data.** Fewer than 3 training customers: ``ValueError`` (no time split possible).
  The number of folds is reduced so every scored block holds about 5 customers or more
  (never below 2 folds); ``n_folds`` says how many were used. Below ``min_training_rows``
  (default 20) only the baselines are evaluated and used; the columns stay the same. With a
  single segment in the training data the classifiers are skipped (the majority class is
  exact); a fold whose training block holds a single segment predicts that segment.
* **Cost.** :func:`predict_new_customers` needs the cross-validated scores to choose; pass it
  the ``prediction_metrics`` table to avoid running the cross-validation a second time.
* **Determinism.** Input is sorted by (first_invoiced_at, customer_id) first, every random draw
  uses ``random_state``, and BLAS/OpenMP run single-threaded (as in clustering: bit-identical
  results whatever the caller's thread settings, and no OpenMP stalls on a busy box).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, ParamSpec, TypeVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, PoissonRegressor, Ridge
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    mean_poisson_deviance,
    mean_squared_error,
    r2_score,
)
from sklearn.model_selection import StratifiedKFold, TimeSeriesSplit
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from segmentation.dbt_vars import check_fields, setting, settings_from_mapping
from segmentation.features import drop_absent_features

__all__ = [
    "BASELINE_GLOBAL_MEAN",
    "BASELINE_MAJORITY",
    "BASELINE_MONTH_MEAN",
    "FEATURES",
    "METRIC_COLUMNS",
    "METRIC_DTYPES",
    "PREDICTION_COLUMNS",
    "PREDICTION_DTYPES",
    "TARGETS",
    "GlobalMeanRegressor",
    "GroupMeanRegressor",
    "MajorityClassifier",
    "PredictionConfig",
    "build_preprocessor",
    "check_features",
    "classification_metrics",
    "config_from_mapping",
    "evaluate_models",
    "feature_frame",
    "fold_count",
    "predict_new_customers",
    "regression_metrics",
    "select_models",
    "time_series_folds",
]

# --------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------

ID_COLUMN: Final = "customer_id"
TIME_COLUMN: Final = "first_invoiced_at"
DATE_COLUMN: Final = "first_invoice_date"
SPLIT_COLUMN: Final = "is_training"
MONTH_COLUMN: Final = "first_invoice_month"
COUNTRY_COLUMN: Final = "first_invoice_country"

COUNT_TARGET: Final = "next_year_purchase_count"
VALUE_TARGET: Final = "next_year_purchase_value"
SEGMENT_TARGET: Final = "final_segment_id"
SEGMENT_NAME_COLUMN: Final = "final_segment_name"
TARGETS: Final = (COUNT_TARGET, VALUE_TARGET, SEGMENT_TARGET)
TARGET_COLUMNS: Final = (*TARGETS, SEGMENT_NAME_COLUMN)
BASELINE_COLUMNS: Final = (MONTH_COLUMN,)  # what the month baseline reads (a feature as well)

# Skewed sizes of the first invoice: log1p, then scaled.
LOG_FEATURES: Final = (
    "first_invoice_value",
    "first_invoice_lines",
    "first_invoice_distinct_products",
    "first_invoice_units",
    "first_invoice_mean_unit_price",
)
FLAG_FEATURES: Final = ("first_invoice_is_home_country", "had_cancellation_before_first_invoice")
# Calendar features one-hot encoded over fixed categories (same columns in every fold).
CALENDAR_CATEGORIES: Final = {
    "first_invoice_month": tuple(float(m) for m in range(1, 13)),
    "first_invoice_weekday": tuple(float(d) for d in range(7)),
}
SCALED_FEATURES: Final = ("first_invoice_hour",)

# Every column a model may see: all of them are known the moment the first invoice is issued.
FEATURES: Final = (
    *LOG_FEATURES,
    COUNTRY_COLUMN,
    *FLAG_FEATURES,
    *CALENDAR_CATEGORIES,
    *SCALED_FEATURES,
)

BASELINE_GLOBAL_MEAN: Final = "baseline: global mean"
BASELINE_MONTH_MEAN: Final = "baseline: mean by first-purchase month"
BASELINE_MAJORITY: Final = "baseline: majority class"

REGRESSION_METRICS: Final = ("mae", "rmse", "r2")
COUNT_METRICS: Final = (*REGRESSION_METRICS, "poisson_deviance")
CLASSIFICATION_METRICS: Final = ("accuracy", "macro_f1")
TARGET_METRICS: Final = {
    COUNT_TARGET: COUNT_METRICS,
    VALUE_TARGET: REGRESSION_METRICS,
    SEGMENT_TARGET: CLASSIFICATION_METRICS,
}
SELECTION_METRIC: Final = {COUNT_TARGET: "mae", VALUE_TARGET: "mae", SEGMENT_TARGET: "macro_f1"}
HIGHER_IS_BETTER: Final = frozenset({"r2", "accuracy", "macro_f1"})

METRIC_DTYPES: Final = {
    "model": "object",
    "target": "object",
    "metric": "object",
    "value": "float64",
    "baseline": "object",
    "baseline_value": "float64",
    "is_baseline": "bool",
    "is_best": "bool",
    "n_train": "int64",
    "n_folds": "int64",
}
METRIC_COLUMNS: Final = tuple(METRIC_DTYPES)

PREDICTION_DTYPES: Final = {
    ID_COLUMN: "object",
    DATE_COLUMN: "datetime64[ns]",
    "predicted_purchase_count": "float64",
    "predicted_purchase_value": "float64",
    "predicted_segment_id": "int64",
    "predicted_segment_name": "object",
    "predicted_segment_probability": "float64",
    "count_model": "object",
    "value_model": "object",
    "segment_model": "object",
}
PREDICTION_COLUMNS: Final = tuple(PREDICTION_DTYPES)

MIN_CV_ROWS: Final = 3  # TimeSeriesSplit needs 2 folds of >= 1 scored customer each
MIN_TEST_FOLD_ROWS: Final = 5  # fewer folds rather than scoring blocks of 1-2 customers
POISSON_DEVIANCE_FLOOR: Final = 1e-6
SVC_CALIBRATION_FOLDS: Final = 3
UNKNOWN_COUNTRY: Final = "Unknown"


# --------------------------------------------------------------------------------------------
# Leakage guard and configuration
# --------------------------------------------------------------------------------------------


def check_features(columns: Iterable[str]) -> tuple[str, ...]:
    """Return ``columns`` as a tuple if every one is in :data:`FEATURES`, else raise.

    Why: the models must work the day after the first order, so nothing known later (targets,
    final segment, the split flag, ids or dates that encode arrival order) may reach them.
    """
    names = tuple(columns)
    if not names:
        raise ValueError("at least one feature column is required, got none")
    targets = [c for c in names if c in TARGET_COLUMNS]
    if targets:
        raise ValueError(
            f"target column(s) {targets} cannot be used as features (they are only known after "
            f"the first invoice); allowed features: {list(FEATURES)}"
        )
    others = [c for c in names if c not in FEATURES]
    if others:
        raise ValueError(
            f"column(s) {others} are not allowed as features; only first-invoice columns may be "
            f"used: {list(FEATURES)}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"feature list names a column more than once: {list(names)}")
    return names


@dataclass(frozen=True)
class PredictionConfig:
    """All knobs of the new-customer models, each declared once: type, default and range.

    Validated on construction (:func:`~segmentation.dbt_vars.check_fields`), so bad vars fail
    early; dbt vars are parsed by the same declarations (:func:`config_from_mapping`).
    """

    n_splits: int = setting(5, minimum=2)
    random_state: int = setting(42, minimum=0)
    # SVC and kNN are trained on a seeded subsample of at most this many customers.
    max_training_rows: int = setting(2500, minimum=10)
    # Every model sees at most this many training customers (a seeded subsample).
    max_cv_customers: int = setting(10_000, minimum=MIN_CV_ROWS)
    # Above this many customers to predict, SVC is not a candidate.
    max_kernel_predictions: int = setting(200_000, minimum=0)
    # Below this many training customers only the baselines are evaluated and used.
    min_training_rows: int = setting(20, minimum=MIN_CV_ROWS)
    features: tuple[str, ...] = setting(FEATURES, check=check_features)
    country_min_frequency: int = setting(10, minimum=1)
    knn_neighbors: int = setting(25, minimum=1)
    boosting_max_iter: int = setting(150, minimum=1)
    # Random forest: enough trees for stable votes at a few thousand customers; leaves of at
    # least forest_min_samples_leaf customers keep it from memorising single first invoices.
    forest_trees: int = setting(200, minimum=1)
    forest_min_samples_leaf: int = setting(5, minimum=1)

    def __post_init__(self) -> None:
        check_fields(self)


def config_from_mapping(values: Mapping[str, object] | None) -> PredictionConfig:
    """Build a config from the dbt var ``prediction`` (strings, lists or ints).

    ``None`` means "the default"; unknown keys are rejected (a typo would otherwise be
    silently ignored).
    """
    return settings_from_mapping(PredictionConfig, values, var="prediction")


# --------------------------------------------------------------------------------------------
# Feature preparation
# --------------------------------------------------------------------------------------------


def feature_frame(frame: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """Only the (checked) feature columns, typed for the preprocessor.

    Flags become 0/1 floats (missing = 0), the country a string (missing = 'Unknown') and the
    rest floats (missing stays NaN and is imputed inside the pipeline).
    """
    names = check_features(features)
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise ValueError(f"input frame lacks feature column(s) {missing}")
    columns: dict[str, pd.Series] = {}
    for name in names:
        values = frame[name]
        if name == COUNTRY_COLUMN:
            columns[name] = values.astype("object").where(values.notna(), UNKNOWN_COUNTRY).astype(str)
        elif name in FLAG_FEATURES:
            columns[name] = values.astype("boolean").fillna(False).astype("float64")
        else:
            columns[name] = pd.to_numeric(values).astype("float64")
    return pd.DataFrame(columns, index=frame.index)


def _log1p_nonnegative(values: np.ndarray) -> np.ndarray:
    """log1p of sizes that cannot be negative; a stray negative is treated as 0."""
    return np.log1p(np.clip(np.asarray(values, dtype=float), 0.0, None))


def build_preprocessor(features: Sequence[str], config: PredictionConfig) -> ColumnTransformer:
    """The ColumnTransformer shared by all candidates (fitted inside each pipeline per fold)."""
    names = check_features(features)
    parts: list[tuple[str, object, list[str]]] = []
    logged = [c for c in LOG_FEATURES if c in names]
    if logged:
        log_step = FunctionTransformer(_log1p_nonnegative, feature_names_out="one-to-one")
        parts.append(("log_scaled", make_pipeline(log_step, SimpleImputer(), StandardScaler()), logged))
    scaled = [c for c in SCALED_FEATURES if c in names]
    if scaled:
        parts.append(("scaled", make_pipeline(SimpleImputer(), StandardScaler()), scaled))
    flags = [c for c in FLAG_FEATURES if c in names]
    if flags:
        parts.append(("flags", "passthrough", flags))
    for column, categories in CALENDAR_CATEGORIES.items():
        if column in names:
            encoder = OneHotEncoder(
                categories=[list(categories)], handle_unknown="ignore", sparse_output=False
            )
            parts.append((column, encoder, [column]))
    if COUNTRY_COLUMN in names:
        encoder = OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            min_frequency=config.country_min_frequency,
            sparse_output=False,
        )
        parts.append(("country", encoder, [COUNTRY_COLUMN]))
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)


# --------------------------------------------------------------------------------------------
# Input preparation
# --------------------------------------------------------------------------------------------


def _required_columns(config: PredictionConfig) -> list[str]:
    base = [ID_COLUMN, TIME_COLUMN, DATE_COLUMN, SPLIT_COLUMN, MONTH_COLUMN]
    extra = [c for c in (*config.features, *TARGET_COLUMNS) if c not in base]
    return [*base, *extra]


def _prepare_frame(frame: pd.DataFrame, config: PredictionConfig) -> pd.DataFrame:
    """Validated copy in a canonical order (first_invoiced_at, customer_id).

    Why the sort: the time split needs it, and it makes every result independent of the row
    order the warehouse happens to return.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in _required_columns(config) if c not in frame.columns]
    if missing:
        raise ValueError(f"input frame lacks column(s) {missing}")
    data = frame.copy()
    data[ID_COLUMN] = data[ID_COLUMN].astype(str)
    if data[ID_COLUMN].duplicated().any():
        duplicated = data.loc[data[ID_COLUMN].duplicated(), ID_COLUMN].head(5).tolist()
        raise ValueError(f"customer_id must be unique, duplicated: {duplicated}")
    data[TIME_COLUMN] = pd.to_datetime(data[TIME_COLUMN])
    if data[TIME_COLUMN].isna().any():
        raise ValueError("first_invoiced_at must not be null")
    if data[SPLIT_COLUMN].isna().any():
        raise ValueError("is_training must not be null")
    data[SPLIT_COLUMN] = data[SPLIT_COLUMN].astype(bool)
    data = data.sort_values([TIME_COLUMN, ID_COLUMN], kind="mergesort").reset_index(drop=True)
    training = data.loc[data[SPLIT_COLUMN]]
    for target in TARGETS:
        if training[target].isna().any():
            raise ValueError(f"{target} must not be null for training customers (is_training = true)")
        if target != SEGMENT_TARGET and (pd.to_numeric(training[target]) < 0).any():
            raise ValueError(f"{target} must be >= 0")
    return data


def _training_rows(data: pd.DataFrame, config: PredictionConfig) -> pd.DataFrame:
    positions = np.flatnonzero(data[SPLIT_COLUMN].to_numpy())
    kept = _subsample(positions, config.max_cv_customers, config.random_state)
    training = data.iloc[kept].reset_index(drop=True)
    if len(training) < MIN_CV_ROWS:
        raise ValueError(
            f"need at least {MIN_CV_ROWS} training customers (is_training = true) for time-series "
            f"cross-validation, got {len(training)}"
        )
    return training


def _target_values(training: pd.DataFrame, target: str) -> np.ndarray:
    if target == SEGMENT_TARGET:
        return pd.to_numeric(training[target]).to_numpy(dtype="int64")
    return pd.to_numeric(training[target]).to_numpy(dtype="float64")


# --------------------------------------------------------------------------------------------
# Time-aware folds
# --------------------------------------------------------------------------------------------


def fold_count(n_rows: int, n_splits: int) -> int:
    """Folds actually used: ``n_splits``, reduced so each scored block has ~5+ customers.

    Never fewer than 2 (the minimum TimeSeriesSplit allows); fewer than 3 rows cannot be split.
    """
    if n_rows < MIN_CV_ROWS:
        raise ValueError(f"need at least {MIN_CV_ROWS} training customers to cross-validate, got {n_rows}")
    return max(2, min(n_splits, n_rows // MIN_TEST_FOLD_ROWS - 1, n_rows - 1))


def time_series_folds(
    times: Sequence[object] | pd.Series, n_splits: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) positions into ``times``; every fold trains only on earlier arrivals.

    Rows are ordered by time (stable, so ties keep their input order) and cut by
    ``TimeSeriesSplit(fold_count(...))``: the latest training arrival is never after the
    earliest scored one.
    """
    stamps = pd.to_datetime(pd.Series(times)).to_numpy()
    order = np.argsort(stamps, kind="stable")
    splitter = TimeSeriesSplit(n_splits=fold_count(len(stamps), n_splits))
    return [(order[train], order[test]) for train, test in splitter.split(order)]


def _subsample(positions: np.ndarray, limit: int, random_state: int) -> np.ndarray:
    """At most ``limit`` positions, a seeded draw kept in original order."""
    if len(positions) <= limit:
        return positions
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(positions, size=limit, replace=False))


# --------------------------------------------------------------------------------------------
# Baselines
# --------------------------------------------------------------------------------------------


class GlobalMeanRegressor(RegressorMixin, BaseEstimator):
    """Predicts the training mean for everyone: the bar any model has to clear."""

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> GlobalMeanRegressor:
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), self.mean_)


class GroupMeanRegressor(RegressorMixin, BaseEstimator):
    """Training mean per value of ``column`` (calendar month); unseen groups get the global mean."""

    def __init__(self, column: str = MONTH_COLUMN) -> None:
        self.column = column

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> GroupMeanRegressor:
        groups = pd.Series(np.asarray(y, dtype=float)).groupby(X[self.column].to_numpy()).mean()
        self.means_ = {key: float(value) for key, value in groups.items()}
        self.fallback_ = float(np.mean(y))
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        mapped = X[self.column].map(self.means_)
        return mapped.fillna(self.fallback_).to_numpy(dtype=float)


class MajorityClassifier(ClassifierMixin, BaseEstimator):
    """The most common training class (ties to the lowest id), with training shares as probabilities."""

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> MajorityClassifier:
        self.classes_, counts = np.unique(np.asarray(y), return_counts=True)
        self.shares_ = counts / counts.sum()
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.tile(self.shares_, (len(X), 1))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[np.full(len(X), int(np.argmax(self.shares_)))]


# --------------------------------------------------------------------------------------------
# Candidates
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A named model recipe. ``build(n_rows)`` returns an unfitted estimator for that many rows.

    Candidates receive the design matrix of :func:`build_preprocessor` on ``columns`` (checked by
    :func:`check_features`); baselines receive the raw ``columns`` (the calendar month).
    ``subsample`` caps training rows at ``max_training_rows``; ``min_class_count`` drops classes
    too rare for the model (SVC calibration needs a few members of each class).
    """

    name: str
    build: Callable[[int], BaseEstimator]
    columns: tuple[str, ...]
    is_baseline: bool = False
    subsample: bool = False
    min_class_count: int = 1


def _log_target(regressor: BaseEstimator) -> TransformedTargetRegressor:
    return TransformedTargetRegressor(
        regressor=regressor, func=np.log1p, inverse_func=np.expm1, check_inverse=False
    )


def _boosting_settings(config: PredictionConfig) -> dict[str, object]:
    """Small, regularised trees shared by the boosting regressors and classifier."""
    return {
        "learning_rate": 0.05,
        "max_iter": config.boosting_max_iter,
        "max_leaf_nodes": 15,
        "min_samples_leaf": 20,
        "l2_regularization": 1.0,
        "early_stopping": False,
        "random_state": config.random_state,
    }


def _boosting_regressor(config: PredictionConfig, loss: str) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(loss=loss, **_boosting_settings(config))


def _baselines(target: str) -> list[Candidate]:
    month = BASELINE_COLUMNS
    if target == SEGMENT_TARGET:
        return [Candidate(BASELINE_MAJORITY, lambda n: MajorityClassifier(), month, is_baseline=True)]
    return [
        Candidate(BASELINE_GLOBAL_MEAN, lambda n: GlobalMeanRegressor(), month, is_baseline=True),
        Candidate(BASELINE_MONTH_MEAN, lambda n: GroupMeanRegressor(MONTH_COLUMN), month, is_baseline=True),
    ]


def _knn_regressor(config: PredictionConfig, n_rows: int) -> KNeighborsRegressor:
    return KNeighborsRegressor(n_neighbors=min(config.knn_neighbors, n_rows))


def _count_candidates(config: PredictionConfig) -> list[Candidate]:
    """Raw counts; Poisson loss where the model has one (log link, non-negative predictions)."""
    cols = config.features
    return [
        Candidate("ridge", lambda n: Ridge(alpha=1.0), cols),
        Candidate("poisson", lambda n: PoissonRegressor(alpha=1e-3, max_iter=1000), cols),
        Candidate("hist_gradient_boosting", lambda n: _boosting_regressor(config, "poisson"), cols),
        Candidate("knn", lambda n: _knn_regressor(config, n), cols, subsample=True),
    ]


def _value_candidates(config: PredictionConfig) -> list[Candidate]:
    """log1p target for Ridge and boosting, quasi-Poisson on raw value, kNN on raw value."""
    cols = config.features
    return [
        Candidate("ridge_log1p", lambda n: _log_target(Ridge(alpha=1.0)), cols),
        Candidate("poisson", lambda n: PoissonRegressor(alpha=1e-3, max_iter=1000), cols),
        Candidate(
            "hist_gradient_boosting_log1p",
            lambda n: _log_target(_boosting_regressor(config, "squared_error")),
            cols,
        ),
        Candidate("knn", lambda n: _knn_regressor(config, n), cols, subsample=True),
    ]


def _calibrated_svc(config: PredictionConfig) -> CalibratedClassifierCV:
    """RBF SVC with sigmoid-calibrated probabilities (the replacement for probability=True).

    The calibration folds are shuffled (seeded) within the training block: they only set the
    probability scale, and unshuffled (time-ordered) folds made the sigmoid track cohort drift
    and push nearly every customer into one class on the real data.
    """
    folds = StratifiedKFold(SVC_CALIBRATION_FOLDS, shuffle=True, random_state=config.random_state)
    return CalibratedClassifierCV(
        SVC(random_state=config.random_state), method="sigmoid", cv=folds, ensemble=False
    )


def _boosting_classifier(config: PredictionConfig) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(**_boosting_settings(config))


def _forest_classifier(config: PredictionConfig) -> RandomForestClassifier:
    # n_jobs=1: the dbt run already keeps the other cores busy, and one thread is reproducible.
    return RandomForestClassifier(
        n_estimators=config.forest_trees,
        min_samples_leaf=config.forest_min_samples_leaf,
        random_state=config.random_state,
        n_jobs=1,
    )


def _segment_candidates(config: PredictionConfig, n_predict: int = 0) -> list[Candidate]:
    """``n_predict``: customers the chosen model will predict; too many leave SVC out."""
    cols = config.features
    seed = config.random_state
    svc = Candidate(
        "svc",
        lambda n: _calibrated_svc(config),
        cols,
        subsample=True,
        min_class_count=SVC_CALIBRATION_FOLDS,
    )
    kernel = [svc] if n_predict <= config.max_kernel_predictions else []
    return [
        Candidate("logistic_regression", lambda n: LogisticRegression(max_iter=1000), cols),
        *kernel,
        Candidate(
            "decision_tree",
            lambda n: DecisionTreeClassifier(max_depth=6, min_samples_leaf=20, random_state=seed),
            cols,
        ),
        Candidate("random_forest", lambda n: _forest_classifier(config), cols),
        Candidate("hist_gradient_boosting", lambda n: _boosting_classifier(config), cols),
        Candidate(
            "knn",
            lambda n: KNeighborsClassifier(n_neighbors=min(config.knn_neighbors, n)),
            cols,
            subsample=True,
        ),
    ]


_CANDIDATE_BUILDERS: Final[dict[str, Callable[[PredictionConfig, int], list[Candidate]]]] = {
    COUNT_TARGET: lambda config, n_predict: _count_candidates(config),
    VALUE_TARGET: lambda config, n_predict: _value_candidates(config),
    SEGMENT_TARGET: _segment_candidates,
}


def _models_for(
    target: str, training: pd.DataFrame, config: PredictionConfig, n_predict: int = 0
) -> list[Candidate]:
    """Baselines always; candidates only with enough customers and (segment) 2+ classes."""
    models = _baselines(target)
    if len(training) < config.min_training_rows:
        return models
    if target == SEGMENT_TARGET and training[SEGMENT_TARGET].nunique() < 2:
        return models
    return models + _CANDIDATE_BUILDERS[target](config, n_predict)


def _candidate_named(target: str, name: str, config: PredictionConfig) -> Candidate:
    for candidate in _baselines(target) + _CANDIDATE_BUILDERS[target](config, 0):
        if candidate.name == name:
            return candidate
    raise ValueError(f"unknown model {name!r} for target {target!r}")


# --------------------------------------------------------------------------------------------
# Fitting and predicting
# --------------------------------------------------------------------------------------------


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _quiet_single_threaded(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """One BLAS/OpenMP thread (bit-identical results, no OpenMP stalls on a loaded box) and no
    expected noise (convergence on tiny folds, unseen countries in a scored block)."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.filterwarnings("ignore", message=".*unknown categor.*", category=UserWarning)
            warnings.filterwarnings("ignore", message=".*[Ll]east populated class.*", category=UserWarning)
            return func(*args, **kwargs)

    return wrapper


ModelInput = pd.DataFrame | np.ndarray


def _fit_preprocessor(X: pd.DataFrame, config: PredictionConfig) -> ColumnTransformer:
    """Preprocessor fitted on training rows only; the leakage guard runs on what it is given."""
    return build_preprocessor(check_features(X.columns), config).fit(X)


def _rows(inputs: ModelInput, positions: np.ndarray) -> ModelInput:
    return inputs.iloc[positions] if isinstance(inputs, pd.DataFrame) else inputs[positions]


def _fit(
    candidate: Candidate, inputs: ModelInput, y: np.ndarray, classify: bool, config: PredictionConfig
) -> BaseEstimator:
    """Fit on (a seeded subsample of) the rows; classifiers fall back to the majority class
    when fewer than two classes have enough members for the candidate."""
    if isinstance(inputs, pd.DataFrame):
        check_features(inputs.columns)
    rows = np.arange(len(y))
    if candidate.subsample:
        rows = _subsample(rows, config.max_training_rows, config.random_state)
    if classify and not candidate.is_baseline:
        classes, counts = np.unique(y[rows], return_counts=True)
        usable = classes[counts >= candidate.min_class_count]
        if len(usable) < 2:
            return MajorityClassifier().fit(_rows(inputs, rows), y[rows])
        rows = rows[np.isin(y[rows], usable)]
    return candidate.build(len(rows)).fit(_rows(inputs, rows), y[rows])


def _predict_regression(model: BaseEstimator, inputs: ModelInput) -> np.ndarray:
    """Predictions clipped at 0: both regression targets are non-negative."""
    return np.clip(np.asarray(model.predict(inputs), dtype=float), 0.0, None)


def _predict_classes(model: BaseEstimator, inputs: ModelInput) -> tuple[np.ndarray, np.ndarray]:
    """Most probable class and its probability (argmax of predict_proba; ties to the lowest id),
    so the evaluated label is exactly the one reported with its probability."""
    proba = np.asarray(model.predict_proba(inputs), dtype=float)
    best = np.argmax(proba, axis=1)
    labels = np.asarray(model.classes_)[best].astype("int64")
    return labels, proba[np.arange(len(proba)), best]


@dataclass(frozen=True, eq=False)
class _Fold:
    """One fold's inputs, shared by every model and target: the baselines' raw month column and
    the candidates' design matrices (preprocessor fitted on the fold's training block only, so
    scaling and rare-country grouping never see the scored customers)."""

    train: np.ndarray
    test: np.ndarray
    baseline_train: pd.DataFrame
    baseline_test: pd.DataFrame
    design_train: np.ndarray
    design_test: np.ndarray


def _prepare_folds(
    training: pd.DataFrame, folds: list[tuple[np.ndarray, np.ndarray]], config: PredictionConfig
) -> list[_Fold]:
    baseline = feature_frame(training, BASELINE_COLUMNS)
    features = feature_frame(training, config.features)
    prepared = []
    for train, test in folds:
        preprocessor = _fit_preprocessor(features.iloc[train], config)
        prepared.append(
            _Fold(
                train=train,
                test=test,
                baseline_train=baseline.iloc[train],
                baseline_test=baseline.iloc[test],
                design_train=preprocessor.transform(features.iloc[train]),
                design_test=preprocessor.transform(features.iloc[test]),
            )
        )
    return prepared


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray, count: bool = False) -> dict[str, float]:
    """MAE, RMSE, R2 (plus mean Poisson deviance for counts, predictions floored at 1e-6)."""
    result = {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "rmse": float(math.sqrt(mean_squared_error(y_true, y_pred))),
        "r2": float(r2_score(y_true, y_pred)) if len(y_true) > 1 else math.nan,
    }
    if count:
        floored = np.maximum(y_pred, POISSON_DEVIANCE_FLOOR)
        result["poisson_deviance"] = float(mean_poisson_deviance(y_true, floored))
    return result


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-F1 (classes absent from both truth and prediction are not averaged)."""
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }


def _out_of_fold(
    candidate: Candidate, y: np.ndarray, folds: list[_Fold], classify: bool, config: PredictionConfig
) -> np.ndarray:
    """Predictions for every scored customer, in fold order (concatenated test blocks)."""
    parts = []
    for fold in folds:
        train_in = fold.baseline_train if candidate.is_baseline else fold.design_train
        test_in = fold.baseline_test if candidate.is_baseline else fold.design_test
        model = _fit(candidate, train_in, y[fold.train], classify, config)
        if classify:
            parts.append(_predict_classes(model, test_in)[0])
        else:
            parts.append(_predict_regression(model, test_in))
    return np.concatenate(parts)


def _evaluate_target(
    target: str, training: pd.DataFrame, folds: list[_Fold], config: PredictionConfig, n_predict: int
) -> list[dict[str, object]]:
    """Long rows (model, target, metric, value, is_baseline) for every model of one target."""
    y = _target_values(training, target)
    scored = y[np.concatenate([fold.test for fold in folds])]
    classify = target == SEGMENT_TARGET
    rows: list[dict[str, object]] = []
    for candidate in _models_for(target, training, config, n_predict):
        predicted = _out_of_fold(candidate, y, folds, classify, config)
        if classify:
            scores = classification_metrics(scored, predicted)
        else:
            scores = regression_metrics(scored, predicted, count=target == COUNT_TARGET)
        for metric in TARGET_METRICS[target]:
            rows.append(
                {
                    "model": candidate.name,
                    "target": target,
                    "metric": metric,
                    "value": scores[metric],
                    "is_baseline": candidate.is_baseline,
                }
            )
    return rows


def _best_position(values: pd.Series, metric: str) -> int | None:
    """Position of the best value (first on ties; NaN never wins), or None if there is none."""
    array = values.to_numpy(dtype=float)
    finite = np.flatnonzero(~np.isnan(array))
    if len(finite) == 0:
        return None
    chosen = array[finite]
    best = np.argmax(chosen) if metric in HIGHER_IS_BETTER else np.argmin(chosen)
    return int(finite[best])


def _annotate(rows: list[dict[str, object]], n_train: int, n_folds: int) -> pd.DataFrame:
    """Add the best baseline per target/metric and flag the best candidate."""
    table = pd.DataFrame(rows, columns=["model", "target", "metric", "value", "is_baseline"])
    table["baseline"] = None
    table["baseline_value"] = math.nan
    table["is_best"] = False
    for (_, metric), group in table.groupby(["target", "metric"], sort=False):
        baselines = group.loc[group["is_baseline"]]
        position = _best_position(baselines["value"], metric)
        if position is None:
            position = 0
        best_baseline = baselines.iloc[position]
        table.loc[group.index, "baseline"] = best_baseline["model"]
        table.loc[group.index, "baseline_value"] = best_baseline["value"]
        candidates = group.loc[~group["is_baseline"]]
        position = _best_position(candidates["value"], metric)
        if position is not None:
            table.loc[candidates.index[position], "is_best"] = True
    table["n_train"] = n_train
    table["n_folds"] = n_folds
    return _typed(table, METRIC_DTYPES)


def _typed(table: pd.DataFrame, dtypes: Mapping[str, str]) -> pd.DataFrame:
    return table.loc[:, list(dtypes)].astype(dict(dtypes)).reset_index(drop=True)


@_quiet_single_threaded
def _evaluate_prepared(data: pd.DataFrame, config: PredictionConfig) -> pd.DataFrame:
    training = _training_rows(data, config)
    folds = _prepare_folds(training, time_series_folds(training[TIME_COLUMN], config.n_splits), config)
    n_predict = int((~data[SPLIT_COLUMN]).sum())
    rows = [row for target in TARGETS for row in _evaluate_target(target, training, folds, config, n_predict)]
    return _annotate(rows, n_train=len(training), n_folds=len(folds))


def evaluate_models(frame: pd.DataFrame, config: PredictionConfig) -> pd.DataFrame:
    """Cross-validated metrics of every candidate and baseline (columns :data:`METRIC_COLUMNS`).

    One row per model x target x metric, on the training customers only, all models scored on
    the same time-ordered folds. ``baseline``/``baseline_value`` hold the best baseline for that
    target and metric, ``is_best`` marks the best candidate (first in table order on ties).

    With fewer than MIN_CV_ROWS training customers (data covering about one year has no customer
    with a whole observed year after a real first purchase) nothing can be learned honestly: the
    table comes back empty, with a warning, rather than failing the whole dbt build.
    """
    data = _prepare_frame(frame, config)
    config = _with_present_features(data, config)
    if not _has_training_set(data):
        return _empty_metrics()
    return _evaluate_prepared(data, config)


def _with_present_features(data: pd.DataFrame, config: PredictionConfig) -> PredictionConfig:
    features = drop_absent_features(data, config.features, "new-customer models")
    return config if features == config.features else replace(config, features=features)


def _has_training_set(data: pd.DataFrame) -> bool:
    n_train = int(data[SPLIT_COLUMN].sum())
    if n_train >= MIN_CV_ROWS:
        return True
    warnings.warn(
        f"only {n_train} training customers (is_training = true; need {MIN_CV_ROWS}): the data does "
        "not cover a full year after enough first purchases, so no new-customer model is trained",
        stacklevel=3,
    )
    return False


def _empty_metrics() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in METRIC_DTYPES.items()})


def select_models(metrics: pd.DataFrame) -> dict[str, str]:
    """Model to use per target: the best candidate on the selection metric (MAE, macro-F1) if it
    strictly beats the best baseline there, else that baseline."""
    missing = [c for c in METRIC_COLUMNS if c not in metrics.columns]
    if missing:
        raise ValueError(f"metrics table lacks column(s) {missing}")
    chosen: dict[str, str] = {}
    for target in TARGETS:
        metric = SELECTION_METRIC[target]
        rows = metrics.loc[(metrics["target"] == target) & (metrics["metric"] == metric)]
        if rows.empty:
            raise ValueError(f"metrics table has no {metric!r} rows for target {target!r}")
        baseline_name = str(rows["baseline"].iloc[0])
        baseline_value = float(rows["baseline_value"].iloc[0])
        best = rows.loc[rows["is_best"].astype(bool) & ~rows["is_baseline"].astype(bool)]
        chosen[target] = baseline_name
        if not best.empty:
            value = float(best["value"].iloc[0])
            beats = value > baseline_value if metric in HIGHER_IS_BETTER else value < baseline_value
            if beats or math.isnan(baseline_value):
                chosen[target] = str(best["model"].iloc[0])
    return chosen


# --------------------------------------------------------------------------------------------
# Predictions for the new customers
# --------------------------------------------------------------------------------------------


def _empty_predictions() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in PREDICTION_DTYPES.items()})


def _segment_names(data: pd.DataFrame) -> dict[int, str]:
    """Segment id -> name as stored with the customers (first in canonical order per id)."""
    known = data.loc[data[SEGMENT_TARGET].notna(), [SEGMENT_TARGET, SEGMENT_NAME_COLUMN]]
    firsts = known.groupby(pd.to_numeric(known[SEGMENT_TARGET]).astype("int64"), sort=True).first()
    return {int(k): str(v) for k, v in firsts[SEGMENT_NAME_COLUMN].items()}


def _fit_final(target: str, name: str, training: pd.DataFrame, config: PredictionConfig) -> BaseEstimator:
    """The chosen model refitted on all training customers, as one estimator on raw columns
    (a Pipeline of the fitted preprocessor and model for candidates)."""
    candidate = _candidate_named(target, name, config)
    X = feature_frame(training, candidate.columns)
    y = _target_values(training, target)
    classify = target == SEGMENT_TARGET
    if candidate.is_baseline:
        return _fit(candidate, X, y, classify, config)
    preprocessor = _fit_preprocessor(X, config)
    model = _fit(candidate, preprocessor.transform(X), y, classify, config)
    return Pipeline([("features", preprocessor), ("model", model)])


def _model_columns(target: str, name: str, config: PredictionConfig) -> tuple[str, ...]:
    return _candidate_named(target, name, config).columns


@_quiet_single_threaded
def _predict_prepared(
    data: pd.DataFrame, chosen: Mapping[str, str], config: PredictionConfig
) -> pd.DataFrame:
    training = _training_rows(data, config)
    new = data.loc[~data[SPLIT_COLUMN]].sort_values(ID_COLUMN, kind="mergesort").reset_index(drop=True)
    result = pd.DataFrame(
        {
            ID_COLUMN: new[ID_COLUMN].astype(str),
            DATE_COLUMN: pd.to_datetime(new[DATE_COLUMN]).dt.normalize(),
        }
    )
    for target, column in (
        (COUNT_TARGET, "predicted_purchase_count"),
        (VALUE_TARGET, "predicted_purchase_value"),
    ):
        model = _fit_final(target, chosen[target], training, config)
        inputs = feature_frame(new, _model_columns(target, chosen[target], config))
        result[column] = _predict_regression(model, inputs)
    model = _fit_final(SEGMENT_TARGET, chosen[SEGMENT_TARGET], training, config)
    inputs = feature_frame(new, _model_columns(SEGMENT_TARGET, chosen[SEGMENT_TARGET], config))
    labels, probability = _predict_classes(model, inputs)
    names = _segment_names(data)
    result["predicted_segment_id"] = labels
    result["predicted_segment_name"] = [names.get(int(label), f"segment {int(label)}") for label in labels]
    result["predicted_segment_probability"] = probability
    result["count_model"] = chosen[COUNT_TARGET]
    result["value_model"] = chosen[VALUE_TARGET]
    result["segment_model"] = chosen[SEGMENT_TARGET]
    return _typed(result, PREDICTION_DTYPES)


def predict_new_customers(
    frame: pd.DataFrame, config: PredictionConfig, metrics: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Predictions for customers with ``is_training = false`` (columns :data:`PREDICTION_COLUMNS`).

    Each target comes from the model :func:`select_models` picks, refitted on all training
    customers. ``metrics`` (the ``prediction_metrics`` table) may be passed to skip the
    cross-validation; without it :func:`evaluate_models` is run here (same result, it is
    deterministic). Rows are ordered by customer_id; an empty prediction set gives an empty,
    correctly typed frame without fitting anything.
    """
    data = _prepare_frame(frame, config)
    config = _with_present_features(data, config)
    if not (~data[SPLIT_COLUMN]).any() or not _has_training_set(data):
        return _empty_predictions()
    if metrics is None:
        metrics = _evaluate_prepared(data, config)
    return _predict_prepared(data, select_models(metrics), config)
