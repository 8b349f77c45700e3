-- The SQL scoring model, fed only the stored centroids and scaler parameters, must put every
-- customer in the same segment as the Python model, at the same distance.
select
    python_segments.customer_id,
    python_segments.segment_id as python_segment_id,
    sql_segments.segment_id as sql_segment_id,
    python_segments.distance_to_centroid as python_distance,
    sql_segments.distance_to_centroid as sql_distance
from {{ ref('customer_segments') }} as python_segments
full outer join {{ ref('int_customers_scored_by_centroids') }} as sql_segments
    on python_segments.customer_id = sql_segments.customer_id
where
    sql_segments.customer_id is null
    or python_segments.customer_id is null
    or python_segments.segment_id <> sql_segments.segment_id
    or abs(python_segments.distance_to_centroid - sql_segments.distance_to_centroid) > 1e-9
