-- Every customer of the customer mart is in exactly one segment profile: the segment sizes add up
-- to the mart (a customer lost or counted twice between segmentation and profiles shows here).
with

profile_totals as (

    select sum(customer_count) as customer_count
    from {{ ref('segment_profiles') }}

),

customer_totals as (

    select count(*) as customer_count from {{ ref('customers') }}

)

select
    profile_totals.customer_count,
    customer_totals.customer_count as customers_in_mart
from profile_totals
cross join customer_totals
where profile_totals.customer_count <> customer_totals.customer_count
