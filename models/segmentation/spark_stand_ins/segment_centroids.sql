-- Stands in for models/segmentation/python/segment_centroids.py where Python models cannot run: the table a
-- DuckDB build trained, exported as seed trained_segment_centroids (see customer_segments.sql here).
select * from {{ ref('trained_segment_centroids') }}
