-- Customers worth a win-back campaign: once frequent and valuable (RFM "At risk" or "Can't lose
-- them"), ranked by what they used to spend. `dbt compile` renders it for a BI tool or a notebook.
with

customers_segmented as (

    select * from {{ ref('customers_segmented') }}

),

final as (

    select
        customer_id,
        rfm_segment,
        segment_name,
        recency_days,
        frequency,
        monetary,
        main_country

    from customers_segmented
    where rfm_segment in ('At risk', 'Can''t lose them')

)

select * from final
order by monetary desc
