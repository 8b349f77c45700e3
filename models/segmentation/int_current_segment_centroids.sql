{#-
    The centroids every scoring reads: segment_centroids as trained, with the stable segment ids
    and names of its version in segment_model_versions (the latest: a build appends the model it
    trained whenever it differs from the latest one). Trained ids are renumbered at every
    retraining; the stable ones keep meaning the same group, so customer_segments, the history and
    the marts carry them.
-#}

with

trained_centroids as (

    select * from {{ ref('segment_centroids') }}

),

model_versions as (

    select * from {{ ref('segment_model_versions') }}

),

latest_segments as (

    select distinct
        model_version,
        trained_segment_id,
        segment_id,
        segment_name
    from model_versions
    where model_version = (select max(all_versions.model_version) from model_versions as all_versions)

),

final as (

    select
        latest_segments.model_version,
        latest_segments.segment_id,
        latest_segments.segment_name,
        trained_centroids.segment_id as trained_segment_id,
        trained_centroids.feature_position,
        trained_centroids.feature,
        trained_centroids.transform,
        trained_centroids.clip_low,
        trained_centroids.clip_high,
        trained_centroids.scaler_center,
        trained_centroids.scaler_scale,
        trained_centroids.centroid_scaled,
        trained_centroids.centroid_original,
        trained_centroids.segment_mean_original,
        trained_centroids.segment_customers,
        trained_centroids.segment_share
    from trained_centroids
    inner join latest_segments
        on trained_centroids.segment_id = latest_segments.trained_segment_id

)

select * from final
