{#-
    Nearest-centroid scoring in plain SQL, shared by int_customers_scored_by_centroids (the build's
    customers) and customer_segment_history (customers at every snapshot date), so both follow one
    rule: the same transform, clipping, scaling, fixed-order distance and tie-break.
-#}

{#-
    CTEs that end in `scored`: one row per `key_columns` value with segment_id, segment_name and
    distance_to_centroid. Expects CTEs `customer_features` (key columns + feature columns) and
    `centroids` (the segment_centroids table) before them.
-#}
{% macro nearest_centroid_ctes(features, key_columns) %}
{%- set keys = key_columns | join(', ') -%}
feature_values as (

    {%- for feature in features %}
    select
        {{ keys }},
        '{{ feature }}' as feature,
        cast({{ feature }} as double) as feature_value
    from customer_features
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if not features %}
    select
        {{ keys }},
        cast(null as {{ dbt.type_string() }}) as feature,
        cast(null as double) as feature_value
    from customer_features
    where false
    {%- endif %}

),

scaler_parameters as (

    select distinct
        feature,
        transform,
        clip_low,
        clip_high,
        scaler_center,
        scaler_scale
    from centroids

),

scaled_values as (

    select
        {%- for key in key_columns %}
        feature_values.{{ key }},
        {%- endfor %}
        feature_values.feature,
        (
            least(
                greatest(
                    case
                        when scaler_parameters.transform = 'log1p' then ln(1 + feature_values.feature_value)
                        else feature_values.feature_value
                    end,
                    scaler_parameters.clip_low
                ),
                scaler_parameters.clip_high
            )
            - scaler_parameters.scaler_center
        ) / scaler_parameters.scaler_scale as scaled_value

    from feature_values
    inner join scaler_parameters
        on feature_values.feature = scaler_parameters.feature

),

squared_distances as (

    select
        {%- for key in key_columns %}
        scaled_values.{{ key }},
        {%- endfor %}
        centroids.segment_id,
        centroids.segment_name,
        -- Added feature by feature in a fixed order: a parallel sum() adds in any order, and the
        -- last bit of a double then differs between two builds of the same data.
        {%- for feature in features %}
        coalesce(max(case when scaled_values.feature = '{{ feature }}'
            then power(scaled_values.scaled_value - centroids.centroid_scaled, 2) end), 0)
        {{- ' +' if not loop.last }}
        {%- endfor %}
        {%- if not features %}
        cast(null as double)
        {%- endif %} as squared_distance

    from scaled_values
    inner join centroids
        on scaled_values.feature = centroids.feature
    group by
        {%- for key in key_columns %}
        scaled_values.{{ key }},
        {%- endfor %}
        centroids.segment_id,
        centroids.segment_name

),

ranked as (

    select
        {{ keys }},
        segment_id,
        segment_name,
        squared_distance,
        row_number() over (
            partition by {{ keys }}
            order by squared_distance asc, segment_id asc
        ) as distance_rank

    from squared_distances

),

scored as (

    select
        {{ keys }},
        segment_id,
        segment_name,
        sqrt(squared_distance) as distance_to_centroid

    from ranked
    where distance_rank = 1

)
{% endmacro %}
