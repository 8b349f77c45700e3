with

purchase_invoices as (

    select * from {{ ref('int_purchase_invoices') }}
    where not is_guest

),

purchase_lines as (

    select * from {{ ref('int_purchase_lines') }}
    where not is_guest

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

product_totals as (

    select
        customer_id,
        count(distinct stock_code) as distinct_products

    from purchase_lines
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
        coalesce(cancellation_totals.cancellation_count, 0) as cancellation_count,
        coalesce(cancellation_totals.cancellation_value, 0) as cancellation_value,
        invoice_totals.monetary - coalesce(cancellation_totals.cancellation_value, 0) as net_value

    from invoice_totals
    cross join snapshot
    inner join product_totals
        on invoice_totals.customer_id = product_totals.customer_id
    inner join country_ranks
        on
            invoice_totals.customer_id = country_ranks.customer_id
            and country_ranks.country_rank = 1
    left join recent_invoice_totals
        on invoice_totals.customer_id = recent_invoice_totals.customer_id
    left join cancellation_totals
        on invoice_totals.customer_id = cancellation_totals.customer_id

)

select * from final
