-- One row per customer with both segmentations beside the features: the table dashboards filter.
with

customers as (

    select * from {{ ref('customers') }}

),

customer_segments as (

    select * from {{ ref('customer_segments') }}

),

customer_rfm_segments as (

    select * from {{ ref('customer_rfm_segments') }}

),

final as (

    select
        customers.customer_id,
        cast(customer_segments.segment_id as integer) as segment_id,
        cast(customer_segments.segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(customer_segments.distance_to_centroid as double) as distance_to_centroid,
        customer_rfm_segments.rfm_segment,
        customer_rfm_segments.rfm_score,
        customers.main_country,
        customers.recency_days,
        customers.frequency,
        customers.monetary,
        customers.net_value,
        customers.tenure_days,
        customers.average_order_value,
        customers.distinct_products,
        customers.first_purchase_date,
        customers.last_purchase_date

    from customers
    inner join customer_segments
        on customers.customer_id = customer_segments.customer_id
    inner join customer_rfm_segments
        on customers.customer_id = customer_rfm_segments.customer_id

)

select * from final
