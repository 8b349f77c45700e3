-- A view: a filter of the classified table, so the lines are stored once, not twice.
{{ config(materialized='view') }}

with

classified_lines as (

    select * from {{ ref('int_transaction_lines_classified') }}

),

final as (

    select
        source_row_number,
        invoice_no,
        stock_code,
        description,
        quantity,
        unit_price,
        line_value,
        invoiced_at,
        invoice_date,
        customer_id,
        is_guest,
        country

    from classified_lines
    where line_status = 'purchase'

)

select * from final
