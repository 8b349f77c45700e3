{#- Copies of one line: every field has the same value. The parsed number and date fields are compared as
    values (so a CSV's '6' and '6.0' are the same quantity, as a parquet file stores it) and, where
    a value does not parse, as the raw text. -#}
{%- set duplicate_key_columns = [
    'invoice_no',
    'stock_code',
    'description',
    'quantity',
    'invoiced_at',
    'unit_price',
    'line_total',
    'customer_id',
    'country',
    'case when quantity is null then raw_quantity end',
    'case when invoiced_at is null then raw_invoiced_at end',
    'case when unit_price is null then raw_unit_price end',
    'case when line_total is null then raw_line_total end',
] -%}
{%- set line_content_hash = 'hash(' ~ duplicate_key_columns | join(', ') ~ ')' -%}
{#- Without an invoice or order id a log cannot tell a copy of a line from a second purchase of
    the same amount by the same customer at the same time: there, no line is a duplicate. -#}
{%- set lines_have_ids = 'invoice_no' in retail_layout_columns() -%}
{#- On an appended build only the new lines are checked (macro this_build_watermark), against
    each other and against the earlier lines of their invoices: every copy of a line shares its
    invoice number, so a copy of a line loaded last week is still found, and the first copy in
    file order, the kept one, is never a new line. delete+insert on the row number: a build that
    failed after this model re-checks the same new lines without listing them twice. -#}
{{ config(**line_model_config('delete+insert', 'source_row_number')) }}
{%- set watermark = this_build_watermark() -%}
-- depends_on: {{ ref('int_snapshot_date') }}

with

{% if watermark is none -%}
-- Two imports of the same view, so that each step streams the raw file instead of the warehouse
-- holding every parsed line between them (at 200M lines that copy spilled 34 GB to disk).
lines_to_hash as (

    select * from {{ ref('stg_retail__transactions') }}

),

lines_to_compare as (

    select * from {{ ref('stg_retail__transactions') }}

),
{%- else -%}
new_lines as (

    select * from {{ ref('stg_retail__transactions') }}
    where {{ lines_after(watermark) }}

),

new_invoices as (

    select distinct invoice_no from new_lines

),

-- The earlier lines that can be copies of a new one: those of the new lines' invoices.
earlier_lines_of_new_invoices as (

    select earlier_lines.*
    from {{ ref('stg_retail__transactions') }} as earlier_lines
    inner join new_invoices
        on earlier_lines.invoice_no is not distinct from new_invoices.invoice_no
    where
        not {{ lines_after(watermark, 'earlier_lines.source_row_number') }}
        and {{ 'true' if lines_have_ids else 'false' }}

),

lines_to_hash as (

    select * from new_lines
    union all
    select * from earlier_lines_of_new_invoices

),

lines_to_compare as (

    select * from lines_to_hash

),
{%- endif %}

-- Sorting or grouping every line on its eleven fields was the slowest step of the build (20M
-- lines: most of a minute); one hash per line finds the few repeated contents, and only those
-- lines are then compared field by field, so a hash collision cannot make a line a duplicate.
repeated_line_hashes as (

    select {{ line_content_hash }} as line_hash
    from lines_to_hash
    group by {{ line_content_hash }}
    having count(*) > 1

),

candidate_lines as (

    select *
    from lines_to_compare
    where {{ line_content_hash }} in (
        select repeated_line_hashes.line_hash from repeated_line_hashes
    )

),

numbered_copies as (

    select
        source_row_number,
        row_number() over copies as copy_number,
        first_value(source_row_number) over copies as first_copy_source_row_number
    from candidate_lines
    window copies as (
        partition by {{ duplicate_key_columns | join(', ') }}
        order by source_row_number
        rows between unbounded preceding and current row
    )

),

-- Of the copies of a line, the first in file order is kept; the others are listed here.
final as (

    select
        source_row_number,
        first_copy_source_row_number,
        copy_number

    from numbered_copies
    where
        copy_number > 1
        and {{ 'true' if lines_have_ids else 'false' }}
        and {{ lines_after(watermark) }}

)

select * from final
