-- Public, contracted copy of the current KMeans model as data, with the stable segment ids that
-- customer_segments carries (int_current_segment_centroids).
with

centroids as (

    select * from {{ ref('int_current_segment_centroids') }}

),

final as (

    select
        cast(model_version as integer) as model_version,
        cast(segment_id as integer) as segment_id,
        cast(segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(trained_segment_id as integer) as trained_segment_id,
        cast(feature_position as integer) as feature_position,
        cast(feature as {{ dbt.type_string() }}) as feature,
        cast(transform as {{ dbt.type_string() }}) as transform,
        cast(clip_low as double) as clip_low,
        cast(clip_high as double) as clip_high,
        cast(scaler_center as double) as scaler_center,
        cast(scaler_scale as double) as scaler_scale,
        cast(centroid_scaled as double) as centroid_scaled,
        cast(centroid_original as double) as centroid_original,
        cast(segment_mean_original as double) as segment_mean_original,
        cast(segment_customers as bigint) as segment_customers,
        cast(segment_share as double) as segment_share

    from centroids

)

select * from final
