-- At the build's snapshot date the backfilled history is customer_segments: the same customers in
-- the same segments at the same distance (both score with the stored centroids, one rule).
with

latest_history as (

    select history.*
    from {{ ref('customer_segment_history') }} as history
    inner join {{ ref('int_snapshot_date') }} as build_snapshot
        on history.snapshot_date = build_snapshot.snapshot_date

)

select
    coalesce(segments.customer_id, latest_history.customer_id) as customer_id,
    segments.segment_id,
    latest_history.segment_id as history_segment_id
from {{ ref('customer_segments') }} as segments
full outer join latest_history
    on segments.customer_id = latest_history.customer_id
where
    segments.customer_id is null
    or latest_history.customer_id is null
    or segments.segment_id <> latest_history.segment_id
    or segments.segment_name <> latest_history.segment_name
    or abs(segments.distance_to_centroid - latest_history.distance_to_centroid) > 1e-9
