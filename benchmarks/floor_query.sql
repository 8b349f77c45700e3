-- The floor for the SQL layer: ONE DuckDB statement, one scan of the raw file, from raw lines to the
-- core per-customer features of the customers mart, with the cleaning rules of
-- int_transaction_lines_classified. The harness fills in {raw} (the file read with its columns
-- renamed to invoice_no, stock_code, description, quantity, invoiced_at, unit_price, customer_id,
-- country) and {non_product} (a condition on stock_code built from seeds/non_product_stock_codes.csv).
create table customer_features as
with

-- An exact duplicate has all eight fields equal, so which copy survives does not matter.
lines as (
    select distinct * from {raw}
),

flagged as (
    select
        customer_id,
        invoice_no,
        stock_code,
        invoiced_at,
        cast(invoiced_at as date) as invoice_date,
        quantity,
        quantity * unit_price as line_value,
        upper(invoice_no) like 'C%' as is_cancellation,
        invoice_no is not null and stock_code is not null and quantity is not null
        and invoiced_at is not null and unit_price is not null
        and upper(invoice_no) not like 'A%'
        and not ({non_product})
        and unit_price > 0 as passes_rules
    from lines
),

customers as (
    select
        customer_id,
        -- Over every line, guests and excluded lines too: the snapshot is the day after the last invoice.
        max(invoiced_at) as last_line_at,
        min(invoice_date) filter (where passes_rules and not is_cancellation and quantity > 0)
            as first_purchase_date,
        max(invoice_date) filter (where passes_rules and not is_cancellation and quantity > 0)
            as last_purchase_date,
        count(distinct invoice_no) filter (where passes_rules and not is_cancellation and quantity > 0)
            as frequency,
        sum(line_value) filter (where passes_rules and not is_cancellation and quantity > 0) as monetary,
        count(distinct stock_code) filter (where passes_rules and not is_cancellation and quantity > 0)
            as distinct_products,
        count(distinct invoice_no) filter (where passes_rules and is_cancellation and quantity < 0)
            as cancellation_count,
        coalesce(-sum(line_value) filter (where passes_rules and is_cancellation and quantity < 0), 0)
            as cancellation_value
    from flagged
    group by customer_id
),

with_snapshot as (
    select
        *,
        cast(max(last_line_at) over () as date) + 1 as snapshot_date
    from customers
)

select
    customer_id,
    date_diff('day', last_purchase_date, snapshot_date) as recency_days,
    frequency,
    monetary,
    date_diff('day', first_purchase_date, last_purchase_date) as tenure_days,
    distinct_products,
    cancellation_count,
    cancellation_value,
    monetary - cancellation_value as net_value
from with_snapshot
where customer_id is not null and frequency > 0
