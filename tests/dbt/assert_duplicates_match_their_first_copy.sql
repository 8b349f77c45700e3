-- Every line quarantined as a duplicate repeats its first copy in every field: invoice, stock
-- code, description, quantity, time, price or line total, customer and country; the parsed fields as
-- values and, where a value does not parse, as the text of the file (kept on both lines then, as
-- both are quarantined). A field left out of the duplicate key in int_duplicate_lines shows here
-- on real data. Read from the classified table, not staging: its columns are parsed and stored.
{% set compared = [
    'source_row_number', 'invoice_no', 'stock_code', 'description', 'quantity', 'invoiced_at', 'unit_price',
    'line_value', 'customer_id', 'country', 'raw_quantity', 'raw_invoiced_at', 'raw_unit_price', 'raw_line_total',
] -%}

with

duplicates as (

    select
        source_row_number,
        first_copy_source_row_number
    from {{ ref('int_duplicate_lines') }}
    -- On an appended build the duplicates it found (earlier ones were checked when found).
    where {{ tested_lines_after() }}

),

-- Only the lines of those duplicates, each read on its own: one CTE of every classified line used
-- on both sides would be materialised whole (tens of seconds at 20M lines on every appended build).
repeated_line as (

    select {{ compared | join(', ') }}
    from {{ ref('int_transaction_lines_classified') }}
    where source_row_number in (select duplicates.source_row_number from duplicates)

),

first_line as (

    select {{ compared | join(', ') }}
    from {{ ref('int_transaction_lines_classified') }}
    where source_row_number in (select duplicates.first_copy_source_row_number from duplicates)

)

select
    duplicates.source_row_number,
    duplicates.first_copy_source_row_number
from duplicates
inner join repeated_line
    on duplicates.source_row_number = repeated_line.source_row_number
inner join first_line
    on duplicates.first_copy_source_row_number = first_line.source_row_number
where
    duplicates.first_copy_source_row_number >= duplicates.source_row_number
    or repeated_line.invoice_no is distinct from first_line.invoice_no
    or repeated_line.stock_code is distinct from first_line.stock_code
    or repeated_line.description is distinct from first_line.description
    or repeated_line.customer_id is distinct from first_line.customer_id
    or repeated_line.country is distinct from first_line.country
    or repeated_line.quantity is distinct from first_line.quantity
    or repeated_line.invoiced_at is distinct from first_line.invoiced_at
    or repeated_line.unit_price is distinct from first_line.unit_price
    or repeated_line.line_value is distinct from first_line.line_value
    or (repeated_line.quantity is null and repeated_line.raw_quantity is distinct from first_line.raw_quantity)
    or (
        repeated_line.invoiced_at is null
        and repeated_line.raw_invoiced_at is distinct from first_line.raw_invoiced_at
    )
    or (
        repeated_line.unit_price is null
        and repeated_line.raw_unit_price is distinct from first_line.raw_unit_price
    )
    or (
        repeated_line.line_value is null
        and repeated_line.raw_line_total is distinct from first_line.raw_line_total
    )
