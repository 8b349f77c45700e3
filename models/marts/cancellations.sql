-- One row per cancellation line, guests included: the fact the semantic layer's cancellation
-- metrics (count and value) read, by segment, country and month.
with

cancellation_lines as (

    select * from {{ ref('int_cancellation_lines') }}

),

final as (

    select
        source_row_number,
        invoice_no,
        customer_id,
        is_guest,
        invoice_date,
        country,
        cancelled_quantity,
        cast(cancelled_value as decimal(38, 4)) as cancelled_value

    from cancellation_lines

)

select * from final
