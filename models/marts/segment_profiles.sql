{%- set profile_features = segment_profile_features() -%}

with

customer_segments as (

    select * from {{ ref('customer_segments') }}

),

customers as (

    select * from {{ ref('customers') }}

),

segment_actions as (

    select * from {{ ref('segment_actions') }}

),

segmented_customers as (

    select
        customer_segments.segment_id,
        customer_segments.segment_name,
        {%- for feature in profile_features %}
        customers.{{ feature }},
        {%- endfor %}
        customers.net_value

    from customer_segments
    inner join customers
        on customer_segments.customer_id = customers.customer_id

),

totals as (

    select
        count(*) as total_customers,
        sum(monetary) as total_monetary
    from segmented_customers

),

-- Medians are taken of doubles: on decimals DuckDB rounds a median to 4 places. Means divide the
-- exact sum (the features are integers and decimals) as a double: an average of doubles adds in
-- whatever order the threads finish, so two builds of the same data differed in the last bit,
-- and Spark rounds a decimal average to 8 places.
profiles as (

    select
        segment_id,
        segment_name,
        count(*) as customer_count,
        {%- for feature in profile_features %}
        cast(sum({{ feature }}) as double) / nullif(count({{ feature }}), 0) as mean_{{ feature }},
        {{ median('cast(' ~ feature ~ ' as double)') }} as median_{{ feature }},
        {%- endfor %}
        sum(monetary) as segment_monetary,
        sum(net_value) as segment_net_value

    from segmented_customers
    group by segment_id, segment_name

),

final as (

    select
        profiles.segment_id,
        profiles.segment_name,
        segment_actions.recommended_action,
        profiles.customer_count,
        cast(profiles.customer_count as double) / totals.total_customers as customer_share,
        {%- for feature in profile_features %}
        profiles.mean_{{ feature }},
        profiles.median_{{ feature }},
        {%- endfor %}
        profiles.segment_monetary,
        cast(profiles.segment_monetary as double) / cast(totals.total_monetary as double) as revenue_share,
        profiles.segment_net_value

    from profiles
    cross join totals
    left join segment_actions
        on {{ segment_base_name('profiles.segment_name') }} = segment_actions.segment_name

)

select * from final
