-- Stands in for models/segmentation/python/prediction_metrics.py where Python models cannot run: the table a
-- DuckDB build trained, exported as seed trained_prediction_metrics (see customer_segments.sql here).
select * from {{ ref('trained_prediction_metrics') }}
