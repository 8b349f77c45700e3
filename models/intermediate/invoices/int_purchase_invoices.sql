{#- On an appended build only the invoices that gained purchase lines are recomputed, from all
    their lines (an invoice's lines may arrive in two loads); delete+insert replaces them. -#}
{{ config(**line_model_config('delete+insert', 'invoice_no')) }}
{%- set watermark = own_watermark('last_source_row_number') -%}

with

purchase_lines as (

    select * from {{ ref('int_purchase_lines') }}

),

{% if watermark is not none -%}
touched_invoices as (

    select distinct invoice_no
    from purchase_lines
    where {{ lines_after(watermark) }}

),

lines_of_touched_invoices as (

    select purchase_lines.*
    from purchase_lines
    inner join touched_invoices
        on purchase_lines.invoice_no = touched_invoices.invoice_no

),
{%- else -%}
lines_of_touched_invoices as (

    select * from purchase_lines

),
{%- endif %}

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
        sum(line_value) as invoice_value,
        max(source_row_number) as last_source_row_number

    from lines_of_touched_invoices
    group by invoice_no

)

select * from final
