with

customer_segments as (

    select * from {{ ref('customer_segments') }}

),

customer_rfm_segments as (

    select * from {{ ref('customer_rfm_segments') }}

),

cells as (

    select
        customer_segments.segment_id,
        customer_segments.segment_name,
        customer_rfm_segments.rfm_segment,
        count(*) as customer_count

    from customer_segments
    inner join customer_rfm_segments
        on customer_segments.customer_id = customer_rfm_segments.customer_id
    group by customer_segments.segment_id, customer_segments.segment_name, customer_rfm_segments.rfm_segment

),

final as (

    select
        segment_id,
        segment_name,
        rfm_segment,
        customer_count,
        cast(customer_count as double)
        / sum(customer_count) over (partition by segment_id) as share_of_segment,
        cast(customer_count as double)
        / sum(customer_count) over (partition by rfm_segment) as share_of_rfm_segment

    from cells

)

select * from final
