-- The customer mart holds every non-guest purchase exactly once: customers, invoices, units and
-- value all equal the totals of the clean purchase lines.
with

lines as (

    select
        count(distinct customer_id) as customer_count,
        count(distinct invoice_no) as invoice_count,
        sum(quantity) as total_units,
        sum(line_value) as purchase_value
    from {{ ref('int_purchase_lines') }}
    where not is_guest

),

mart as (

    select
        count(*) as mart_customer_count,
        coalesce(sum(frequency), 0) as mart_invoice_count,
        sum(total_units) as mart_total_units,
        sum(monetary) as mart_purchase_value
    from {{ ref('customers') }}

)

select
    lines.customer_count,
    mart.mart_customer_count,
    lines.invoice_count,
    mart.mart_invoice_count,
    lines.total_units,
    mart.mart_total_units,
    lines.purchase_value,
    mart.mart_purchase_value
from lines
cross join mart
where
    lines.customer_count <> mart.mart_customer_count
    or lines.invoice_count <> mart.mart_invoice_count
    or lines.total_units <> mart.mart_total_units
    or lines.purchase_value <> mart.mart_purchase_value
