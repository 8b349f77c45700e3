{#-
    Where the Python models cannot run (dbt-spark outside Databricks), this model stands in for
    models/segmentation/python/customer_segments.py under the same name, so every model, test and unit test that
    reads ref('customer_segments') works unchanged: each customer scored in SQL against the KMeans
    model trained elsewhere (seed segment_centroids, exported by a DuckDB run). The columns and their
    documentation are the Python model's (models/segmentation/_segmentation__models.yml).
-#}
with

customers as (

    select * from {{ ref('int_customer_features') }}

),

scored_customers as (

    select * from {{ ref('int_customers_scored_by_centroids') }}

),

final as (

    select
        customers.customer_id,
        cast(scored_customers.segment_id as bigint) as segment_id,
        scored_customers.segment_name,
        scored_customers.distance_to_centroid,
        customers.recency_days,
        customers.frequency,
        cast(customers.monetary as double) as monetary

    from customers
    inner join scored_customers
        on customers.customer_id = scored_customers.customer_id

)

select * from final
