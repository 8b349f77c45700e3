{#- One row per identified customer: RFM and behavioural features as of the snapshot date.
    On an appended build only the customers with lines above the stored rows' highest
    last_source_row_number (a new purchase or cancellation line) are aggregated again from their
    invoices, products and cancellations; every other customer's aggregates are the stored ones,
    and what the later snapshot date changes (recency, the recent window) is computed for all.
    A table, rewritten whole each build (every recency moves), reading its earlier self (macro
    stored_table_when_appending). -#}
{#- What an appended build takes from the stored rows of the customers it does not aggregate again. -#}
{%- set aggregate_columns = [
    'customer_id', 'main_country', 'first_purchase_date', 'last_purchase_date', 'frequency', 'monetary',
    'total_units', 'distinct_products', 'seasonal_peak_spend_share', 'mean_invoice_gap_days',
    'invoice_gap_variation', 'cancellation_count', 'cancellation_value', 'last_source_row_number',
] -%}
{%- set stored = stored_table_when_appending(aggregate_columns) -%}
{%- set watermark = none if stored is none
    else run_query('select max(last_source_row_number) from ' ~ stored).columns[0].values()[0] -%}

with

all_purchase_invoices as (

    select * from {{ ref('int_purchase_invoices') }}
    where not is_guest

),

all_customer_products as (

    select * from {{ ref('int_customer_products') }}

),

all_cancellation_lines as (

    select * from {{ ref('int_cancellation_lines') }}
    where not is_guest

),

snapshot as (

    select snapshot_date from {{ ref('int_snapshot_date') }}

),

{% if watermark is not none -%}
-- Read apart from the all_ imports, so that DuckDB skips the earlier rows by their statistics:
-- through a CTE of every cancellation line, used twice, it scanned all 200M classified lines.
new_purchase_invoices as (

    select customer_id from {{ ref('int_purchase_invoices') }}
    where not is_guest and {{ lines_after(watermark, 'last_source_row_number') }}

),

new_cancellation_lines as (

    select customer_id from {{ ref('int_cancellation_lines') }}
    where not is_guest and {{ lines_after(watermark) }}

),

touched_customers as (

    select customer_id from new_purchase_invoices
    union
    select customer_id from new_cancellation_lines

),

purchase_invoices as (

    select * from all_purchase_invoices
    where customer_id in (select touched_customers.customer_id from touched_customers)

),

customer_products as (

    select * from all_customer_products
    where customer_id in (select touched_customers.customer_id from touched_customers)

),

cancellation_lines as (

    select * from all_cancellation_lines
    where customer_id in (select touched_customers.customer_id from touched_customers)

),
{%- else -%}
purchase_invoices as (

    select * from all_purchase_invoices

),

customer_products as (

    select * from all_customer_products

),

cancellation_lines as (

    select * from all_cancellation_lines

),
{%- endif %}

invoice_totals as (

    select
        customer_id,
        count(*) as frequency,
        sum(invoice_value) as monetary,
        cast(sum(total_units) as bigint) as total_units,
        min(invoice_date) as first_purchase_date,
        max(invoice_date) as last_purchase_date,
        max(last_source_row_number) as last_source_row_number

    from purchase_invoices
    group by customer_id

),

-- One row per product bought, so a count of rows is the count of distinct products.
product_totals as (

    select
        customer_id,
        {{ value_if_in_layout('stock_code', 'count(*)') }} as distinct_products

    from customer_products
    group by customer_id

),

-- Seasonal peak: the share of the customer's purchase value in the months of var
-- seasonal_peak_months (default October-December, the gift season of both UCI files).
peak_totals as (

    select
        customer_id,
        sum(
            case
                when extract(month from invoice_date) in ({{ var('seasonal_peak_months') | join(', ') }})
                    then invoice_value
                else 0
            end
        ) as peak_value

    from purchase_invoices
    group by customer_id

),

-- Days between consecutive purchase invoices (0 for two on the same day), for regularity.
invoice_gaps as (

    select
        customer_id,
        {{ dbt.datediff(
            'lag(invoice_date) over (partition by customer_id order by invoice_date, invoice_no)',
            'invoice_date',
            'day'
        ) }} as gap_days

    from purchase_invoices

),

gap_totals as (

    select
        customer_id,
        count(gap_days) as gap_count,
        avg(cast(gap_days as double)) as mean_gap_days,
        stddev_pop(cast(gap_days as double)) as gap_stddev_days

    from invoice_gaps
    group by customer_id

),

cancellation_totals as (

    select
        customer_id,
        count(distinct invoice_no) as cancellation_count,
        sum(cancelled_value) as cancellation_value,
        max(source_row_number) as last_source_row_number

    from cancellation_lines
    group by customer_id

),

-- The main country is where most of the customer's invoices went; value, then name, break ties.
country_ranks as (

    select
        customer_id,
        country,
        row_number() over (
            partition by customer_id
            order by count(*) desc, sum(invoice_value) desc, country asc
        ) as country_rank

    from purchase_invoices
    group by customer_id, country

),

-- What does not depend on the snapshot date, for the customers aggregated in this build.
aggregated as (

    select
        invoice_totals.customer_id,
        country_ranks.country as main_country,
        invoice_totals.first_purchase_date,
        invoice_totals.last_purchase_date,
        invoice_totals.frequency,
        invoice_totals.monetary,
        invoice_totals.total_units,
        product_totals.distinct_products,
        -- value can be 0 only for a customer whose invoices all sum to 0; their share is 0
        case
            when invoice_totals.monetary > 0
                then cast(peak_totals.peak_value as double) / cast(invoice_totals.monetary as double)
            else 0
        end as seasonal_peak_spend_share,
        -- one invoice has no gap: 0 days and 0 spread, so every customer has a value
        coalesce(gap_totals.mean_gap_days, 0) as mean_invoice_gap_days,
        -- coefficient of variation of the gaps: 0 = like clockwork; needs two gaps and a mean > 0
        case
            when gap_totals.gap_count >= 2 and gap_totals.mean_gap_days > 0
                then gap_totals.gap_stddev_days / gap_totals.mean_gap_days
            else 0
        end as invoice_gap_variation,
        coalesce(cancellation_totals.cancellation_count, 0) as cancellation_count,
        coalesce(cancellation_totals.cancellation_value, 0) as cancellation_value,
        greatest(
            invoice_totals.last_source_row_number,
            coalesce(cancellation_totals.last_source_row_number, invoice_totals.last_source_row_number)
        ) as last_source_row_number

    from invoice_totals
    left join product_totals
        on invoice_totals.customer_id = product_totals.customer_id
    inner join country_ranks
        on
            invoice_totals.customer_id = country_ranks.customer_id
            and country_ranks.country_rank = 1
    inner join peak_totals
        on invoice_totals.customer_id = peak_totals.customer_id
    left join gap_totals
        on invoice_totals.customer_id = gap_totals.customer_id
    left join cancellation_totals
        on invoice_totals.customer_id = cancellation_totals.customer_id

),

{% if watermark is not none -%}
-- The stored rows of the customers without new lines: nothing they are made of has changed.
untouched_aggregates as (

    select {{ aggregate_columns | join(', ') }} from {{ stored }}
    where customer_id not in (select touched_customers.customer_id from touched_customers)

),

customer_aggregates as (

    select {{ aggregate_columns | join(', ') }} from aggregated
    union all
    select {{ aggregate_columns | join(', ') }} from untouched_aggregates

),
{%- else -%}
customer_aggregates as (

    select * from aggregated

),
{%- endif %}

-- Every customer's, as the snapshot date moves with each build.
recent_invoice_totals as (

    select
        all_purchase_invoices.customer_id,
        count(*) as recent_window_frequency

    from all_purchase_invoices
    cross join snapshot
    where
        cast(
            {{ dbt.dateadd(
                'day', integer_var('recent_purchase_window_days', 1), 'all_purchase_invoices.invoice_date'
            ) }} as date
        ) >= snapshot.snapshot_date
    group by all_purchase_invoices.customer_id

),

final as (

    select
        customer_aggregates.customer_id,
        customer_aggregates.main_country,
        customer_aggregates.first_purchase_date,
        customer_aggregates.last_purchase_date,
        snapshot.snapshot_date,
        cast(
            {{ dbt.datediff('customer_aggregates.last_purchase_date', 'snapshot.snapshot_date', 'day') }} as bigint
        ) as recency_days,
        customer_aggregates.frequency,
        customer_aggregates.monetary,
        cast(
            {{ dbt.datediff(
                'customer_aggregates.first_purchase_date', 'customer_aggregates.last_purchase_date', 'day'
            ) }} as bigint
        ) as tenure_days,
        {{ divide_money('customer_aggregates.monetary', 'customer_aggregates.frequency') }} as average_order_value,
        customer_aggregates.distinct_products,
        customer_aggregates.total_units,
        coalesce(recent_invoice_totals.recent_window_frequency, 0) as recent_window_frequency,
        customer_aggregates.seasonal_peak_spend_share,
        customer_aggregates.mean_invoice_gap_days,
        customer_aggregates.invoice_gap_variation,
        customer_aggregates.cancellation_count,
        customer_aggregates.cancellation_value,
        customer_aggregates.monetary - customer_aggregates.cancellation_value as net_value,
        customer_aggregates.last_source_row_number

    from customer_aggregates
    cross join snapshot
    left join recent_invoice_totals
        on customer_aggregates.customer_id = recent_invoice_totals.customer_id

)

select * from final
