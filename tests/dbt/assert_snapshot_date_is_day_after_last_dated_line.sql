-- Customer features are measured the day after the file's last dated line (unless var
-- snapshot_date sets the day), and nothing kept as a purchase or a cancellation is dated on or
-- after that day: the last day's lines count, and nothing later than the snapshot does.
with

classified_lines as (

    select
        line_status,
        invoice_date
    from {{ ref('int_transaction_lines_classified') }}

),

snapshot as (

    select
        snapshot_date,
        is_snapshot_date_from_var
    from {{ ref('int_snapshot_date') }}

),

last_dates as (

    select
        max(invoice_date) as last_dated_line_date,
        max(case when line_status <> 'excluded' then invoice_date end) as last_kept_line_date
    from classified_lines

)

select
    snapshot.snapshot_date,
    snapshot.is_snapshot_date_from_var,
    last_dates.last_dated_line_date,
    last_dates.last_kept_line_date
from snapshot
cross join last_dates
where
    last_dates.last_kept_line_date >= snapshot.snapshot_date
    or (
        not snapshot.is_snapshot_date_from_var
        and cast({{ dbt.dateadd('day', 1, 'last_dates.last_dated_line_date') }} as date)
        <> snapshot.snapshot_date
    )
