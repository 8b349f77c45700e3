-- One row per purchase invoice, guests included: the fact the semantic layer's sales metrics sum
-- (revenue, purchases, average order value, revenue share, guest share) by segment, country and month.
with

purchase_invoices as (

    select * from {{ ref('int_purchase_invoices') }}

),

totals as (

    select sum(invoice_value) as total_value

    from purchase_invoices

),

final as (

    select
        purchase_invoices.invoice_no,
        purchase_invoices.customer_id,
        purchase_invoices.is_guest,
        purchase_invoices.invoice_date,
        purchase_invoices.country,
        purchase_invoices.line_count,
        purchase_invoices.total_units,
        purchase_invoices.invoice_value,
        case when purchase_invoices.is_guest then purchase_invoices.invoice_value else 0 end
            as guest_invoice_value,
        -- Each invoice's share of all purchase value, so that the share of any group (a segment, a
        -- country, a month) is a plain sum, which a metrics layer can aggregate at any grain.
        cast(purchase_invoices.invoice_value as double) / nullif(cast(totals.total_value as double), 0)
            as revenue_share

    from purchase_invoices
    cross join totals

)

select * from final
