with

purchase_invoices as (

    select * from {{ ref('int_purchase_invoices') }}
    where not is_guest

),

customer_products as (

    select * from {{ ref('int_customer_products') }}

),

cancellation_lines as (

    select * from {{ ref('int_cancellation_lines') }}
    where not is_guest

),

snapshot as (

    select snapshot_date from {{ ref('int_snapshot_date') }}

),

invoice_totals as (

    select
        customer_id,
        count(*) as frequency,
        sum(invoice_value) as monetary,
        cast(sum(total_units) as bigint) as total_units,
        min(invoice_date) as first_purchase_date,
        max(invoice_date) as last_purchase_date

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

recent_invoice_totals as (

    select
        purchase_invoices.customer_id,
        count(*) as recent_window_frequency

    from purchase_invoices
    cross join snapshot
    where
        cast(
            {{ dbt.dateadd('day', integer_var('recent_purchase_window_days', 1), 'purchase_invoices.invoice_date') }}
            as date
        ) >= snapshot.snapshot_date
    group by purchase_invoices.customer_id

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
        sum(cancelled_value) as cancellation_value

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

final as (

    select
        invoice_totals.customer_id,
        country_ranks.country as main_country,
        invoice_totals.first_purchase_date,
        invoice_totals.last_purchase_date,
        snapshot.snapshot_date,
        cast({{ dbt.datediff('invoice_totals.last_purchase_date', 'snapshot.snapshot_date', 'day') }} as bigint)
            as recency_days,
        invoice_totals.frequency,
        invoice_totals.monetary,
        cast(
            {{ dbt.datediff('invoice_totals.first_purchase_date', 'invoice_totals.last_purchase_date', 'day') }}
            as bigint
        ) as tenure_days,
        {{ divide_money('invoice_totals.monetary', 'invoice_totals.frequency') }} as average_order_value,
        product_totals.distinct_products,
        invoice_totals.total_units,
        coalesce(recent_invoice_totals.recent_window_frequency, 0) as recent_window_frequency,
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
        invoice_totals.monetary - coalesce(cancellation_totals.cancellation_value, 0) as net_value

    from invoice_totals
    cross join snapshot
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
    left join recent_invoice_totals
        on invoice_totals.customer_id = recent_invoice_totals.customer_id
    left join cancellation_totals
        on invoice_totals.customer_id = cancellation_totals.customer_id

)

select * from final
