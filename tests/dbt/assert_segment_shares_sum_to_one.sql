-- Segment shares of customers and of revenue each add up to 1, in the profile mart and in the
-- stored model; the segment sizes add up to the customer mart.
with

profile_totals as (

    select
        sum(customer_share) as customer_share,
        sum(revenue_share) as revenue_share,
        sum(customer_count) as customer_count
    from {{ ref('segment_profiles') }}

),

centroid_totals as (

    select sum(segment_share) as segment_share
    from (
        select distinct
            segment_id,
            segment_share
        from {{ ref('segment_centroids') }}
    ) as segments

),

customer_totals as (

    select count(*) as customer_count from {{ ref('customers') }}

)

select
    profile_totals.customer_share,
    profile_totals.revenue_share,
    centroid_totals.segment_share,
    profile_totals.customer_count,
    customer_totals.customer_count as customers_in_mart
from profile_totals
cross join centroid_totals
cross join customer_totals
where
    abs(profile_totals.customer_share - 1) > 1e-9
    or abs(profile_totals.revenue_share - 1) > 1e-9
    or abs(centroid_totals.segment_share - 1) > 1e-9
    or profile_totals.customer_count <> customer_totals.customer_count
