{#-
    Every customer's segment at every snapshot date, scored in SQL from the stored centroids with
    the same rule as int_customers_scored_by_centroids (macro nearest_centroid_ctes). Incremental:
    a run computes only the snapshot dates not yet in the table (and the build's own date); a full
    refresh recomputes all of them with the current model. Rows kept from earlier runs keep the
    segments of the model they were scored with, under stable ids (int_current_segment_centroids),
    so they stay comparable; full-refresh after retraining to rescore them with the new centroids.
-#}
{{ config(**segment_history_incremental_config()) }}
{%- set features = trained_features(ref('int_current_segment_centroids')) -%}

with

dates_to_compute as (

    {{ segment_history_dates_to_compute(ref('int_segment_snapshot_dates'), ref('int_snapshot_date')) }}

),

customer_features as (

    select *
    from {{ ref('int_customer_snapshot_features') }}
    where snapshot_date in (select dates_to_compute.snapshot_date from dates_to_compute)

),

centroids as (

    select * from {{ ref('int_current_segment_centroids') }}

),

{{ nearest_centroid_ctes(features, ['snapshot_date', 'customer_id']) }},

final as (

    select
        customer_features.snapshot_date,
        customer_features.customer_id,
        scored.segment_id,
        scored.segment_name,
        scored.distance_to_centroid,
        customer_features.first_purchase_date,
        customer_features.last_purchase_date,
        customer_features.recency_days,
        customer_features.frequency,
        customer_features.monetary,
        customer_features.tenure_days,
        customer_features.average_order_value,
        customer_features.distinct_products,
        customer_features.total_units,
        customer_features.recent_window_frequency,
        customer_features.cancellation_count,
        customer_features.cancellation_value,
        customer_features.net_value
    from customer_features
    inner join scored
        on
            customer_features.snapshot_date = scored.snapshot_date
            and customer_features.customer_id = scored.customer_id

)

select * from final
