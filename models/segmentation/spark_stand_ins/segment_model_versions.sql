-- Stands in for models/segmentation/python/segment_model_versions.py where Python models cannot run: the
-- versions a DuckDB build kept, exported as seed trained_segment_model_versions, so a Spark build
-- scores with the same stable segment ids (see customer_segments.sql here).
select * from {{ ref('trained_segment_model_versions') }}
