{%- set raw = resolve_retail_layout(source('retail', 'transactions')) -%}

with

source as (

    select * from {{ source('retail', 'transactions') }}

),

renamed as (

    select
        source_row_number,
        {{ clean_text(raw.invoice_no) }} as invoice_no,
        {{ clean_text(raw.stock_code) }} as stock_code,
        {{ clean_text(raw.description) }} as description,
        {{ parse_quantity(raw.quantity) }} as quantity,
        {{ parse_invoice_timestamp(raw.invoiced_at) }} as invoiced_at,
        {{ parse_money(raw.unit_price) }} as unit_price,
        {{ normalize_customer_id(raw.customer_id) }} as customer_id,
        {{ clean_text(raw.country) }} as country,
        {{ clean_text(raw.quantity) }} as raw_quantity,
        {{ clean_text(raw.invoiced_at) }} as raw_invoiced_at,
        {{ clean_text(raw.unit_price) }} as raw_unit_price

    from source

)

select * from renamed
