-- The customer features for people and dashboards, under a contract; int_customer_features computes them.
with

customer_features as (

    select * from {{ ref('int_customer_features') }}

),

final as (

    select
        customer_id,
        main_country,
        first_purchase_date,
        last_purchase_date,
        snapshot_date,
        recency_days,
        frequency,
        monetary,
        tenure_days,
        average_order_value,
        distinct_products,
        total_units,
        recent_window_frequency,
        seasonal_peak_spend_share,
        mean_invoice_gap_days,
        invoice_gap_variation,
        cancellation_count,
        cancellation_value,
        net_value

    from customer_features

)

select * from final
