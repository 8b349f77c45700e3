{#-
    Every customer's features as of every snapshot date (int_segment_snapshot_dates), computed as
    int_customer_features computes them at the build's snapshot date: only lines dated before the
    snapshot count, so at the build's date the two agree exactly.

    Cost plan: no line is joined to a snapshot date. Invoices, first purchases of each product and
    cancellation invoices are each read once and put in the period that first sees them (the first
    snapshot after their date, looked up on the few distinct dates); per customer x period sums are
    then accumulated with window functions over the periods in which the customer has events, and
    each running total is copied to the snapshots up to the customer's next such period. The
    recent-purchase window is a difference array: +1 in the period where an invoice enters it, -1
    where it leaves. Only the output is as large as customers x snapshots. On an incremental run
    only the new snapshot dates are computed; the plan holds for any subset of dates.

    An incremental run takes the build's date from int_customer_features, which an appended build
    has already brought up to date for the customers with new lines: the plan above would read every
    invoice and product again for it (at 200M lines that, beside customer_category_shares, ran DuckDB
    out of its 2 GB). A full build computes that date with the plan too, so the pytest comparing an
    incremental history with a full refresh checks the two computations against each other.
-#}
-- depends_on: {{ ref('int_customer_features') }}
{{ config(**segment_history_incremental_config()) }}
{%- set window_days = integer_var('recent_purchase_window_days', 1) -%}
{%- set output_columns = [
    'snapshot_date', 'customer_id', 'first_purchase_date', 'last_purchase_date', 'recency_days', 'frequency',
    'monetary', 'tenure_days', 'average_order_value', 'distinct_products', 'total_units',
    'recent_window_frequency', 'cancellation_count', 'cancellation_value', 'net_value',
] -%}

with

snapshots as (

    select
        snapshot_date,
        row_number() over (order by snapshot_date) as snapshot_index
    from (
        {{ segment_history_dates_to_compute(ref('int_segment_snapshot_dates'), ref('int_snapshot_date')) }}
    ) as dates_to_compute
    {%- if is_incremental() %}
    where not is_build_snapshot
    {%- endif %}

),

snapshot_range as (

    select max(snapshot_index) + 1 as after_last_index
    from snapshots

),

{% if is_incremental() -%}
-- See the header: on an incremental run the build's date is int_customer_features'.
build_date_features as (

    select
        {{ output_columns | join(',\n        ') }}
    from {{ ref('int_customer_features') }}

),

{% endif -%}
purchase_invoices as (

    select
        customer_id,
        invoice_date,
        invoice_value,
        total_units
    from {{ ref('int_purchase_invoices') }}
    where not is_guest

),

-- A product counts from the first day the customer bought it.
customer_products as (

    select
        customer_id,
        stock_code,
        first_bought_date
    from {{ ref('int_customer_products') }}

),

cancellation_invoices as (

    select
        customer_id,
        invoice_no,
        min(invoice_date) as cancelled_date,
        sum(cancelled_value) as cancelled_value
    from {{ ref('int_cancellation_lines') }}
    where not is_guest
    group by customer_id, invoice_no

),

event_dates as (

    select invoice_date as event_date from purchase_invoices
    union
    select first_bought_date as event_date from customer_products
    union
    select cancelled_date as event_date from cancellation_invoices

),

-- Period n holds what snapshot n is the first to see (dated before it, on or after snapshot n-1);
-- an invoice leaves the recent window at the first snapshot more than window_days after it.
event_periods as (

    select
        event_dates.event_date,
        1 + count(case when snapshots.snapshot_date <= event_dates.event_date then 1 end) as period_index,
        1 + count(
            case
                when
                    snapshots.snapshot_date
                    <= cast({{ dbt.dateadd('day', window_days, 'event_dates.event_date') }} as date)
                    then 1
            end
        ) as window_exit_period_index
    from event_dates
    cross join snapshots
    group by event_dates.event_date

),

invoice_periods as (

    select
        purchase_invoices.customer_id,
        event_periods.period_index,
        count(*) as period_frequency,
        sum(purchase_invoices.invoice_value) as period_monetary,
        sum(purchase_invoices.total_units) as period_units,
        min(purchase_invoices.invoice_date) as period_first_purchase_date,
        max(purchase_invoices.invoice_date) as period_last_purchase_date
    from purchase_invoices
    inner join event_periods
        on purchase_invoices.invoice_date = event_periods.event_date
    group by purchase_invoices.customer_id, event_periods.period_index

),

window_changes as (

    select
        purchase_invoices.customer_id,
        event_periods.period_index,
        1 as window_change
    from purchase_invoices
    inner join event_periods
        on purchase_invoices.invoice_date = event_periods.event_date
    union all
    select
        purchase_invoices.customer_id,
        event_periods.window_exit_period_index as period_index,
        -1 as window_change
    from purchase_invoices
    inner join event_periods
        on purchase_invoices.invoice_date = event_periods.event_date
    cross join snapshot_range
    -- Leaving the window after the last snapshot changes none: on an appended build (one snapshot)
    -- that would be a second period for every recent customer.
    where event_periods.window_exit_period_index < snapshot_range.after_last_index

),

window_periods as (

    select
        customer_id,
        period_index,
        sum(window_change) as period_window_change
    from window_changes
    group by customer_id, period_index

),

product_periods as (

    select
        customer_products.customer_id,
        event_periods.period_index,
        count(customer_products.stock_code) as period_new_products
    from customer_products
    inner join event_periods
        on customer_products.first_bought_date = event_periods.event_date
    group by customer_products.customer_id, event_periods.period_index

),

cancellation_periods as (

    select
        cancellation_invoices.customer_id,
        event_periods.period_index,
        count(*) as period_cancellations,
        sum(cancellation_invoices.cancelled_value) as period_cancelled_value
    from cancellation_invoices
    inner join event_periods
        on cancellation_invoices.cancelled_date = event_periods.event_date
    group by cancellation_invoices.customer_id, event_periods.period_index

),

-- The customer x period pairs with any event: a running total changes only there, so the window
-- runs over these rows, not over every customer x snapshot (at 200M lines 44M rows, which ran
-- DuckDB out of its 2 GB). A cancellation may predate the customer's first purchase in the file
-- (the purchase was before it began): such a period starts the customer's rows too.
customer_periods as (

    select
        customer_id,
        period_index
    from invoice_periods
    union
    select
        customer_id,
        period_index
    from window_periods
    union
    select
        customer_id,
        period_index
    from product_periods
    union
    select
        customer_id,
        period_index
    from cancellation_periods

),

period_values as (

    select
        customer_periods.customer_id,
        customer_periods.period_index,
        coalesce(invoice_periods.period_frequency, 0) as period_frequency,
        coalesce(invoice_periods.period_monetary, 0) as period_monetary,
        coalesce(invoice_periods.period_units, 0) as period_units,
        invoice_periods.period_first_purchase_date,
        invoice_periods.period_last_purchase_date,
        coalesce(window_periods.period_window_change, 0) as period_window_change,
        coalesce(product_periods.period_new_products, 0) as period_new_products,
        coalesce(cancellation_periods.period_cancellations, 0) as period_cancellations,
        coalesce(cancellation_periods.period_cancelled_value, 0) as period_cancelled_value
    from customer_periods
    left join invoice_periods
        on
            customer_periods.customer_id = invoice_periods.customer_id
            and customer_periods.period_index = invoice_periods.period_index
    left join window_periods
        on
            customer_periods.customer_id = window_periods.customer_id
            and customer_periods.period_index = window_periods.period_index
    left join product_periods
        on
            customer_periods.customer_id = product_periods.customer_id
            and customer_periods.period_index = product_periods.period_index
    left join cancellation_periods
        on
            customer_periods.customer_id = cancellation_periods.customer_id
            and customer_periods.period_index = cancellation_periods.period_index

),

-- The totals at the end of each period with events, and the customer's next such period: they
-- hold for every snapshot from this period up to that one.
cumulative as (

    select
        customer_id,
        period_index,
        lead(period_index) over customer_order as next_period_index,
        sum(period_frequency) over running_total as frequency,
        sum(period_monetary) over running_total as monetary,
        sum(period_units) over running_total as total_units,
        min(period_first_purchase_date) over running_total as first_purchase_date,
        max(period_last_purchase_date) over running_total as last_purchase_date,
        sum(period_window_change) over running_total as recent_window_frequency,
        sum(period_new_products) over running_total as distinct_products,
        sum(period_cancellations) over running_total as cancellation_count,
        sum(period_cancelled_value) over running_total as cancellation_value
    from period_values
    window
        customer_order as (partition by customer_id order by period_index),
        running_total as (
            partition by customer_id
            order by period_index
            rows between unbounded preceding and current row
        )

),

-- One row per snapshot x customer with any activity by then; the few snapshots are the join's
-- small side.
customer_snapshots as (

    select
        cumulative.customer_id,
        snapshots.snapshot_date,
        cumulative.frequency,
        cumulative.monetary,
        cumulative.total_units,
        cumulative.first_purchase_date,
        cumulative.last_purchase_date,
        cumulative.recent_window_frequency,
        cumulative.distinct_products,
        cumulative.cancellation_count,
        cumulative.cancellation_value
    from cumulative
    cross join snapshot_range
    inner join snapshots
        on
            cumulative.period_index <= snapshots.snapshot_index
            and snapshots.snapshot_index < coalesce(cumulative.next_period_index, snapshot_range.after_last_index)

),

snapshot_features as (

    select
        snapshot_date,
        customer_id,
        first_purchase_date,
        last_purchase_date,
        cast({{ dbt.datediff('last_purchase_date', 'snapshot_date', 'day') }} as bigint) as recency_days,
        cast(frequency as bigint) as frequency,
        monetary,
        cast({{ dbt.datediff('first_purchase_date', 'last_purchase_date', 'day') }} as bigint) as tenure_days,
        {{ divide_money('monetary', 'frequency') }} as average_order_value,
        -- as in int_customer_features: without product codes or quantities they are unknown, not 0
        {{ value_if_in_layout('stock_code', 'cast(distinct_products as bigint)') }} as distinct_products,
        {{ value_if_in_layout('quantity', 'cast(total_units as bigint)') }} as total_units,
        cast(recent_window_frequency as bigint) as recent_window_frequency,
        cast(cancellation_count as bigint) as cancellation_count,
        cancellation_value,
        monetary - cancellation_value as net_value
    from customer_snapshots
    -- A customer is one from the first purchase on, as in int_customer_features.
    where frequency > 0

),

final as (

    select
        {{ output_columns | join(',\n        ') }}
    from snapshot_features
    {%- if is_incremental() %}
    union all
    select
        {{ output_columns | join(',\n        ') }}
    from build_date_features
    {%- endif %}

)

select * from final
