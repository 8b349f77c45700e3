{%- set raw = resolve_retail_layout(source('retail', 'transactions')) -%}
{%- set kind = retail_layout_kinds(source('retail', 'transactions'), raw) -%}

with

source as (

    select * from {{ source('retail', 'transactions') }}

),

renamed as (

    select
        source_row_number,
        {{ parse_text(raw.invoice_no, kind.invoice_no) }} as invoice_no,
        {{ parse_text(raw.stock_code, kind.stock_code) }} as stock_code,
        {{ parse_text(raw.description, kind.description) }} as description,
        {{ parse_quantity(raw.quantity, kind.quantity) }} as quantity,
        {{ parse_invoice_timestamp(raw.invoiced_at, kind.invoiced_at) }} as invoiced_at,
        {{ parse_money(raw.unit_price, kind.unit_price) }} as unit_price,
        {{ normalize_customer_id(raw.customer_id, kind.customer_id) }} as customer_id,
        {{ parse_text(raw.country, kind.country) }} as country,
        {{ landed_text(raw.quantity, kind.quantity) }} as raw_quantity,
        {{ landed_text(raw.invoiced_at, kind.invoiced_at) }} as raw_invoiced_at,
        {{ landed_text(raw.unit_price, kind.unit_price) }} as raw_unit_price

    from source

)

select * from renamed
