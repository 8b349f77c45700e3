"""Tests for segmentation.clustering: k selection, determinism, scoring from stored tables."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import threadpool_limits

from segmentation.clustering import (
    ASSIGNMENT_COLUMNS,
    BEHAVIOURAL_FEATURES,
    CENTROID_COLUMNS,
    DIAGNOSTIC_COLUMNS,
    FEATURE_PRESETS,
    SCALER_COLUMNS,
    SINGLE_SEGMENT_NAME,
    SegmentationConfig,
    assign_segments,
    build_k_diagnostics,
    choose_k,
    chosen_k,
    config_from_mapping,
    evaluate_k,
    fit_centroids,
    fit_segments,
    name_segments,
    prepare_features,
    rule_based_segments,
    with_present_features,
)

# Blob centres in log1p space: (recency_days, frequency, monetary).
BLOB_CENTRES = np.array(
    [
        [1.0, 3.0, 7.5],  # recent, frequent, big spend
        [5.5, 0.8, 3.0],  # lapsed, rare, small
        [3.5, 1.8, 5.0],  # middle
        [1.5, 0.8, 3.5],  # recent, rare, small
    ]
)
FAST = {
    "k_min": 2,
    "k_max": 6,
    "bootstrap_rounds": 2,
    "bootstrap_sample_size": 500,
    "n_init": 2,
    "seed_runs": 1,
}


def make_mart(
    sizes: tuple[int, ...] = (250, 250, 250, 250),
    centres: np.ndarray = BLOB_CENTRES,
    spread: float = 0.12,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.Series]:
    """Well-separated blobs (in log space), shuffled; returns the mart and the true group."""
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(len(sizes)), sizes)
    values = np.expm1(np.maximum(centres[group] + rng.normal(0.0, spread, (len(group), 3)), 0))
    ids = [f"C{i:05d}" for i in rng.permutation(len(group))]
    mart = pd.DataFrame(
        {
            "customer_id": ids,
            "recency_days": values[:, 0],
            "frequency": values[:, 1],
            "monetary": values[:, 2],
            "tenure_days": rng.integers(0, 700, len(group)),
        }
    )
    order = rng.permutation(len(mart))
    mart = mart.iloc[order].reset_index(drop=True)
    return mart, pd.Series(group[order], index=mart["customer_id"].to_numpy())


def run_chain(mart: pd.DataFrame, config: SegmentationConfig):
    diagnostics = build_k_diagnostics(mart, config)
    k = chosen_k(diagnostics)
    centroids = fit_centroids(mart, config, k)
    return diagnostics, centroids, assign_segments(mart, centroids, config)


@pytest.fixture(scope="module")
def blobs():
    return make_mart()


@pytest.fixture(scope="module")
def blob_chain(blobs):
    mart, _ = blobs
    config = SegmentationConfig(**FAST)
    return (config, *run_chain(mart, config))


def test_a_feature_the_log_cannot_give_is_left_out_with_a_warning(blobs):
    """A log without product codes: distinct_products is null for everyone; the behavioural
    preset segments on the rest, and every model of the chain uses the same features."""
    mart, truth = blobs
    config = SegmentationConfig(
        **FAST, features=("recency_days", "frequency", "monetary", "distinct_products")
    )
    with pytest.warns(UserWarning, match="distinct_products left out"):
        diagnostics, centroids, assigned = run_chain(mart.assign(distinct_products=np.nan), config)
    assert set(centroids["feature"]) == {"recency_days", "frequency", "monetary"}
    assert len(assigned) == len(mart)
    # the same segments as without the column at all
    _, _, plain = run_chain(mart, SegmentationConfig(**FAST))
    assert assigned["segment_id"].tolist() == plain["segment_id"].tolist()
    # a preset is narrowed the same way (the preset no longer names the features used)
    frame = pd.DataFrame({f: [1.0, 2.0] for f in BEHAVIOURAL_FEATURES}).assign(distinct_products=None)
    with pytest.warns(UserWarning):
        narrowed = with_present_features(frame, SegmentationConfig(feature_preset="behavioural"))
    assert narrowed.features == tuple(f for f in BEHAVIOURAL_FEATURES if f != "distinct_products")


# --- k selection ---------------------------------------------------------------------------


def test_blobs_choose_right_k_and_recover_groups(blobs, blob_chain):
    _, truth = blobs
    config, diagnostics, _, segments = blob_chain
    assert chosen_k(diagnostics) == 4
    assert "highest silhouette" in diagnostics.loc[diagnostics["is_chosen"], "choice_reason"].item()
    assert diagnostics["is_eligible"].equals(diagnostics["passes_share"] & diagnostics["passes_stability"])
    assert diagnostics.loc[diagnostics["is_chosen"], "criterion_rank"].item() == 1
    ari = adjusted_rand_score(truth.loc[segments["customer_id"]].to_numpy(), segments["segment_id"])
    assert ari > 0.99
    k4 = diagnostics.set_index("k").loc[4]
    assert k4["stability_ari"] > 0.95
    assert k4["silhouette"] == diagnostics["silhouette"].max()


def test_diagnostics_shape_one_chosen_row_every_k(blob_chain):
    config, diagnostics, _, _ = blob_chain
    assert list(diagnostics.columns) == [*DIAGNOSTIC_COLUMNS, "is_chosen", "choice_reason"]
    assert diagnostics["k"].tolist() == list(range(config.k_min, config.k_max + 1))
    assert diagnostics["is_chosen"].sum() == 1
    assert diagnostics["choice_reason"].map(lambda s: isinstance(s, str) and s != "").all()
    assert diagnostics["stability_ari"].notna().all()
    assert diagnostics["is_elbow"].sum() <= 1
    assert diagnostics["k"].dtype == np.int64 and diagnostics["inertia"].dtype == np.float64
    assert diagnostics["inertia"].is_monotonic_decreasing


def test_minibatch_path_recovers_blobs(blobs):
    mart, truth = blobs
    config = SegmentationConfig(**FAST, minibatch_threshold=500, minibatch_batch_size=256)
    diagnostics, centroids, segments = run_chain(mart, config)
    assert set(diagnostics["algorithm"]) == {"minibatch_kmeans"}
    assert chosen_k(diagnostics) == 4
    ari = adjusted_rand_score(truth.loc[segments["customer_id"]].to_numpy(), segments["segment_id"])
    assert ari > 0.99


def test_stability_only_for_chosen_k_when_asked(blobs):
    mart, _ = blobs
    config = SegmentationConfig(**FAST, stability_all_k=False)
    diagnostics = evaluate_k(prepare_features(mart, config).matrix, config)
    # measured in silhouette order until the first stable k: k = 4 ranks first and is stable
    assert diagnostics["stability_ari"].notna().tolist() == [k == 4 for k in diagnostics["k"]]
    assert diagnostics["seed_ari_min"].notna().tolist() == [k == 4 for k in diagnostics["k"]]


def test_fixed_k_is_honoured(blobs):
    mart, _ = blobs
    config = config_from_mapping({**FAST, "fixed_k": "3"})
    diagnostics, centroids, segments = run_chain(mart, config)
    assert chosen_k(diagnostics) == 3
    assert diagnostics.loc[diagnostics["is_chosen"], "choice_reason"].item().startswith("fixed by var")
    assert sorted(segments["segment_id"].unique()) == [1, 2, 3]
    assert centroids["segment_id"].nunique() == 3


def test_min_share_rule_stops_tiny_outlier_segment():
    centres = np.vstack([BLOB_CENTRES[:3], [[0.8, 5.5, 11.0]]])  # 1% far-away customers
    mart, _ = make_mart(sizes=(400, 400, 400, 12), centres=centres, seed=3)
    base = {**FAST, "clip_quantiles": "none", "bootstrap_rounds": 0}
    permissive = build_k_diagnostics(mart, config_from_mapping({**base, "min_segment_share": 0}))
    assert chosen_k(permissive) == 4  # the tiny group has the best silhouette...
    strict = build_k_diagnostics(mart, config_from_mapping({**base, "min_segment_share": 0.02}))
    by_k = strict.set_index("k")
    assert by_k.loc[4, "silhouette"] == by_k["silhouette"].max()
    assert not by_k.loc[4, "is_eligible"]  # ...but is too small to be a segment
    assert chosen_k(strict) == 3


def test_choose_k_fallbacks_and_ties():
    config = SegmentationConfig(k_min=2, k_max=5)
    diag = pd.DataFrame(
        {
            "k": [2, 3, 4, 5],
            "n_customers": 100,
            "n_distinct_profiles": 100,
            "silhouette": [0.5, 0.7, 0.7, 0.1],
            "smallest_segment_share": [0.3, 0.1, 0.1, 0.01],
            "passes_share": [True, True, True, False],
            "stability_ari": [0.99, 0.95, 0.97, 0.5],
            "is_eligible": [True, True, True, False],
            "is_elbow": [False, False, True, False],
        }
    )
    assert choose_k(diag, config)[0] == 3  # tie 0.7 at k=3 and 4 -> smaller k
    none_eligible = diag.assign(is_eligible=False)
    k, reason = choose_k(none_eligible, config)
    assert (k, "most stable" in reason) == (2, True)
    none_sized = none_eligible.assign(passes_share=False)
    k, reason = choose_k(none_sized, config)
    assert (k, "elbow" in reason) == (4, True)
    k, reason = choose_k(none_sized.assign(is_elbow=False), config)
    assert (k, "k_min" in reason) == (2, True)
    k, reason = choose_k(diag, SegmentationConfig(k_min=2, k_max=8, fixed_k=7))
    assert k == 5 and "fixed by var" in reason


def test_no_knee_does_not_crash():
    mart, _ = make_mart(sizes=(40, 40, 40, 40))
    config = SegmentationConfig(k_min=2, k_max=3, bootstrap_rounds=1)
    diagnostics = build_k_diagnostics(mart, config)  # two points: kneed is not even asked
    assert not diagnostics["is_elbow"].any()
    assert diagnostics["is_chosen"].sum() == 1


# --- silhouette ----------------------------------------------------------------------------

# Rows of the random datasets: more than one distance chunk of _silhouettes, to cover chunking.
SILHOUETTE_ROWS = (7, 300, 700)


@pytest.mark.parametrize("seed", range(6))
def test_silhouettes_equal_sklearn_silhouette_score(seed):
    """The hand-written one-pass silhouettes are sklearn's definition, to 1e-9."""
    from segmentation.clustering import _silhouettes

    rng = np.random.default_rng(seed)
    n = SILHOUETTE_ROWS[seed % len(SILHOUETTE_ROWS)]
    sample = rng.normal(size=(n, 1 + seed % 4))
    sample[: n // 5] = sample[0]  # duplicated profiles, as in real marts (zero distances)
    label_sets = [rng.integers(0, k, size=n) * 3 + 1 for k in (2, 3, min(5, n - 1))]  # non-contiguous
    label_sets.append(np.r_[0, np.ones(n - 1, dtype=int)])  # a singleton cluster scores 0
    expected = [silhouette_score(sample, labels) for labels in label_sets]
    assert _silhouettes(sample, label_sets) == pytest.approx(expected, rel=0, abs=1e-9)


def test_silhouettes_are_nan_where_sklearn_refuses_the_labeling():
    from segmentation.clustering import _silhouettes

    sample = np.random.default_rng(0).normal(size=(4, 2))
    one_cluster, all_singletons = np.zeros(4, dtype=int), np.arange(4)
    for labels in (one_cluster, all_singletons):
        with pytest.raises(ValueError):
            silhouette_score(sample, labels)
    assert np.isnan(_silhouettes(sample, [one_cluster, all_singletons])).all()


# --- determinism --------------------------------------------------------------------------


def _labels(mart: pd.DataFrame, config: SegmentationConfig) -> pd.Series:
    _, centroids, segments = run_chain(mart, config)
    return segments.set_index("customer_id")["segment_id"], centroids


@pytest.mark.parametrize("minibatch_threshold", [1_000_000, 300], ids=["kmeans", "minibatch"])
def test_deterministic_across_runs_row_order_and_threads(minibatch_threshold):
    mart, _ = make_mart(sizes=(150, 150, 150, 150), spread=0.35, seed=7)
    config = SegmentationConfig(**FAST, minibatch_threshold=minibatch_threshold)
    shuffled = mart.sample(frac=1.0, random_state=99).reset_index(drop=True)
    with threadpool_limits(limits=1):
        labels_1, centroids_1 = _labels(mart, config)
    with threadpool_limits(limits=2):
        labels_2, centroids_2 = _labels(mart, config)
        labels_3, centroids_3 = _labels(shuffled, config)
    labels_4, centroids_4 = _labels(mart, config)
    for labels, centroids in [
        (labels_2, centroids_2),
        (labels_3, centroids_3),
        (labels_4, centroids_4),
    ]:
        pd.testing.assert_series_equal(labels_1, labels.loc[labels_1.index])
        pd.testing.assert_frame_equal(centroids_1, centroids)


# --- ordering, naming, centroid table ------------------------------------------------------


def test_centroid_table_layout_and_id_order(blob_chain):
    config, _, centroids, segments = blob_chain
    assert list(centroids.columns) == list(CENTROID_COLUMNS)
    assert len(centroids) == 4 * len(config.features)
    dtypes = centroids.dtypes
    assert dtypes["segment_id"] == np.int64 and dtypes["segment_customers"] == np.int64
    assert dtypes["centroid_scaled"] == np.float64 and pd.api.types.is_object_dtype(dtypes["segment_name"])
    wide = centroids.pivot(index="segment_id", columns="feature", values="centroid_original")
    assert wide.index.tolist() == [1, 2, 3, 4]
    assert wide["monetary"].is_monotonic_decreasing  # segment 1 = highest monetary centroid
    counts = segments["segment_id"].value_counts().sort_index()
    per_segment = centroids.drop_duplicates("segment_id").set_index("segment_id")
    assert per_segment["segment_customers"].tolist() == counts.tolist()
    assert per_segment["segment_share"].sum() == pytest.approx(1.0)
    # per-feature scaler columns are identical across segments
    assert centroids.groupby("feature")[["clip_low", "scaler_scale"]].nunique().max().max() == 1


def test_segment_order_tie_break_by_frequency_then_recency():
    from segmentation.clustering import _segment_order

    features = ("recency_days", "frequency", "monetary")
    original = np.array([[30.0, 2.0, 100.0], [10.0, 5.0, 100.0], [5.0, 2.0, 100.0], [1, 1, 500]])
    assert _segment_order(original, original, features) == [3, 1, 2, 0]


def test_names_unique_and_from_the_grid(blobs, blob_chain):
    mart, _ = blobs
    _, _, centroids, segments = blob_chain
    names = centroids.drop_duplicates("segment_id").set_index("segment_id")["segment_name"]
    assert names.is_unique
    vocabulary = set(pd.read_csv("seeds/rfm_segment_map.csv")["rfm_segment"])
    assert set(names) <= vocabulary
    assert names[1] == "Champions"  # recent, frequent, high spend blob
    # each blob's name is the rule-based segment most of its customers hold (all distinct here)
    held = pd.Series(rule_based_segments(segments), index=segments["segment_id"])
    modal = held.groupby(level=0).agg(lambda s: s.value_counts().idxmax())
    assert modal.to_dict() == names.to_dict()


def _customers(recency: list[int], frequency: list[int], tenure: list[int] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"recency_days": recency, "frequency": frequency})
    return frame.assign(tenure_days=tenure) if tenure is not None else frame


def test_name_rule_second_choice_and_single_segment():
    # two segments whose customers are mostly Hibernating: the second takes its runner-up name
    customers = _customers([300] * 6 + [200] * 6 + [5] * 8, [1] * 6 + [1, 1, 1, 1, 2, 2] + [9] * 8)
    labels = np.repeat([1, 2, 3], [6, 6, 8])
    names = name_segments(customers, labels)
    assert len(set(names.values())) == 3
    assert names[3] == "Loyal customers"  # R 4 (ties share the lower score), F 5
    assert name_segments(customers, np.ones(len(customers), dtype=int)) == {1: SINGLE_SEGMENT_NAME}


def test_dormant_segment_only_gets_a_lapsed_name():
    # 540-day file; segment 2's median customer last bought 491 days ago
    recency = [10] * 10 + [491] * 10 + [30] * 10
    customers = _customers(recency, [3] * 10 + [2] * 10 + [1] * 10, [500] * 10 + [49] * 10 + [0] * 10)
    labels = np.repeat([1, 2, 3], 10)
    names = name_segments(customers, labels)
    assert names[2] in {"Lost", "Hibernating", "At risk", "Can't lose them"}
    # the same segment, with the guard switched off, keeps whatever its customers hold
    assert name_segments(customers, labels, SegmentationConfig(dormant_period_share=1))[2]


def test_too_many_segments_for_the_grid():
    customers = _customers(list(range(40)), [1] * 40)
    with pytest.raises(ValueError, match="distinct names"):
        name_segments(customers, np.arange(40) % 12)


# --- scoring from the stored table ---------------------------------------------------------


def test_assign_reproduces_fit_and_survives_duckdb_round_trip(blobs):
    mart, _ = blobs
    config = SegmentationConfig(**FAST)
    fitted = fit_segments(mart, config, 4)
    direct = assign_segments(mart, fitted.centroids, config)
    assert list(direct.columns) == [*ASSIGNMENT_COLUMNS, *config.features]
    assert direct["customer_id"].tolist() == sorted(mart["customer_id"])
    assert np.array_equal(direct["segment_id"].to_numpy(), fitted.labels)

    con = duckdb.connect()
    con.register("centroids_df", fitted.centroids)
    con.execute("create table segment_centroids as select * from centroids_df")
    stored = con.execute("select * from segment_centroids order by random()").df()
    round_trip = assign_segments(mart, stored, config)
    pd.testing.assert_frame_equal(direct, round_trip)

    # the same scoring written in plain SQL gives the same labels
    con.register("mart_df", mart)
    sql_labels = con.execute(
        """
        with long as (
            unpivot (select customer_id, recency_days::double as recency_days,
                            frequency::double as frequency, monetary::double as monetary
                     from mart_df)
            on recency_days, frequency, monetary into name feature value value
        ), distances as (
            select l.customer_id, c.segment_id,
                   sum(power((least(greatest(case when c.transform = 'log1p'
                                                  then ln(1 + l.value) else l.value end,
                                             c.clip_low), c.clip_high)
                              - c.scaler_center) / c.scaler_scale - c.centroid_scaled, 2)) as d2
            from long l join segment_centroids c using (feature)
            group by all
        )
        select customer_id, segment_id from distances
        qualify row_number() over (partition by customer_id order by d2, segment_id) = 1
        order by customer_id
        """
    ).df()
    assert sql_labels["segment_id"].tolist() == direct["segment_id"].tolist()


def test_assign_rejects_mismatched_or_inconsistent_table(blob_chain):
    config, _, centroids, _ = blob_chain
    mart, _ = make_mart(sizes=(5, 5, 5, 5))
    other = SegmentationConfig(features=("recency_days", "monetary"))
    with pytest.raises(ValueError, match="do not match config features"):
        assign_segments(mart, centroids, other)
    broken = centroids.copy()
    broken.loc[0, "scaler_center"] += 1.0
    with pytest.raises(ValueError, match="inconsistent scaler parameters"):
        assign_segments(mart, broken, config)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['centroid_scaled'\]"):
        assign_segments(mart, centroids.drop(columns="centroid_scaled"), config)


# --- feature preparation and edge cases ----------------------------------------------------


def test_prepare_features_params_and_outlier_clipping():
    mart, _ = make_mart(sizes=(100, 100, 100, 100))
    mart.loc[0, "monetary"] = 1e9  # extreme customer
    prepared = prepare_features(mart, SegmentationConfig())
    params = prepared.scaler_params
    assert list(params.columns) == list(SCALER_COLUMNS)
    monetary = params.set_index("feature").loc["monetary"]
    assert monetary["clip_high"] < np.log1p(1e9)
    assert prepared.matrix.shape == (400, 3)
    assert np.allclose(prepared.matrix.mean(axis=0), 0.0)
    assert np.allclose(prepared.matrix.std(axis=0), 1.0)
    unclipped = prepare_features(mart, SegmentationConfig(clip_quantiles=None)).scaler_params
    assert np.isinf(unclipped[["clip_low", "clip_high"]]).all(axis=None)
    segments = assign_segments(mart, fit_centroids(mart, SegmentationConfig(**FAST), 4), SegmentationConfig())
    assert len(segments) == len(mart)  # clipped customers are still assigned


def test_all_equal_feature_gets_unit_scale():
    mart, _ = make_mart(sizes=(50, 50, 50, 50))
    mart["frequency"] = 3
    config = SegmentationConfig(**FAST)
    prepared = prepare_features(mart, config)
    frequency = prepared.scaler_params.set_index("feature").loc["frequency"]
    assert frequency["scale"] == 1.0
    assert (prepared.matrix[:, 1] == 0.0).all()
    robust = prepare_features(mart, SegmentationConfig(scaler="robust")).scaler_params
    assert (robust["scale"] > 0).all()
    _, centroids, segments = run_chain(mart, config)
    assert segments["frequency"].dtype == np.int64
    assert segments["segment_id"].between(1, centroids["segment_id"].max()).all()


def test_robust_scaler_zero_iqr_falls_back_to_std():
    mart, _ = make_mart(sizes=(50, 50, 50, 50))
    mart["frequency"] = 1
    mart.loc[:20, "frequency"] = 5  # IQR is 0, but the column is not constant
    params = prepare_features(mart, SegmentationConfig(scaler="robust")).scaler_params
    frequency = params.set_index("feature").loc["frequency"]
    assert frequency["center"] == pytest.approx(np.log1p(1))
    assert 0 < frequency["scale"] < 1  # the standard deviation of the log values


def _single_segment_checks(mart: pd.DataFrame, config: SegmentationConfig) -> None:
    diagnostics, centroids, segments = run_chain(mart, config)
    assert diagnostics["k"].tolist() == [1]
    assert diagnostics["is_chosen"].tolist() == [True]
    assert diagnostics["choice_reason"].item().startswith("single segment")
    assert centroids["segment_name"].unique().tolist() == ["All customers"]
    assert segments["segment_id"].tolist() == [1] * len(mart)
    assert len(segments) == len(mart)


def test_one_customer():
    mart, _ = make_mart(sizes=(1,), centres=BLOB_CENTRES[:1])
    _single_segment_checks(mart, SegmentationConfig())


def test_fewer_customers_than_k_min():
    mart, _ = make_mart(sizes=(1, 1, 1, 1))
    _single_segment_checks(mart, SegmentationConfig(k_min=5, k_max=6))
    _single_segment_checks(mart.head(2), SegmentationConfig())


def test_identical_customers():
    mart = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(30)],
            "recency_days": 10,
            "frequency": 2,
            "monetary": 55.5,
        }
    )
    _single_segment_checks(mart, SegmentationConfig())
    assert (
        assign_segments(mart, fit_centroids(mart, SegmentationConfig(), 1), SegmentationConfig())[
            "distance_to_centroid"
        ]
        .eq(0)
        .all()
    )


def test_three_customers_two_segments():
    mart, _ = make_mart(sizes=(1, 1, 1), centres=BLOB_CENTRES[:3])
    diagnostics, _, segments = run_chain(mart, SegmentationConfig(k_min=2))
    assert diagnostics["k"].tolist() == [2]  # capped at n - 1
    assert segments["segment_id"].nunique() == 2


@pytest.mark.parametrize("bad", [np.nan, np.inf, None])
def test_nan_inf_values_raise_clear_error(bad):
    mart, _ = make_mart(sizes=(5, 5, 5, 5))
    mart["monetary"] = mart["monetary"].astype(object)
    mart.loc[[2, 7], "monetary"] = bad
    with pytest.raises(ValueError, match=r"column 'monetary' has \d NaN/null and \d infinite"):
        prepare_features(mart, SegmentationConfig())


def test_negative_values_with_log1p():
    mart, _ = make_mart(sizes=(5, 5, 5, 5))
    mart.loc[3, "recency_days"] = -4
    with pytest.raises(ValueError, match=r"'recency_days' has 1 negative value.*log1p"):
        prepare_features(mart, SegmentationConfig())
    prepared = prepare_features(mart, SegmentationConfig(transform="none"))
    assert prepared.matrix.shape == (20, 3)


def test_missing_columns_and_duplicate_ids():
    mart, _ = make_mart(sizes=(5, 5, 5, 5))
    with pytest.raises(ValueError, match=r"missing required column\(s\) \['monetary'\]"):
        prepare_features(mart.drop(columns="monetary"), SegmentationConfig())
    with pytest.raises(ValueError, match="duplicated"):
        prepare_features(pd.concat([mart, mart.head(2)]), SegmentationConfig())
    with pytest.raises(ValueError, match="no rows"):
        prepare_features(mart.head(0), SegmentationConfig())


# --- configuration -------------------------------------------------------------------------


def test_config_from_mapping_parses_dbt_vars():
    config = config_from_mapping(
        {
            "features": "recency_days, frequency,monetary , tenure_days",
            "transform": "NONE",
            "k_min": "3",
            "k_max": 8,
            "fixed_k": "null",
            "clip_quantiles": "[0.01, 0.99]",
            "min_segment_share": "0.05",
            "stability_all_k": "false",
            "n_init": None,
        }
    )
    assert config.features == ("recency_days", "frequency", "monetary", "tenure_days")
    assert (config.transform, config.k_min, config.k_max, config.fixed_k) == ("none", 3, 8, None)
    assert config.clip_quantiles == (0.01, 0.99)
    assert config.min_segment_share == 0.05 and config.stability_all_k is False
    assert config.n_init == SegmentationConfig().n_init
    assert config_from_mapping({"clip_quantiles": None}).clip_quantiles is None
    assert config_from_mapping({"features": ["monetary", "frequency"]}).features == (
        "monetary",
        "frequency",
    )
    assert config_from_mapping(None) == SegmentationConfig()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"features": ["recency_days", "age"]}, r"features .*\(unknown: \['age'\]\)"),
        ({"features": []}, r"features must be a non-empty list"),
        ({"k_min": 1}, r"^Bad input: var segmentation: k_min must be an integer >= 2, got 1$"),
        ({"k_min": "two"}, r"k_min must be an integer, got 'two'"),
        ({"k_min": 5, "k_max": "4"}, r"k_max must be >= k_min=5, got k_max=4"),
        ({"fixed_k": 12}, r"fixed_k must lie in \[k_min=3, k_max=10\], got fixed_k=12"),
        ({"transform": "sqrt"}, r"transform must be one of \['log1p', 'none'\], got 'sqrt'"),
        ({"scaler": "minmax"}, r"scaler must be one of"),
        ({"min_segment_share": "1.5"}, r"min_segment_share must be a number in \[0, 1\)"),
        ({"clip_quantiles": [0.9, 0.1]}, r"clip_quantiles must be two numbers"),
        ({"n_init": 0}, r"n_init must be an integer >= 1"),
        ({"stability_all_k": "maybe"}, r"stability_all_k must be true or false"),
        ({"k_mni": 3}, r"unknown segmentation setting\(s\) \['k_mni'\]"),
    ],
)
def test_config_validation_errors(values, message):
    with pytest.raises(ValueError, match=message):
        config_from_mapping(values)


def test_config_is_frozen_and_validates_direct_construction():
    config = SegmentationConfig()
    with pytest.raises(AttributeError):
        config.k_min = 3  # type: ignore[misc]
    with pytest.raises(ValueError, match="k_max"):
        SegmentationConfig(k_min=4, k_max=3)


def test_planted_type_ari_only_with_known_types(blobs):
    mart, truth = blobs
    config = SegmentationConfig(**FAST)
    assert build_k_diagnostics(mart, config)["planted_type_ari"].isna().all()
    planted = pd.DataFrame({"customer_id": truth.index, "customer_type": truth.astype(str).to_numpy()})
    with_truth = build_k_diagnostics(mart, config, planted).set_index("k")["planted_type_ari"]
    assert with_truth.idxmax() == 4 and with_truth[4] > 0.99
    with pytest.raises(ValueError, match="no planted type"):
        build_k_diagnostics(mart, config, planted.iloc[1:])


def test_feature_preset_replaces_features():
    config = config_from_mapping({"feature_preset": "lifecycle"})
    assert config.features == FEATURE_PRESETS["lifecycle"]
    assert SegmentationConfig().features == FEATURE_PRESETS["rfm"]
