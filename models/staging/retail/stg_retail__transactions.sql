{%- set reading = retail_source_reading() -%}
{%- set relation = reading.relation -%}
{%- set present = reading.layout -%}
{%- set dates = reading.dates -%}
{%- set raw = retail_layout_with_absent_columns(present) -%}
{%- set kind = retail_layout_with_absent_columns(reading.kinds, 'text') -%}

with

source as (

    select * from {{ relation }}

),

renamed as (

    select
        {{ raw_source_row_number(relation, present) }} as source_row_number,
        {{ parse_text(raw.invoice_no, kind.invoice_no) }} as invoice_no,
        {{ parse_text(raw.stock_code, kind.stock_code) }} as stock_code,
        {{ parse_text(raw.description, kind.description) }} as description,
        {{ parse_quantity(raw.quantity, kind.quantity) }} as quantity,
        {{ parse_invoice_timestamp(raw.invoiced_at, kind.invoiced_at, dates.formats) }} as invoiced_at,
        {{ parse_money(raw.unit_price, kind.unit_price) }} as unit_price,
        {{ parse_money(raw.line_total, kind.line_total) }} as line_total,
        {{ normalize_customer_id(raw.customer_id, kind.customer_id) }} as customer_id,
        {{ parse_text(raw.country, kind.country) }} as country,
        {{ landed_text(raw.quantity, kind.quantity) }} as raw_quantity,
        {{ landed_text(raw.invoiced_at, kind.invoiced_at) }} as raw_invoiced_at,
        {{ landed_text(raw.unit_price, kind.unit_price) }} as raw_unit_price,
        {{ landed_text(raw.line_total, kind.line_total) }} as raw_line_total

    from source

)

select * from renamed
