-- Nothing is lost: every raw line of the source is in exactly one of purchase lines, cancellation
-- lines or the quarantine, and line counts and value (the line total, or quantity × price, where parseable) add up
-- exactly. Value is recomputed from staging, independently of the classification model.
-- "Exactly one" needs no distinct count of 20M row numbers: the three splits are filters of
-- int_transaction_lines_classified on different line_status values, and that table's
-- source_row_number is tested unique; so equal counts mean each line is in one split.
-- On an appended build the lines it added are reconciled (macro tested_lines_after: the earlier
-- ones are unchanged since their build reconciled them), and the whole source's count with the
-- whole table's.
with

raw_lines as (

    select
        count(*) as line_count,
        -- a line total where the log gives one, written out (not through macro line_amount, which this checks)
        coalesce(sum(coalesce(line_total, quantity * unit_price)), 0) as line_value
    from {{ ref('stg_retail__transactions') }}
    where {{ tested_lines_after() }}

),

source_lines as (

    select count(*) as line_count from {{ source('retail', 'transactions') }}

),

classified_lines as (

    select count(*) as line_count from {{ ref('int_transaction_lines_classified') }}

),

split_lines as (

    select line_value
    from {{ ref('int_purchase_lines') }}
    where {{ tested_lines_after() }}
    union all
    select -cancelled_value as line_value
    from {{ ref('int_cancellation_lines') }}
    where {{ tested_lines_after() }}
    union all
    select line_value
    from {{ ref('int_excluded_lines') }}
    where {{ tested_lines_after() }}

),

split_totals as (

    select
        count(*) as line_count,
        coalesce(sum(line_value), 0) as line_value
    from split_lines

)

select
    source_lines.line_count as source_line_count,
    classified_lines.line_count as classified_line_count,
    raw_lines.line_count as staged_line_count,
    split_totals.line_count as split_line_count,
    raw_lines.line_value as staged_value,
    split_totals.line_value as split_value
from raw_lines
cross join source_lines
cross join classified_lines
cross join split_totals
where
    source_lines.line_count <> classified_lines.line_count
    or raw_lines.line_count <> split_totals.line_count
    or raw_lines.line_value <> split_totals.line_value
