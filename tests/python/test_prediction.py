"""Tests for segmentation.prediction: baselines, time-aware folds, leakage guard, outputs, edge cases."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from segmentation.prediction import (
    BASELINE_GLOBAL_MEAN,
    BASELINE_MAJORITY,
    BASELINE_MONTH_MEAN,
    FEATURES,
    METRIC_COLUMNS,
    METRIC_DTYPES,
    PREDICTION_COLUMNS,
    PREDICTION_DTYPES,
    TARGETS,
    GroupMeanRegressor,
    PredictionConfig,
    build_preprocessor,
    check_features,
    config_from_mapping,
    evaluate_models,
    feature_frame,
    fold_count,
    predict_new_customers,
    select_models,
    time_series_folds,
)

SEGMENT_NAMES = {1: "Small", 2: "Medium", 3: "Large"}
COUNTRIES = ["United Kingdom"] * 16 + ["Germany", "France", "Spain", "Iceland"]
FAST = PredictionConfig(n_splits=4, max_training_rows=300, boosting_max_iter=60, forest_trees=30)


def make_frame(n_train: int = 480, n_new: int = 80, seed: int = 0, shuffle: bool = True) -> pd.DataFrame:
    """Customers whose next year is driven by the first invoice value (known signal).

    Next-year value = 2 x first invoice value x lognormal noise; count ~ Poisson(value / 150);
    final segment = bin of the first invoice value. The first ``n_train`` arrivals are training.
    """
    rng = np.random.default_rng(seed)
    n = n_train + n_new
    start = pd.Timestamp("2009-12-01 08:00")
    minutes = np.sort(rng.choice(730 * 24 * 60, size=n, replace=False))
    invoiced_at = start + pd.to_timedelta(minutes, unit="min")
    value = np.round(np.exp(rng.normal(5.5, 1.0, n)), 2)
    lines = rng.integers(1, 40, n)
    units = lines * rng.integers(1, 12, n)
    country = rng.choice(COUNTRIES, n)
    is_training = np.arange(n) < n_train
    next_value = 2.0 * value * np.exp(rng.normal(0.0, 0.25, n))
    next_count = rng.poisson(np.minimum(value / 150.0, 30.0))
    segment = np.digitize(value, [150.0, 600.0]) + 1
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in rng.permutation(n)],
            "first_invoiced_at": invoiced_at,
            "first_invoice_date": invoiced_at.normalize(),
            "is_training": is_training,
            "first_invoice_value": value,
            "first_invoice_lines": lines,
            "first_invoice_distinct_products": np.maximum(1, lines - rng.integers(0, 3, n)),
            "first_invoice_units": units,
            "first_invoice_mean_unit_price": value / units,
            "first_invoice_country": country,
            "first_invoice_is_home_country": country == "United Kingdom",
            "first_invoice_month": invoiced_at.month.astype("int32"),
            "first_invoice_weekday": invoiced_at.weekday.astype("int32"),
            "first_invoice_hour": invoiced_at.hour.astype("int32"),
            "had_cancellation_before_first_invoice": rng.random(n) < 0.05,
            "next_year_purchase_count": pd.array(np.where(is_training, next_count, 0), dtype="Int64"),
            "next_year_purchase_value": np.where(is_training, next_value, np.nan),
            "final_segment_id": segment.astype("int64"),
            "final_segment_name": [SEGMENT_NAMES[s] for s in segment],
        }
    )
    frame.loc[~frame["is_training"], "next_year_purchase_count"] = pd.NA
    if shuffle:
        frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return frame


def tiny_frame() -> pd.DataFrame:
    """Six training customers (hand-checkable baselines) and two new ones."""
    frame = make_frame(n_train=6, n_new=2, shuffle=False)
    frame["first_invoice_month"] = [1, 2, 1, 2, 3, 1, 1, 3]
    frame["next_year_purchase_value"] = [10.0, 20.0, 30.0, 50.0, 70.0, 90.0, np.nan, np.nan]
    frame["next_year_purchase_count"] = pd.array([1, 2, 3, 5, 7, 9, None, None], dtype="Int64")
    frame["final_segment_id"] = [1, 1, 2, 2, 2, 1, 3, 3]
    frame["final_segment_name"] = frame["final_segment_id"].map(SEGMENT_NAMES)
    return frame


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture(scope="module")
def metrics(frame: pd.DataFrame) -> pd.DataFrame:
    return evaluate_models(frame, FAST)


@pytest.fixture(scope="module")
def predictions(frame: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    return predict_new_customers(frame, FAST, metrics)


def metric_value(metrics: pd.DataFrame, model: str, target: str, metric: str) -> float:
    row = metrics.loc[
        (metrics["model"] == model) & (metrics["target"] == target) & (metrics["metric"] == metric)
    ]
    assert len(row) == 1
    return float(row["value"].iloc[0])


# --------------------------------------------------------------------------------------------
# Signal, selection, outputs
# --------------------------------------------------------------------------------------------


def test_candidates_beat_baselines_on_known_signal(metrics: pd.DataFrame, predictions: pd.DataFrame) -> None:
    chosen = select_models(metrics)
    for target in TARGETS:
        assert not chosen[target].startswith("baseline"), (target, chosen[target])
    for target, metric in [
        ("next_year_purchase_count", "mae"),
        ("next_year_purchase_value", "mae"),
        ("next_year_purchase_value", "rmse"),
    ]:
        best = metrics.loc[(metrics["target"] == target) & (metrics["metric"] == metric) & metrics["is_best"]]
        assert len(best) == 1
        assert best["value"].iloc[0] < 0.8 * best["baseline_value"].iloc[0]
    f1 = metrics.loc[(metrics["target"] == "final_segment_id") & (metrics["metric"] == "macro_f1")]
    best_f1 = f1.loc[f1["is_best"], "value"].iloc[0]
    assert best_f1 > 0.85
    assert best_f1 > f1["baseline_value"].iloc[0] + 0.4
    assert predictions["count_model"].iloc[0] == chosen["next_year_purchase_count"]
    assert predictions["value_model"].iloc[0] == chosen["next_year_purchase_value"]
    assert predictions["segment_model"].iloc[0] == chosen["final_segment_id"]


def test_metrics_layout_and_dtypes(metrics: pd.DataFrame) -> None:
    assert tuple(metrics.columns) == METRIC_COLUMNS
    assert {c: str(t) for c, t in metrics.dtypes.items()} == METRIC_DTYPES
    assert set(metrics["target"]) == set(TARGETS)
    expected_metrics = {
        "next_year_purchase_count": {"mae", "rmse", "r2", "poisson_deviance"},
        "next_year_purchase_value": {"mae", "rmse", "r2"},
        "final_segment_id": {"accuracy", "macro_f1"},
    }
    for target, names in expected_metrics.items():
        rows = metrics.loc[metrics["target"] == target]
        assert set(rows["metric"]) == names
        # every model has every metric once; exactly one best candidate per metric
        assert rows.groupby("model")["metric"].nunique().eq(len(names)).all()
        assert not rows.duplicated(["model", "metric"]).any()
        assert rows.groupby("metric")["is_best"].sum().eq(1).all()
        assert not (rows["is_best"] & rows["is_baseline"]).any()
    baselines = set(metrics.loc[metrics["is_baseline"], "model"])
    assert baselines == {BASELINE_GLOBAL_MEAN, BASELINE_MONTH_MEAN, BASELINE_MAJORITY}
    assert set(metrics["baseline"]) <= baselines
    candidates = metrics.loc[~metrics["is_baseline"]]
    assert set(candidates.loc[candidates["target"] == "final_segment_id", "model"]) == {
        "logistic_regression",
        "svc",
        "decision_tree",
        "random_forest",
        "hist_gradient_boosting",
        "knn",
    }
    assert (metrics["n_train"] == 480).all()
    assert (metrics["n_folds"] == 4).all()


def test_baseline_value_is_best_baseline_per_target_and_metric(metrics: pd.DataFrame) -> None:
    for (target, metric), rows in metrics.groupby(["target", "metric"]):
        baselines = rows.loc[rows["is_baseline"]].set_index("model")["value"]
        best = baselines.max() if metric in {"r2", "accuracy", "macro_f1"} else baselines.min()
        assert rows["baseline_value"].eq(best).all(), (target, metric)
        assert baselines[rows["baseline"].iloc[0]] == best


def test_predictions_only_for_new_customers(frame: pd.DataFrame, predictions: pd.DataFrame) -> None:
    assert tuple(predictions.columns) == PREDICTION_COLUMNS
    assert {c: str(t) for c, t in predictions.dtypes.items()} == PREDICTION_DTYPES
    new_ids = frame.loc[~frame["is_training"], "customer_id"]
    assert sorted(predictions["customer_id"]) == sorted(new_ids)
    assert predictions["customer_id"].is_monotonic_increasing
    dates = frame.set_index("customer_id").loc[predictions["customer_id"], "first_invoice_date"]
    assert (predictions["first_invoice_date"].to_numpy() == dates.to_numpy()).all()
    assert (predictions["predicted_purchase_count"] >= 0).all()
    assert (predictions["predicted_purchase_value"] >= 0).all()
    assert predictions["predicted_segment_probability"].between(0, 1).all()
    assert set(predictions["predicted_segment_id"]) <= set(SEGMENT_NAMES)
    names = predictions["predicted_segment_id"].map(SEGMENT_NAMES)
    assert (names == predictions["predicted_segment_name"]).all()
    # the signal carries over: predicted value rises with the first invoice value
    joined = predictions.merge(frame[["customer_id", "first_invoice_value"]], on="customer_id")
    corr = joined["predicted_purchase_value"].corr(joined["first_invoice_value"], method="spearman")
    assert corr > 0.8


def test_deterministic_and_independent_of_row_order(
    frame: pd.DataFrame, metrics: pd.DataFrame, predictions: pd.DataFrame
) -> None:
    reordered = frame.sample(frac=1.0, random_state=99).reset_index(drop=True)
    again = evaluate_models(reordered, FAST)
    pd.testing.assert_frame_equal(again, metrics)
    # without a metrics table the function cross-validates itself: same answer
    pd.testing.assert_frame_equal(predict_new_customers(reordered, FAST), predictions)


def test_stale_metrics_naming_unknown_model_rejected(frame: pd.DataFrame, metrics: pd.DataFrame) -> None:
    broken = metrics.copy()
    broken.loc[broken["is_best"], "model"] = "gpt"
    broken["baseline_value"] = np.where(broken["metric"] == "macro_f1", 0.0, 1e12)
    with pytest.raises(ValueError, match="unknown model 'gpt'"):
        predict_new_customers(frame, FAST, broken)
    with pytest.raises(ValueError, match="lacks column"):
        select_models(metrics.drop(columns=["is_best"]))


# --------------------------------------------------------------------------------------------
# Baselines by hand
# --------------------------------------------------------------------------------------------


def test_baselines_match_hand_computation() -> None:
    # Folds (TimeSeriesSplit(2) on 6 customers): train [0,1] -> score [2,3]; train [0..3] -> [4,5].
    # Global mean: 15 -> |30-15|, |50-15|; 27.5 -> |70-27.5|, |90-27.5|: MAE 155/4.
    # Month mean: {1:10, 2:20} -> |30-10|, |50-20|; {1:20, 2:35}, month 3 unseen -> global 27.5,
    # month 1 -> 20: |70-27.5|, |90-20|: MAE 162.5/4.
    # Majority: {1,1} -> 1 vs [2,2]; {1,1,2,2} tie -> lowest id 1 vs [2,1]: accuracy 1/4.
    frame = tiny_frame()
    metrics = evaluate_models(frame, PredictionConfig(n_splits=2))
    assert metric_value(metrics, BASELINE_GLOBAL_MEAN, "next_year_purchase_value", "mae") == pytest.approx(
        38.75
    )
    assert metric_value(metrics, BASELINE_MONTH_MEAN, "next_year_purchase_value", "mae") == pytest.approx(
        40.625
    )
    assert metric_value(metrics, BASELINE_GLOBAL_MEAN, "next_year_purchase_count", "mae") == pytest.approx(
        3.875
    )
    assert metric_value(metrics, BASELINE_MAJORITY, "final_segment_id", "accuracy") == pytest.approx(0.25)
    rmse = np.sqrt(np.mean(np.square([15.0, 35.0, 42.5, 62.5])))
    assert metric_value(metrics, BASELINE_GLOBAL_MEAN, "next_year_purchase_value", "rmse") == pytest.approx(
        rmse
    )
    mae = metrics.loc[metrics["metric"] == "mae"]
    assert (mae["baseline"] == BASELINE_GLOBAL_MEAN).all()


def test_group_mean_baseline_direct() -> None:
    X = pd.DataFrame({"first_invoice_month": [1.0, 1.0, 2.0, 5.0]})
    model = GroupMeanRegressor().fit(X, np.array([2.0, 4.0, 10.0, 0.0]))
    predicted = model.predict(pd.DataFrame({"first_invoice_month": [1.0, 2.0, 5.0, 7.0]}))
    np.testing.assert_allclose(predicted, [3.0, 10.0, 0.0, 4.0])  # unseen month -> global mean 4


def test_too_few_training_customers_uses_baselines_only() -> None:
    frame = tiny_frame()
    metrics = evaluate_models(frame, PredictionConfig(n_splits=5))
    assert metrics["is_baseline"].all()
    assert not metrics["is_best"].any()
    assert (metrics["n_train"] == 6).all()
    assert (metrics["n_folds"] == 2).all()  # reduced from 5
    predictions = predict_new_customers(frame, PredictionConfig(n_splits=5))
    assert len(predictions) == 2
    assert (predictions["value_model"] == BASELINE_GLOBAL_MEAN).all()
    assert (predictions["segment_model"] == BASELINE_MAJORITY).all()
    # refitted on all six training customers: mean 45; classes {1:3, 2:3} -> 1 with share 0.5
    np.testing.assert_allclose(predictions["predicted_purchase_value"], 45.0)
    np.testing.assert_allclose(predictions["predicted_purchase_count"], 4.5)
    assert (predictions["predicted_segment_id"] == 1).all()
    assert (predictions["predicted_segment_name"] == "Small").all()
    np.testing.assert_allclose(predictions["predicted_segment_probability"], 0.5)


def test_fewer_than_three_training_customers_give_empty_tables_and_a_warning() -> None:
    """A one-year file (UCI Online Retail) has no usable training set; the build must go on."""
    frame = make_frame(n_train=2, n_new=3)
    with pytest.warns(UserWarning, match="only 2 training customers"):
        metrics = evaluate_models(frame, PredictionConfig())
    assert metrics.empty and tuple(metrics.columns) == METRIC_COLUMNS
    with pytest.warns(UserWarning, match="only 2 training customers"):
        predictions = predict_new_customers(frame, PredictionConfig())
    assert predictions.empty and tuple(predictions.columns) == PREDICTION_COLUMNS


# --------------------------------------------------------------------------------------------
# Time-aware folds
# --------------------------------------------------------------------------------------------


def test_folds_never_train_on_later_customers() -> None:
    rng = np.random.default_rng(3)
    times = pd.Series(pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 400, 203), unit="D"))
    folds = time_series_folds(times, 5)
    assert len(folds) == 5
    scored: list[int] = []
    for train, test in folds:
        assert len(train) > 0 and len(test) > 0
        assert times.iloc[train].max() <= times.iloc[test].min()
        assert not set(train) & set(test)
        scored.extend(test.tolist())
    assert len(scored) == len(set(scored))
    # training blocks grow and each one is the whole past of its scored block
    sizes = [len(train) for train, _ in folds]
    assert sizes == sorted(sizes)
    first_train = set(folds[0][0].tolist())
    assert first_train.isdisjoint(scored)


def test_fold_count_reduces_splits_for_small_data() -> None:
    assert fold_count(6000, 5) == 5
    assert fold_count(30, 10) == 5
    assert fold_count(20, 5) == 3
    assert fold_count(6, 5) == 2
    assert fold_count(3, 5) == 2
    with pytest.raises(ValueError, match="at least 3"):
        fold_count(2, 5)


def test_evaluation_uses_reduced_folds() -> None:
    frame = make_frame(n_train=30, n_new=5)
    metrics = evaluate_models(frame, PredictionConfig(n_splits=10, boosting_max_iter=20))
    assert (metrics["n_folds"] == 5).all()
    assert (~metrics["is_baseline"]).any()


# --------------------------------------------------------------------------------------------
# Leakage guard
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (["first_invoice_value", "next_year_purchase_value"], "target column"),
        (["final_segment_name"], "target column"),
        (["first_invoice_value", "customer_id"], "not allowed"),
        (["is_training"], "not allowed"),
        (["first_invoice_date"], "not allowed"),
        ([], "at least one"),
        (["first_invoice_value", "first_invoice_value"], "more than once"),
    ],
)
def test_leakage_guard_rejects_non_features(columns: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_features(columns)
    with pytest.raises(ValueError, match=message):
        PredictionConfig(features=tuple(columns))
    with pytest.raises(ValueError, match=message):
        build_preprocessor(columns, PredictionConfig())
    with pytest.raises(ValueError, match=message):
        feature_frame(make_frame(n_train=5, n_new=0), columns)


def test_leakage_guard_via_dbt_vars() -> None:
    with pytest.raises(ValueError, match="features: target column"):
        config_from_mapping({"features": "first_invoice_value, next_year_purchase_count"})


def test_extra_columns_never_reach_the_models(frame: pd.DataFrame, metrics: pd.DataFrame) -> None:
    leaky = frame.copy()
    leaky["leak"] = leaky["next_year_purchase_value"].fillna(0) * 10
    pd.testing.assert_frame_equal(evaluate_models(leaky, FAST), metrics)


def test_feature_subset_is_respected() -> None:
    frame = make_frame(n_train=120, n_new=10)
    config = dataclasses.replace(FAST, features=("first_invoice_country", "first_invoice_hour"), n_splits=3)
    scrambled = frame.copy()
    for column in ("first_invoice_value", "first_invoice_units", "first_invoice_mean_unit_price"):
        scrambled[column] = scrambled[column].sample(frac=1.0, random_state=1).to_numpy()
    # columns outside the configured features change nothing (the month baseline still reads
    # first_invoice_month, which is left alone)
    pd.testing.assert_frame_equal(evaluate_models(scrambled, config), evaluate_models(frame, config))
    pd.testing.assert_frame_equal(
        predict_new_customers(scrambled, config), predict_new_customers(frame, config)
    )


# --------------------------------------------------------------------------------------------
# Edge cases
# --------------------------------------------------------------------------------------------


def test_single_segment_uses_majority_class() -> None:
    frame = make_frame(n_train=60, n_new=10)
    frame["final_segment_id"] = 2
    frame["final_segment_name"] = "Medium"
    config = PredictionConfig(n_splits=3, boosting_max_iter=20)
    metrics = evaluate_models(frame, config)
    segment = metrics.loc[metrics["target"] == "final_segment_id"]
    assert set(segment["model"]) == {BASELINE_MAJORITY}
    assert (segment["value"] == 1.0).all()
    assert (~metrics.loc[metrics["target"] != "final_segment_id", "is_baseline"]).any()
    predictions = predict_new_customers(frame, config, metrics)
    assert (predictions["segment_model"] == BASELINE_MAJORITY).all()
    assert (predictions["predicted_segment_id"] == 2).all()
    assert (predictions["predicted_segment_name"] == "Medium").all()
    assert (predictions["predicted_segment_probability"] == 1.0).all()


def test_rare_segment_in_training_does_not_break_candidates() -> None:
    frame = make_frame(n_train=80, n_new=10)
    training = frame.index[frame["is_training"]]
    frame.loc[training[:2], "final_segment_id"] = 9  # two members: too few for SVC calibration
    frame.loc[training[:2], "final_segment_name"] = "Rare"
    metrics = evaluate_models(frame, PredictionConfig(n_splits=3, boosting_max_iter=20))
    assert "svc" in set(metrics["model"])
    assert metrics["value"].notna().all()


def test_empty_prediction_set_returns_typed_empty_frame() -> None:
    frame = make_frame(n_train=40, n_new=0)
    predictions = predict_new_customers(frame, PredictionConfig())
    assert predictions.empty
    assert tuple(predictions.columns) == PREDICTION_COLUMNS
    assert {c: str(t) for c, t in predictions.dtypes.items()} == PREDICTION_DTYPES


def test_unseen_country_and_missing_values_in_prediction_set() -> None:
    frame = make_frame(n_train=120, n_new=6)
    new = frame.index[~frame["is_training"]]
    frame.loc[new[0], "first_invoice_country"] = "Atlantis"
    frame.loc[new[1], "first_invoice_country"] = None
    frame.loc[new[2], "first_invoice_mean_unit_price"] = np.nan
    predictions = predict_new_customers(frame, dataclasses.replace(FAST, n_splits=3))
    assert len(predictions) == 6
    assert predictions.drop(columns=["first_invoice_date"]).notna().all().all()


def test_input_validation_messages() -> None:
    frame = make_frame(n_train=20, n_new=2)
    with pytest.raises(ValueError, match="lacks column"):
        evaluate_models(frame.drop(columns=["first_invoice_hour"]), PredictionConfig())
    duplicated = pd.concat([frame, frame.head(1)])
    with pytest.raises(ValueError, match="customer_id must be unique"):
        evaluate_models(duplicated, PredictionConfig())
    missing_target = frame.copy()
    missing_target.loc[missing_target["is_training"].idxmax(), "next_year_purchase_value"] = np.nan
    with pytest.raises(ValueError, match="next_year_purchase_value must not be null"):
        evaluate_models(missing_target, PredictionConfig())


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def test_config_from_mapping_parses_dbt_vars() -> None:
    assert config_from_mapping(None) == PredictionConfig()
    config = config_from_mapping(
        {
            "n_splits": "3",
            "random_state": 7.0,
            "max_training_rows": 1000,
            "features": "[first_invoice_value, 'first_invoice_country']",
            "knn_neighbors": None,
        }
    )
    assert config.n_splits == 3
    assert config.random_state == 7
    assert config.max_training_rows == 1000
    assert config.features == ("first_invoice_value", "first_invoice_country")
    assert config.knn_neighbors == PredictionConfig().knn_neighbors
    assert PredictionConfig().features == FEATURES


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"n_split": 5}, r"unknown prediction setting\(s\) \['n_split'\]"),
        ({"n_splits": 1}, r"^Bad input: var prediction: n_splits must be an integer >= 2, got 1$"),
        ({"n_splits": "five"}, "n_splits must be an integer"),
        ({"random_state": True}, "random_state must be an integer"),
        ({"max_training_rows": 2.5}, "max_training_rows must be an integer"),
        ({"min_training_rows": 2}, "min_training_rows must be an integer >= 3"),
        ({"country_min_frequency": 0}, "country_min_frequency must be an integer >= 1"),
        ({"features": 3}, "features must be a list"),
        ({"features": "first_invoice_value, shoe_size"}, r"features: column\(s\) \['shoe_size'\]"),
        ("n_splits=5", "must be a mapping"),
    ],
)
def test_config_validation_errors(values: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config_from_mapping(values)  # type: ignore[arg-type]


def test_config_is_frozen() -> None:
    config = PredictionConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.n_splits = 3  # type: ignore[misc]


def test_max_cv_customers_caps_every_model_and_is_deterministic() -> None:
    frame = make_frame(n_train=480, n_new=20)
    capped = dataclasses.replace(FAST, max_cv_customers=200)
    metrics = evaluate_models(frame, capped)
    assert (metrics["n_train"] == 200).all()
    pd.testing.assert_frame_equal(metrics, evaluate_models(frame.sample(frac=1, random_state=3), capped))
    predictions = predict_new_customers(frame, capped, metrics)
    assert len(predictions) == 20
    with pytest.raises(ValueError, match="max_cv_customers"):
        PredictionConfig(max_cv_customers=1)


def test_svc_is_left_out_above_max_kernel_predictions() -> None:
    frame = make_frame(n_train=200, n_new=30)
    segment_models = lambda metrics: set(metrics.loc[metrics["target"] == "final_segment_id", "model"])  # noqa: E731
    assert "svc" in segment_models(evaluate_models(frame, FAST))
    limited = dataclasses.replace(FAST, max_kernel_predictions=29)
    metrics = evaluate_models(frame, limited)
    assert "svc" not in segment_models(metrics), "30 customers to predict is above the limit of 29"
    predictions = predict_new_customers(frame, limited, metrics)
    assert len(predictions) == 30 and (predictions["segment_model"] != "svc").all()
    with pytest.raises(ValueError, match="max_kernel_predictions"):
        PredictionConfig(max_kernel_predictions=-1)
