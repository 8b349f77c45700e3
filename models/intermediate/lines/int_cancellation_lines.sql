{#- A table of its own, not a view of the classified lines: the customer-level models read the
    cancellations of a few customers on an appended build, and through a view that scanned all
    200M classified lines. Appended builds add the cancellation lines above the table's own last
    row number (macro own_watermark), so lines a stopped build classified but did not add here are
    added by the next; delete+insert on the row number adds none twice. -#}
{{ config(**line_model_config('delete+insert', 'source_row_number')) }}
{%- set watermark = own_watermark('source_row_number') -%}

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
        -quantity as cancelled_quantity,
        unit_price,
        -line_value as cancelled_value,
        invoiced_at,
        invoice_date,
        customer_id,
        is_guest,
        country

    from classified_lines
    where line_status = 'cancellation' and {{ lines_after(watermark) }}

)

select * from final
