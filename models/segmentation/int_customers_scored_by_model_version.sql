{#-
    The build's customers scored in SQL with a stored model version (var score_with_model_version;
    null = the latest, the model customer_segments uses), by the rule every scoring shares (macro
    nearest_centroid_ctes). Segment ids are stable across versions, so beside customer_segments it
    shows who an older model puts elsewhere: analyses/compare_model_versions.sql. Every version has
    the features of the first (segmentation.model_versions refuses to match other features).
-#}
{%- set version = score_with_model_version() -%}
{%- set features = trained_features(ref('segment_model_versions')) -%}

with

model_versions as (

    select * from {{ ref('segment_model_versions') }}

),

customer_features as (

    select * from {{ ref('int_customer_features') }}

),

-- A version that is not stored fails the build here, rather than scoring nobody.
chosen_version as (

    {%- if version is none %}

    select max(model_version) as model_version
    from model_versions
    {%- else %}

    select
        case
            when count(*) > 0 then {{ version }}
            else {{ raise_error(
                "'var score_with_model_version=" ~ version ~ " is not a model_version of segment_model_versions'",
                'bigint'
            ) }}
        end as model_version
    from model_versions
    where model_version = {{ version }}
    {%- endif %}

),

centroids as (

    select model_versions.*
    from model_versions
    inner join chosen_version
        on model_versions.model_version = chosen_version.model_version

),

{{ nearest_centroid_ctes(features, ['customer_id']) }},

final as (

    select
        chosen_version.model_version,
        scored.customer_id,
        scored.segment_id,
        scored.segment_name,
        scored.distance_to_centroid
    from scored
    cross join chosen_version

)

select * from final
