{#-
    Nearest-centroid scoring in plain SQL, shared by int_customers_scored_by_centroids (the build's
    customers) and customer_segment_history (customers at every snapshot date), so both follow one
    rule: the same transform, clipping, scaling, fixed-order distance and tie-break.
-#}

{#-
    CTEs that end in `scored`: one row per `key_columns` value with segment_id, segment_name and
    distance_to_centroid. Expects CTEs `customer_features` (key columns + feature columns) and
    `centroids` (the segment_centroids table) before them. Each customer row stays one row, its
    features side by side, joined to the k segments' centroids (one row per segment, a column per
    feature): k rows per customer. One row per customer and feature (the earlier shape) made the
    history at 200M lines a grouping of a billion rows, which ran out of DuckDB's 2 GB.
-#}
{% macro nearest_centroid_ctes(features, key_columns) %}
{%- set keys = key_columns | join(', ') -%}
scaler_parameters as (

    -- One row: every feature's transform, clip bounds and scaler, the same for every segment.
    select
        {%- for feature in features %}
        max(case when feature = '{{ feature }}' then transform end) as transform_{{ feature }},
        max(case when feature = '{{ feature }}' then clip_low end) as clip_low_{{ feature }},
        max(case when feature = '{{ feature }}' then clip_high end) as clip_high_{{ feature }},
        max(case when feature = '{{ feature }}' then scaler_center end) as scaler_center_{{ feature }},
        max(case when feature = '{{ feature }}' then scaler_scale end) as scaler_scale_{{ feature }},
        {%- endfor %}
        count(*) as centroid_rows
    from centroids

),

segment_centroids_wide as (

    select
        {%- for feature in features %}
        max(case when feature = '{{ feature }}' then centroid_scaled end) as centroid_{{ feature }},
        {%- endfor %}
        segment_id,
        segment_name
    from centroids
    group by segment_id, segment_name

),

scaled_values as (

    select
        {%- for key in key_columns %}
        customer_features.{{ key }},
        {%- endfor %}
        {%- for feature in features %}
        (
            least(
                greatest(
                    case
                        when scaler_parameters.transform_{{ feature }} = 'log1p'
                            then ln(1 + cast(customer_features.{{ feature }} as double))
                        else cast(customer_features.{{ feature }} as double)
                    end,
                    scaler_parameters.clip_low_{{ feature }}
                ),
                scaler_parameters.clip_high_{{ feature }}
            )
            - scaler_parameters.scaler_center_{{ feature }}
        ) / scaler_parameters.scaler_scale_{{ feature }} as scaled_{{ feature }},
        {%- endfor %}
        scaler_parameters.centroid_rows
    from customer_features
    cross join scaler_parameters

),

squared_distances as (

    select
        {%- for key in key_columns %}
        scaled_values.{{ key }},
        {%- endfor %}
        segment_centroids_wide.segment_id,
        segment_centroids_wide.segment_name,
        -- Added feature by feature in a fixed order, so the last bit of a double is the same in
        -- every build of the same data; a missing value adds nothing.
        {%- for feature in features %}
        coalesce(power(scaled_values.scaled_{{ feature }} - segment_centroids_wide.centroid_{{ feature }}, 2), 0)
        {{- ' +' if not loop.last }}
        {%- endfor %}
        {%- if not features %}
        cast(null as double)
        {%- endif %} as squared_distance
    from scaled_values
    cross join segment_centroids_wide
    -- No centroids or no features, no scores (the scaler row is there even for an empty table).
    where scaled_values.centroid_rows > 0{{ ' and false' if not features }}

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
