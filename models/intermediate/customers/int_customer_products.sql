{#- One row per customer and product bought: what the customer-level models need of the lines
    (distinct products, spend per product category, the day a product was first bought), so that
    they read this table instead of every purchase line. On an appended build only the pairs with
    new purchase lines change: their earlier row (kept) is merged with the new lines' totals, and
    delete+insert replaces it. -#}
{{ config(**line_model_config('delete+insert', ['customer_id', 'stock_code'])) }}
{%- set watermark = own_watermark('last_source_row_number') -%}

with

purchase_lines as (

    select * from {{ ref('int_purchase_lines') }}

),

-- A log without product codes has no products: no rows (distinct_products is null there).
new_lines as (

    select
        customer_id,
        stock_code,
        invoice_date,
        line_value,
        source_row_number
    from purchase_lines
    where
        not is_guest
        and stock_code is not null
        and {{ lines_after(watermark) }}

),

new_totals as (

    select
        customer_id,
        stock_code,
        min(invoice_date) as first_bought_date,
        count(*) as line_count,
        sum(line_value) as purchase_value,
        max(source_row_number) as last_source_row_number
    from new_lines
    group by customer_id, stock_code

),

{% if watermark is not none -%}
earlier_totals as (

    select
        earlier.customer_id,
        earlier.stock_code,
        earlier.first_bought_date,
        earlier.line_count,
        earlier.purchase_value,
        earlier.last_source_row_number
    from {{ this }} as earlier
    inner join new_totals
        on
            earlier.customer_id = new_totals.customer_id
            and earlier.stock_code = new_totals.stock_code

),

combined as (

    select * from new_totals
    union all
    select * from earlier_totals

),
{%- else -%}
combined as (

    select * from new_totals

),
{%- endif %}

final as (

    select
        customer_id,
        stock_code,
        min(first_bought_date) as first_bought_date,
        cast(sum(line_count) as bigint) as line_count,
        sum(purchase_value) as purchase_value,
        max(last_source_row_number) as last_source_row_number
    from combined
    group by customer_id, stock_code

)

select * from final
