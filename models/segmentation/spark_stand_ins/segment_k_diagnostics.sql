-- Stands in for models/segmentation/python/segment_k_diagnostics.py where Python models cannot run: the table a
-- DuckDB build trained, exported as seed trained_segment_k_diagnostics (see customer_segments.sql here).
select * from {{ ref('trained_segment_k_diagnostics') }}
