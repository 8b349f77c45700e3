-- A view: a filter of the classified table, so the lines are stored once, not twice.
{{ config(materialized='view') }}

with

classified_lines as (

    select * from {{ ref('int_transaction_lines_classified') }}

),

final as (

    select
        source_row_number,
        exclusion_reason,
        invoice_no,
        stock_code,
        description,
        quantity,
        unit_price,
        line_value,
        invoiced_at,
        customer_id,
        is_guest,
        country,
        raw_quantity,
        raw_invoiced_at,
        raw_unit_price,
        raw_line_total

    from classified_lines
    where line_status = 'excluded'

)

select * from final
