{#-
    Assigns every customer to the nearest centroid stored in segment_centroids, in plain SQL:
    the "train once, score in the warehouse" path. It reads the feature list from the stored
    table, so it follows whatever features the KMeans model was trained on.
-#}
{%- set features = trained_features(ref('segment_centroids')) -%}

with

customer_features as (

    select * from {{ ref('int_customer_features') }}

),

centroids as (

    select * from {{ ref('segment_centroids') }}

),

feature_values as (

    {%- for feature in features %}
    select
        customer_id,
        '{{ feature }}' as feature,
        cast({{ feature }} as double) as feature_value
    from customer_features
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if not features %}
    select
        customer_id,
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
        feature_values.customer_id,
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
        scaled_values.customer_id,
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
    group by scaled_values.customer_id, centroids.segment_id, centroids.segment_name

),

ranked as (

    select
        customer_id,
        segment_id,
        segment_name,
        squared_distance,
        row_number() over (
            partition by customer_id
            order by squared_distance asc, segment_id asc
        ) as distance_rank

    from squared_distances

),

final as (

    select
        customer_id,
        segment_id,
        segment_name,
        sqrt(squared_distance) as distance_to_centroid

    from ranked
    where distance_rank = 1

)

select * from final
