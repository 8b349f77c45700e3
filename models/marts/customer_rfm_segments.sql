with

customers as (

    select * from {{ ref('int_customer_features') }}

),

rfm_segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

scored as (

    select
        customer_id,
        recency_days,
        frequency,
        monetary,
        {{ quintile_score('recency_days', higher_is_better=false) }} as recency_score,
        {{ quintile_score('frequency') }} as frequency_score,
        {{ quintile_score('monetary') }} as monetary_score

    from customers

),

final as (

    select
        scored.customer_id,
        scored.recency_days,
        scored.frequency,
        scored.monetary,
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score,
        cast(scored.recency_score as {{ dbt.type_string() }})
        || cast(scored.frequency_score as {{ dbt.type_string() }})
        || cast(scored.monetary_score as {{ dbt.type_string() }}) as rfm_score,
        rfm_segment_map.rfm_segment

    from scored
    inner join rfm_segment_map
        on
            scored.recency_score = rfm_segment_map.recency_score
            and scored.frequency_score = rfm_segment_map.frequency_score

)

select * from final
