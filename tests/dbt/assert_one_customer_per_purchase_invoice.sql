-- One invoice, one buyer, one country: int_purchase_invoices takes max(customer_id) and
-- max(country) per invoice, which would silently merge two customers sharing an invoice number,
-- and monthly_sales and country_sales count invoices by that country. Fails listing any such invoice.
select
    invoice_no,
    count(distinct coalesce(customer_id, '(guest)')) as customers_on_invoice,
    count(distinct country) as countries_on_invoice
from {{ ref('int_purchase_lines') }}
group by invoice_no
having
    count(distinct coalesce(customer_id, '(guest)')) > 1
    or count(distinct country) > 1
