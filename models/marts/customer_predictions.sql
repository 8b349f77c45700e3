-- Public, contracted copy of customer_next_year_predictions for the dashboard's customer lookup.
-- Off on Spark, where the Python model that predicts does not run (enabled in _marts__models.yml).
with

predictions as (

    select * from {{ ref('customer_next_year_predictions') }}

),

final as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(first_invoice_date as date) as first_invoice_date,
        cast(predicted_purchase_count as double) as predicted_purchase_count,
        cast(predicted_purchase_value as double) as predicted_purchase_value,
        cast(predicted_segment_id as integer) as predicted_segment_id,
        cast(predicted_segment_name as {{ dbt.type_string() }}) as predicted_segment_name,
        cast(predicted_segment_probability as double) as predicted_segment_probability,
        cast(count_model as {{ dbt.type_string() }}) as count_model,
        cast(value_model as {{ dbt.type_string() }}) as value_model,
        cast(segment_model as {{ dbt.type_string() }}) as segment_model

    from predictions

)

select * from final
