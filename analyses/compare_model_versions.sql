-- Current model against a stored older one: how many customers each puts in which segment. Ids are
-- stable across versions, so the diagonal (same segment_id) is the customers the retraining left
-- where they were and every other cell moved for real. Build the older scoring, then render this:
--   dbt build -s int_customers_scored_by_model_version --vars '{score_with_model_version: 1}'
--   dbt show -s compare_model_versions
with

current_segments as (

    select * from {{ ref('customer_segments') }}

),

compared_segments as (

    select * from {{ ref('int_customers_scored_by_model_version') }}

),

current_model as (

    select distinct model_version from {{ ref('int_current_segment_centroids') }}

),

final as (

    select
        current_model.model_version as current_model_version,
        compared_segments.model_version as compared_model_version,
        current_segments.segment_id as current_segment_id,
        current_segments.segment_name as current_segment_name,
        compared_segments.segment_id as compared_segment_id,
        compared_segments.segment_name as compared_segment_name,
        current_segments.segment_id = compared_segments.segment_id as is_same_segment,
        count(*) as customers,
        cast(count(*) as double) / sum(count(*)) over () as customer_share
    from current_segments
    inner join compared_segments
        on current_segments.customer_id = compared_segments.customer_id
    cross join current_model
    group by
        current_model.model_version,
        compared_segments.model_version,
        current_segments.segment_id,
        current_segments.segment_name,
        compared_segments.segment_id,
        compared_segments.segment_name

)

select * from final
order by current_segment_id, compared_segment_id
