with

purchase_lines as (

    select * from {{ ref('int_purchase_lines') }}

),

final as (

    -- A few real invoices carry two timestamps a minute apart; the invoice counts from the first.
    select
        invoice_no,
        max(customer_id) as customer_id,
        bool_and(is_guest) as is_guest,
        min(invoiced_at) as invoiced_at,
        cast(min(invoiced_at) as date) as invoice_date,
        max(country) as country,
        count(*) as line_count,
        cast(sum(quantity) as bigint) as total_units,
        sum(line_value) as invoice_value

    from purchase_lines
    group by invoice_no

)

select * from final
